# mpheap.py: labelled heap snapshots for the mpheap tool, printed on the console.
#
# Copy it to the board, e.g. `mpheap upload` (or `mpremote cp device/mpheap.py :`), then:
#
#     import mpheap
#     mpheap.snapshot("after wifi")  # a marker line, then micropython.mem_info(1)
#     mpheap.start(60000, "tick")     # or one every 60 s from a timer
#
# and on the host, without stopping the application:
#
#     mpheap capture --listen -o heap.log
#
# Once imported, a snapshot allocates nothing on the heap: the label is
# printed as given (no formatting), the counter is a small int, and print()
# with keyword arguments builds no dict. So two snapshots in a row show the
# same heap. The timer only schedules the snapshot (micropython.schedule), so
# it is safe with hard-IRQ timers too.
import micropython

_n = 0
_label = "tick"
_timer = None


def snapshot(label="snapshot"):
    global _n
    _n += 1
    print("=== mpheap ", end="")
    print(_n, end=": ")
    print(label, end=" ===\n")
    micropython.mem_info(1)


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
