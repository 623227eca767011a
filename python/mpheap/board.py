"""Boards, live: the library's own raw REPL client over a serial port or the virtual board.

A Board keeps one connection (and, for the virtual board, one MicroPython process and its
heap) while code runs and snapshots are taken; capture() is the CLI's `mpheap capture` in one
call. Both write the log the CLI writes: a marker line before each dump, and the board's
traceback, when its code raises, before the snapshots taken after it.
"""
import os
import time
import weakref

from . import _lib
from .model import BoardRaised, load, raise_error, status_name

_here = os.path.dirname(os.path.abspath(__file__))


def _board_script():
    """The virtual board's script: $MPHEAP_BOARD, the installed copy, else the source tree's."""
    env = os.environ.get("MPHEAP_BOARD")
    if env:
        return env
    places = []
    try:
        from . import _installed
        places.append(os.path.join(_installed.DATADIR, "board", "virtual-board.mjs"))
    except ImportError:
        pass
    places.append(os.path.join(_here, "..", "..", "board", "virtual-board.mjs"))
    for p in places:
        if os.path.exists(p):
            return os.path.normpath(p)
    return None


def _close(repl, transport):
    if repl:
        _lib.repl_leave(repl, None)
        _lib.repl_free(repl)
    _lib.transport_free(transport)


def _utc_now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Board:
    """One board, through the raw REPL. port takes the CLI's words: auto, a device path,
    a0..a3, u0..u3, id:SERIAL, sim[:HEAP[,fixed]] (the virtual board), exec:CMD, pipe:CMD.

        with mpheap.Board("sim:64K,fixed") as b:
            before = b.snapshot("before", gc=True)
            b.run("examples/fragmenter.py", check=False)
            after = b.snapshot("after", gc=True)
    """

    def __init__(self, port="auto", soft_reset=False):
        self.port = port
        script = _board_script()
        node = os.environ.get("MPHEAP_NODE")
        sysfs = os.environ.get("MPHEAP_SYSFS")
        opts = _lib.PortOptions(node.encode() if node else None,
                                script.encode() if script else None,
                                sysfs.encode() if sysfs else None)
        t = _lib.c_void_p()
        err = _lib.Error()
        st = _lib.port_open(port.encode(), _lib.byref(opts), _lib.byref(t), _lib.byref(err))
        if st:
            raise_error(st, err, port)
        self._t = t.value
        self._r = _lib.repl_new(self._t, None)
        self._finalizer = weakref.finalize(self, _close, self._r, self._t)
        if not self._r:
            self._finalizer()
            raise MemoryError("mpheap: no memory for the REPL client")
        st = _lib.repl_enter(self._r, soft_reset, _lib.byref(err))
        if st:
            self._finalizer()
            raise_error(st, err, port)
        self.name = _lib.transport_name(self._t).decode("utf-8", "replace")
        self.pieces = []   # the log's text, as `mpheap capture -o` writes it
        self.output = ""   # what the board's code printed
        self.raised = None  # the traceback of the last code that raised

    def close(self):
        """Leave the raw REPL and close the port (the virtual board ends)."""
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _add(self, text):
        if self.pieces and not self.pieces[-1].endswith("\n"):
            self.pieces.append("\n")
        self.pieces.append(text)

    def exec(self, code, check=True):
        """Run code on the board and return what it printed. When it raises, the traceback
        goes to the log (where the verdict reads a MemoryError's size) and to .raised; with
        check, BoardRaised is raised too."""
        if isinstance(code, str):
            code = code.encode("utf-8")
        sink, buf, release = _lib.memory_sink()
        err = _lib.Error()
        try:
            st = _lib.repl_exec(self._r, code, len(code), _lib.byref(sink), _lib.byref(err))
            out = bytes(buf).decode("utf-8", "replace")
        finally:
            release()
        self.output += out
        if st and status_name(st) == "raised":
            tb = _lib.repl_traceback(self._r).decode("utf-8", "replace")
            self.raised = tb
            self._add(tb if tb.endswith("\n") else tb + "\n")
            if check:
                raise BoardRaised(tb, file=self.port)
            return out
        if st:
            raise_error(st, err, self.port)
        self.raised = None
        return out

    def run(self, path, check=True):
        """Run a MicroPython file (sent, not copied to the board's flash)."""
        with open(path, "rb") as f:
            return self.exec(f.read(), check=check)

    def snapshot(self, label="snapshot", gc=False):
        """Take one heap dump (after gc.collect() with gc) and return it as a Snapshot of the
        board's log so far."""
        sink, buf, release = _lib.memory_sink()
        err = _lib.Error()
        try:
            st = _lib.repl_snapshot(self._r, gc, _lib.byref(sink), _lib.byref(err))
            dump = bytes(buf).decode("utf-8", "replace")
        finally:
            release()
        if st and status_name(st) == "raised":
            raise BoardRaised(_lib.repl_traceback(self._r).decode("utf-8", "replace"),
                              file=self.port)
        if st:
            raise_error(st, err, self.port)
        n = sum(1 for p in self.pieces if p.startswith("=== mpheap ")) + 1
        marker = "=== mpheap %d: %s @ %s%s ===\n" % (n, label, _utc_now(),
                                                     " (after gc.collect())" if gc else "")
        self._add(marker + dump)
        return self.log()[-1]

    @property
    def text(self):
        return "".join(self.pieces)

    def log(self):
        """Everything taken so far as a Log (markers, dumps, tracebacks)."""
        return load(self.text.encode("utf-8"), name=self.port)


def capture(port="auto", gc=False, run=None, exec=None, before=False, count=1, every=0.0,
            label=None, soft_reset=False):
    """`mpheap capture` in one call: open the board, optionally run code (run: a .py file,
    exec: code text; before: a snapshot first), take count snapshots every seconds apart
    (gc: after gc.collect()), and return the Log. Code that raises is no error here, as in
    the CLI: its traceback is in the log (log.raised holds it); a board that fails raises
    DeviceError."""
    code = what = None
    if run is not None:
        with open(run, "rb") as f:
            code = f.read()
        what = os.path.basename(run)
    elif exec is not None:
        code, what = exec, "exec"
    if label is None:
        label = ("after " + what) if run is not None else ("after exec" if exec is not None
                                                           else "snapshot")
    with Board(port, soft_reset=soft_reset) as b:
        if before and code is not None:
            b.snapshot("before " + what, gc=gc)
        if code is not None:
            b.exec(code, check=False)
        for i in range(count):
            if i and every:
                time.sleep(every)
            b.snapshot(label, gc=gc)
        log = b.log()
        log.raised = b.raised
        log.output = b.output
        return log
