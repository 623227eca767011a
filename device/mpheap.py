# mpheap.py: labelled heap snapshots for the mpheap tool, printed on the console.
#
# Copy it to the board, e.g. `mpheap upload` (or `mpremote cp device/mpheap.py :`), then:
#
#     import mpheap
#     mpheap.snapshot("after wifi")       # a marker line, then micropython.mem_info(1)
#     mpheap.snapshot("idle", True)       # gc.collect() first, and the marker says so
#     mpheap.start(60000, "tick")         # or one every 60 s from a timer
#     with mpheap.guard("parse reply"):   # on MemoryError: a snapshot whose label has
#         reply = parse(data)             # the error's message, then the error goes on
#     mpheap.call("parse reply", parse, data)  # the same around one call
#
# and on the host, without stopping the application:
#
#     mpheap capture --listen -o heap.log
#
# Once imported, a snapshot allocates nothing on the heap: the label is
# printed as given (no formatting), the counter is a small int, and print()
# with keyword arguments builds no dict. So two snapshots in a row show the
# same heap, and guard() and call() can print one when the heap is full (the
# message is read from the exception's args, which exist already). The timer
# only schedules the snapshot (micropython.schedule), so it is safe with
# hard-IRQ timers too.
import gc
import micropython
import sys

_n = 0
_label = "tick"
_timer = None
# The WebAssembly port's pyscript build (mpheap's virtual board) grows its heap
# instead of collecting: there gc.collect() only asks for a collection, which
# runs once control is back in JavaScript, after the running code.
_deferred = sys.platform == "webassembly" and (
    getattr(sys.implementation, "_build", "") == "pyscript"
)


def _marker(label):
    global _n
    _n += 1
    print("=== mpheap ", end="")
    print(_n, end=": ")
    print(label, end="")


def snapshot(label="snapshot", collect=False):
    if collect:
        gc.collect()
    _marker(label)
    if not collect:
        print(" ===")
    elif _deferred:
        print(" (gc.collect() deferred by this port) ===")
    else:
        print(" (after gc.collect()) ===")
    micropython.mem_info(1)


def _failed(label, e):
    # "=== mpheap 3: LABEL: MemoryError: memory allocation failed, allocating 4096 bytes ===";
    # with no room for a message MicroPython raises MemoryError with no args.
    _marker(label)
    print(": MemoryError", end="")
    if e.args:
        print(": ", end="")
        print(e.args[0], end="")
    print(" ===")
    micropython.mem_info(1)


# fn(*args); on MemoryError a snapshot labelled "LABEL: MemoryError: MESSAGE", then
# the same error is raised again.
def call(label, fn, *args):
    try:
        return fn(*args)
    except MemoryError as e:
        _failed(label, e)
        raise


# with guard(LABEL): ... -- on MemoryError in the block, call()'s snapshot; the
# error goes on.
class guard:
    def __init__(self, label):
        self.label = label

    def __enter__(self):
        return self

    def __exit__(self, kind, e, tb):
        if kind is MemoryError:
            _failed(self.label, e)
        return False


def _tick(_):
    snapshot(_label)


def _irq(_):
    try:
        micropython.schedule(_tick, None)
    except RuntimeError:
        pass  # the schedule queue is full: skip this one


def start(period_ms=60000, label="tick", timer_id=-1):
    global _timer, _label
    from machine import Timer

    stop()
    _label = label
    _timer = Timer(timer_id)
    _timer.init(period=period_ms, mode=Timer.PERIODIC, callback=_irq)


def stop():
    global _timer
    if _timer is not None:
        _timer.deinit()
        _timer = None
