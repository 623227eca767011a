"""libmpheap.so through ctypes: finding it, the structs the binding reads, the prototypes.

The mirrored structs are those of include/mpheap.h that Python reads or fills itself; every
richer result (figures, verdicts, diffs, timelines) comes through the library's own JSON
renderers, so Python never mirrors their layout.
"""
import ctypes
import ctypes.util
import os
import threading

# The soname's number: MPH_ABI_VERSION in include/mpheap.h (README, "Install").
ABI_VERSION = 0
SONAME = "libmpheap.so.%d" % ABI_VERSION

_here = os.path.dirname(os.path.abspath(__file__))


def _candidates():
    """Where the library may be, in order (README, "Python")."""
    env = os.environ.get("MPHEAP_LIB")
    if env:
        # A file, or a directory holding it.
        yield os.path.join(env, SONAME) if os.path.isdir(env) else env
        return
    yield os.path.join(_here, SONAME)  # next to the package (a wheel, a vendored copy)
    yield os.path.join(_here, "libmpheap.so")
    try:  # where `make install` put the library (it writes _installed.py)
        from . import _installed
        yield os.path.join(_installed.LIBDIR, SONAME)
    except ImportError:
        pass
    # A source tree: python/mpheap -> build/ (what `make shared` makes).
    yield os.path.join(_here, "..", "..", "build", SONAME)
    yield SONAME  # the system's loader: ld.so.cache, LD_LIBRARY_PATH
    found = ctypes.util.find_library("mpheap")
    if found:
        yield found


def _load():
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(path + " (absent)")
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError("mpheap: libmpheap.so not found; set MPHEAP_LIB to its path. Tried: "
                      + "; ".join(tried))


lib, path = _load()

c_char_p = ctypes.c_char_p
c_void_p = ctypes.c_void_p
c_size_t = ctypes.c_size_t
c_uint64 = ctypes.c_uint64
c_bool = ctypes.c_bool
c_int = ctypes.c_int
c_uint = ctypes.c_uint
c_ulong = ctypes.c_ulong
POINTER = ctypes.POINTER
byref = ctypes.byref


class Error(ctypes.Structure):
    _fields_ = [("code", c_int), ("line", c_ulong), ("column", c_ulong),
                ("offset", c_uint64), ("message", ctypes.c_char * 320)]


class ParseOptions(ctypes.Structure):
    _fields_ = [("block_size", c_uint), ("strict", c_bool)]


class Area(ctypes.Structure):
    _fields_ = [("base", c_uint64), ("has_base", c_bool), ("first_block", c_size_t),
                ("n_blocks", c_size_t), ("cells", c_void_p), ("line", c_ulong)]


class Alloc(ctypes.Structure):
    _fields_ = [("area", c_size_t), ("block", c_size_t), ("n_blocks", c_size_t),
                ("address", c_uint64), ("type", c_int), ("orphan", c_bool)]


class AllocIter(ctypes.Structure):
    _fields_ = [("snapshot", c_void_p), ("area", c_size_t), ("block", c_size_t)]


class Diagnostic(ctypes.Structure):
    _fields_ = [("level", c_int), ("line", c_ulong), ("column", c_ulong),
                ("snapshot", ctypes.c_long), ("message", c_char_p)]


WRITE = ctypes.CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t)


class Sink(ctypes.Structure):
    _fields_ = [("write", WRITE), ("ctx", c_void_p)]


class TextOptions(ctypes.Structure):
    _fields_ = [("name", c_char_p), ("old_name", c_char_p), ("new_name", c_char_p),
                ("max_list", c_size_t), ("ascii", c_bool), ("verbose", c_bool),
                ("verdict", c_void_p)]


class PictureOptions(ctypes.Structure):
    _fields_ = [("columns", c_uint), ("scale", c_uint64), ("pixels", c_uint),
                ("palette", c_int), ("verdict", c_void_p)]


class PortOptions(ctypes.Structure):
    _fields_ = [("node", c_char_p), ("board_script", c_char_p), ("sysfs_root", c_char_p)]


