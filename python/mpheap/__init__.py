"""mpheap for Python: MicroPython heap dumps (micropython.mem_info(1)) read, explained and
shown by libmpheap, the library under the `mpheap` command (ctypes; standard library only).

    import mpheap
    log = mpheap.load("app.log")          # a path, or the text itself
    s = log[-1]
    s.figures                             # == `mpheap stats --json app.log` (a dict)
    s.need("4K").outcome                  # "fits-now", "fails", ...
    log[0].diff(log[-1]).figures          # == `mpheap diff --json`
    log = mpheap.capture(port="sim:64K,fixed", gc=True, run="examples/fragmenter.py", before=True)

In Jupyter, a snapshot, a diff or a timeline shows itself as the interactive map; `%load_ext
mpheap` adds the %mpheap and %%mpheap magics (README, "Python and Jupyter").
"""
from . import _lib
from .model import (Allocation, Area, BoardRaised, DeviceError, Diagnostic, Diff, Log,
                    MpheapError, ParseError, Snapshot, Timeline, Verdict, load)
from .board import Board, capture
from .notebook import from_output, load_ipython_extension, unload_ipython_extension

__version__ = _lib.version_string().decode()
version = __version__


def features():
    """The library's build features, as `mpheap --version` prints them: {"avx2": True, ...}."""
    words = _lib.version_features().decode().split()
    return {w[1:]: w[0] == "+" for w in words}


__all__ = ["load", "from_output", "capture", "Board", "Log", "Snapshot", "Diff", "Timeline",
           "Verdict", "Area", "Allocation", "Diagnostic", "MpheapError", "ParseError",
           "DeviceError", "BoardRaised", "features", "version", "load_ipython_extension",
           "unload_ipython_extension"]