def _proto(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


P = c_void_p
status = c_int
E = POINTER(Error)
version_string = _proto("mph_version_string", c_char_p)
version_features = _proto("mph_version_features", c_char_p)
status_name = _proto("mph_status_name", c_char_p, c_int)
log_parse = _proto("mph_log_parse", status, c_char_p, c_size_t, POINTER(ParseOptions),
                   POINTER(P), E)
log_free = _proto("mph_log_free", None, P)
log_snapshot_count = _proto("mph_log_snapshot_count", c_size_t, P)
log_snapshot = _proto("mph_log_snapshot", P, P, c_size_t)
log_find_snapshot = _proto("mph_log_find_snapshot", ctypes.c_long, P, c_char_p)
log_diagnostic_count = _proto("mph_log_diagnostic_count", c_size_t, P)
log_diagnostic = _proto("mph_log_diagnostic", POINTER(Diagnostic), P, c_size_t)
log_skipped_lines = _proto("mph_log_skipped_lines", c_ulong, P)
snapshot_label = _proto("mph_snapshot_label", c_char_p, P)
snapshot_time = _proto("mph_snapshot_time", c_char_p, P)
snapshot_first_line = _proto("mph_snapshot_first_line", c_ulong, P)
snapshot_last_line = _proto("mph_snapshot_last_line", c_ulong, P)
snapshot_block_size = _proto("mph_snapshot_block_size", c_uint, P)
snapshot_area_count = _proto("mph_snapshot_area_count", c_size_t, P)
snapshot_area = _proto("mph_snapshot_area", POINTER(Area), P, c_size_t)
snapshot_after_collect = _proto("mph_snapshot_after_collect", c_bool, P)
snapshot_header_only = _proto("mph_snapshot_header_only", c_bool, P)
alloc_iter_init = _proto("mph_alloc_iter_init", None, POINTER(AllocIter), P)
alloc_iter_next = _proto("mph_alloc_iter_next", c_bool, POINTER(AllocIter), POINTER(Alloc))
type_letter = _proto("mph_type_letter", ctypes.c_char, c_int)
type_name = _proto("mph_type_name", c_char_p, c_int)
stats_report_new = _proto("mph_stats_report_new", status, P, POINTER(c_uint64), c_size_t,
                          POINTER(P), E)
stats_report_free = _proto("mph_stats_report_free", None, P)
verdict_new = _proto("mph_verdict_new", status, P, c_uint64, POINTER(P), E)
verdict_free = _proto("mph_verdict_free", None, P)
diff_compute = _proto("mph_diff_compute", status, P, P, POINTER(P), E)
diff_free = _proto("mph_diff_free", None, P)
timeline_compute = _proto("mph_timeline_compute", status, POINTER(P), POINTER(c_char_p),
                          c_size_t, POINTER(P), E)
timeline_free = _proto("mph_timeline_free", None, P)
TS = POINTER(TextOptions)
S = POINTER(Sink)
render_json_stats = _proto("mph_render_json_stats", status, P, TS, S, E)
render_json_verdict = _proto("mph_render_json_verdict", status, P, TS, S, E)
render_json_diff = _proto("mph_render_json_diff", status, P, TS, S, E)
render_json_timeline = _proto("mph_render_json_timeline", status, P, TS, S, E)
render_text_stats = _proto("mph_render_text_stats", status, P, TS, S, E)
render_text_verdict = _proto("mph_render_text_verdict", status, P, TS, S, E)
render_text_diff = _proto("mph_render_text_diff", status, P, TS, S, E)
render_text_timeline = _proto("mph_render_text_timeline", status, P, TS, S, E)
picture_options_init = _proto("mph_picture_options_init", None, POINTER(PictureOptions))
render_svg = _proto("mph_render_svg", status, P, POINTER(PictureOptions), S, E)
port_open = _proto("mph_port_open", status, c_char_p, POINTER(PortOptions), POINTER(P), E)
transport_free = _proto("mph_transport_free", None, P)
transport_name = _proto("mph_transport_name", c_char_p, P)
repl_new = _proto("mph_repl_new", P, P, P)
repl_free = _proto("mph_repl_free", None, P)
repl_enter = _proto("mph_repl_enter", status, P, c_bool, E)
repl_exec = _proto("mph_repl_exec", status, P, c_char_p, c_size_t, S, E)
repl_snapshot = _proto("mph_repl_snapshot", status, P, c_bool, S, E)
repl_leave = _proto("mph_repl_leave", status, P, E)
repl_traceback = _proto("mph_repl_traceback", c_char_p, P)



class HtmlOptions(ctypes.Structure):
    _fields_ = [("palette", c_int), ("name", c_char_p), ("first", c_size_t), ("last", c_size_t),
                ("current", c_size_t), ("need", c_uint64), ("view", c_int),
                ("diff_old", c_size_t), ("diff_new", c_size_t)]


HTML_VIEW_MAP, HTML_VIEW_DIFF, HTML_VIEW_TIMELINE = 0, 1, 2

# The HTML renderer (`mpheap report -o x.html`) where this library has it.
if hasattr(lib, "mph_render_html") and hasattr(lib, "mph_html_options_init"):
    render_html = _proto("mph_render_html", status, P, POINTER(HtmlOptions), S, E)
    html_options_init = _proto("mph_html_options_init", None, POINTER(HtmlOptions), P)
else:
    render_html = html_options_init = None

# One sink callback for every render: ctx names a bytearray in _buffers.
_buffers = {}
_buffers_lock = threading.Lock()
_next_key = [1]


@WRITE
def _write(ctx, buf, n):
    _buffers[ctx].extend(ctypes.string_at(buf, n))
    return 0


def render(fn, *args):
    """Call a renderer fn(*args, sink, err) into memory: (status, bytes, Error)."""
    with _buffers_lock:
        key = _next_key[0]
        _next_key[0] += 1
        _buffers[key] = bytearray()
    try:
        sink = Sink(_write, key)
        err = Error()
        st = fn(*args, byref(sink), byref(err))
        return st, bytes(_buffers[key]), err
    finally:
        with _buffers_lock:
            del _buffers[key]


def memory_sink():
    """A sink into a new bytearray, for calls that write as they go: (sink, buffer, release)."""
    with _buffers_lock:
        key = _next_key[0]
        _next_key[0] += 1
        buf = _buffers[key] = bytearray()

    def release():
        with _buffers_lock:
            _buffers.pop(key, None)
    return Sink(_write, key), buf, release
