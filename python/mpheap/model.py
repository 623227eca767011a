"""Logs, snapshots, diffs, timelines and verdicts over libmpheap's objects.

Each Python object owns at most one C object and frees it when it goes away (weakref
finalizers); an object that borrows another C object (a diff borrows its two snapshots)
keeps the Python owners alive.
"""
import collections
import html
import json
import os
import weakref

from . import _lib

# ------------------------------------------------------------------------- errors


class MpheapError(Exception):
    """A failure of the library: code (its status name: "syntax", "device" ...), and for input
    errors the file (name), line and column (1-based; 0 unknown) and byte offset."""

    def __init__(self, message, code="error", file=None, line=0, column=0, offset=0):
        self.message = message
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.offset = offset
        where = ""
        if file:
            where = file
            if line:
                where += ":%d" % line
                if column:
                    where += ":%d" % column
            where += ": "
        super().__init__(where + message)


class ParseError(MpheapError, ValueError):
    """The text is not a heap dump, or breaks its grammar (file:line:column say where)."""


class DeviceError(MpheapError, OSError):
    """The board failed, did not answer in time, went away or is busy."""


class BoardRaised(MpheapError):
    """Code sent to the board raised; traceback is the board's text."""

    def __init__(self, traceback, **kw):
        self.traceback = traceback
        last = traceback.strip().splitlines()[-1] if traceback.strip() else "an exception"
        super().__init__("the board's code raised: " + last, code="raised", **kw)


def status_name(st):
    """The library's name of a status code ("syntax", "device", ...)."""
    return _lib.status_name(st).decode()


_PARSE = {"syntax", "invariant", "not found", "limit"}
_DEVICE = {"device", "timeout", "device gone", "busy", "stopped"}


def raise_error(st, err, file=None):
    """Raise the exception for status st with the library's located error err."""
    name = status_name(st)
    msg = err.message.decode("utf-8", "replace") or name
    kw = dict(code=name, file=file, line=err.line, column=err.column, offset=err.offset)
    if name == "out of memory":
        raise MemoryError(msg)
    if name in _PARSE:
        raise ParseError(msg, **kw)
    if name in _DEVICE:
        raise DeviceError(msg, **kw)
    raise MpheapError(msg, **kw)


def _json(fn, obj, opts=None, name=None):
    opts = opts if opts is not None else _lib.TextOptions()
    st, out, err = _lib.render(fn, obj, _lib.byref(opts))
    if st:
        raise_error(st, err, name)
    return json.loads(out.decode("utf-8"))


def _text(fn, obj, opts=None):
    opts = opts if opts is not None else _lib.TextOptions()
    st, out, err = _lib.render(fn, obj, _lib.byref(opts))
    if st:
        raise_error(st, err)
    return out.decode("utf-8", "replace")


def _pre(text):
    return '<pre class="mpheap">' + html.escape(text) + "</pre>"


def _b(s):
    return None if s is None else s.encode("utf-8")


# --------------------------------------------------------------------- the model

Area = collections.namedtuple("Area", "index base first_block n_blocks cells line")
Area.__doc__ = "One heap area: base address (None when not printed), its blocks' map letters."

Allocation = collections.namedtuple("Allocation",
                                    "area block n_blocks address type type_name orphan")
Allocation.__doc__ = ("One allocation: area index, first block, size in blocks, address (0 when"
                      " unknown), its map letter (T L D S A F B M h m) and type name.")

Diagnostic = collections.namedtuple("Diagnostic", "level line column snapshot message")


def load(source, name=None, block_size=0, strict=False):
    """Parse a file (a path: a str of one line, or a PathLike) or text (a str of several
    lines, or bytes: a log of one or more mem_info(1) dumps)
    and return its Log. Raises ParseError with file, line and column when it holds no dump
    or a broken one (strict: any warning), OSError when the file cannot be read."""
    # A str of one line is a path (a dump has many lines): a missing file is an OSError.
    if isinstance(source, os.PathLike) or (isinstance(source, str) and "\n" not in source):
        path = os.fspath(source)
        with open(path, "rb") as f:
            data = f.read()
        return Log(data, name or path, block_size, strict)
    if isinstance(source, str):
        data = source.encode("utf-8")
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        raise TypeError("load() takes a path, str or bytes, not %s" % type(source).__name__)
    return Log(data, name or "<text>", block_size, strict)


class Log:
    """A parsed log: a sequence of Snapshots (log[0], log[-1], len(log), iteration)."""

    def __init__(self, data, name="<text>", block_size=0, strict=False):
        self.name = name
        self.text = data.decode("utf-8", "replace")
        self.raised = None  # capture(): the traceback of the board's code, when it raised
        self.output = ""    # capture(): what the board's code printed
        opts = _lib.ParseOptions(block_size, strict)
        out = _lib.c_void_p()
        err = _lib.Error()
        st = _lib.log_parse(data, len(data), _lib.byref(opts), _lib.byref(out), _lib.byref(err))
        if st:
            raise_error(st, err, name)
        self._ptr = out.value
        # Freed when the last Python object that borrows from it (snapshot, diff, verdict) goes.
        self._finalizer = weakref.finalize(self, _lib.log_free, out.value)
        n = _lib.log_snapshot_count(self._ptr)
        self._snapshots = [Snapshot(self, i) for i in range(n)]

    def __len__(self):
        return len(self._snapshots)

    def __getitem__(self, i):
        return self._snapshots[i]

    def __iter__(self):
        return iter(self._snapshots)

    def find(self, selector):
        """A snapshot by the CLI's -s words: "3" (1-based), "-1" (last), or label text."""
        i = _lib.log_find_snapshot(self._ptr, str(selector).encode())
        if i < 0:
            raise KeyError("no snapshot %r in %s" % (selector, self.name))
        return self._snapshots[i]

    @property
    def diagnostics(self):
        """Notes and warnings about the input: Diagnostic(level, line, column, snapshot, message)."""
        out = []
        for i in range(_lib.log_diagnostic_count(self._ptr)):
            d = _lib.log_diagnostic(self._ptr, i).contents
            out.append(Diagnostic("warning" if d.level else "note", d.line, d.column,
                                  None if d.snapshot < 0 else d.snapshot,
                                  d.message.decode("utf-8", "replace")))
        return out

    @property
    def skipped_lines(self):
        return _lib.log_skipped_lines(self._ptr)

    def timeline(self):
        """The Timeline of every snapshot (as `mpheap timeline`)."""
        return Timeline(list(self._snapshots))

    def _repr_html_(self):
        if len(self) == 1:
            return self[0]._repr_html_()
        return self.timeline()._repr_html_()

    def __repr__(self):
        return "<mpheap.Log %s: %d snapshot%s>" % (self.name, len(self), "" if len(self) == 1 else "s")


class Snapshot:
    """One heap dump of a log. Borrowed from its Log, which it keeps alive."""

    def __init__(self, log, index):
        self.log = log
        self.index = index
        self._ptr = _lib.log_snapshot(log._ptr, index)
        self._figures = None

    # The CLI names a snapshot of a log of several "FILE#N".
    @property
    def name(self):
        if len(self.log) > 1:
            return "%s#%d" % (self.log.name, self.index + 1)
        return self.log.name

    @property
    def label(self):
        v = _lib.snapshot_label(self._ptr)
        return None if v is None else v.decode("utf-8", "replace")

    @property
    def time(self):
        v = _lib.snapshot_time(self._ptr)
        return None if v is None else v.decode()

    @property
    def lines(self):
        """First and last line of the dump in the log's text."""
        return _lib.snapshot_first_line(self._ptr), _lib.snapshot_last_line(self._ptr)

    @property
    def block_size(self):
        return _lib.snapshot_block_size(self._ptr) or None

    @property
    def after_collect(self):
        return _lib.snapshot_after_collect(self._ptr)

    @property
    def figures(self):
        """The figures as a dict: exactly `mpheap stats --json` (schema mpheap/stats/2),
        with the verdict on a MemoryError's size next to the snapshot, if any."""
        if self._figures is None:
            self._figures = self._stats_json()
        return self._figures

    def _stats_json(self, fits=()):
        fits = list(fits)
        arr = (_lib.c_uint64 * max(1, len(fits)))(*fits)
        rep = _lib.c_void_p()
        ver = _lib.c_void_p()
        err = _lib.Error()
        st = _lib.stats_report_new(self._ptr, arr, len(fits), _lib.byref(rep), _lib.byref(err))
        if st:
            raise_error(st, err, self.name)
        try:
            st = _lib.verdict_new(self._ptr, 0, _lib.byref(ver), _lib.byref(err))
            if st:
                raise_error(st, err, self.name)
            opts = _lib.TextOptions(name=_b(self.name), verdict=ver.value)
            return _json(_lib.render_json_stats, rep, opts, self.name)
        finally:
            _lib.verdict_free(ver)
            _lib.stats_report_free(rep)

    def stats(self, fit=()):
        """The figures with "how many buffers of each size still fit" (`stats --fit`)."""
        return self._stats_json(fit) if fit else self.figures

    @property
    def areas(self):
        out = []
        for i in range(_lib.snapshot_area_count(self._ptr)):
            a = _lib.snapshot_area(self._ptr, i).contents
            cells = _lib.ctypes.string_at(a.cells, a.n_blocks).decode("ascii") if a.n_blocks else ""
            out.append(Area(i, a.base if a.has_base else None, a.first_block, a.n_blocks, cells,
                            a.line))
        return out

    def allocations(self):
        """Iterate over the allocations in address order (Allocation tuples)."""
        it = _lib.AllocIter()
        _lib.alloc_iter_init(_lib.byref(it), self._ptr)
        a = _lib.Alloc()
        while _lib.alloc_iter_next(_lib.byref(it), _lib.byref(a)):
            yield Allocation(a.area, a.block, a.n_blocks, a.address,
                             _lib.type_letter(a.type).decode(),
                             _lib.type_name(a.type).decode(), a.orphan)

    __iter__ = allocations

    def diff(self, other):
        """What changed from this snapshot to other (a Diff, as `mpheap diff`)."""
        return Diff(self, other)

    def need(self, size=None):
        """The verdict on one allocation of size bytes (int, or "4K"): does it fit now, after a
        collection, by growing, and what splits the free memory. Without a size: the size of
        a MemoryError next to the snapshot in the log, if any."""
        return Verdict(self, _parse_size(size) if size is not None else 0)

    def svg(self, columns=2, palette=None):
        """The map as an SVG document (as `mpheap report -o map.svg`)."""
        o = _lib.PictureOptions()
        _lib.picture_options_init(_lib.byref(o))
        o.columns = columns
        if palette is not None:
            o.palette = _palette(palette)
        st, out, err = _lib.render(_lib.render_svg, self._ptr, _lib.byref(o))
        if st:
            raise_error(st, err, self.name)
        return out.decode("utf-8")

    def to_html(self, need=None, palette=None):
        """The HTML report (`mpheap report -o x.html`): one self-contained page with every
        snapshot of the log, this one shown first (its map, figures, verdict)."""
        return _html(self.log, _lib.HTML_VIEW_MAP, current=self.index, need=need,
                     palette=palette)

    def _repr_html_(self):
        try:
            return _iframe(self.to_html())
        except NotImplementedError:
            # A library from before the HTML report: the SVG map.
            return '<div class="mpheap-snapshot">%s</div>' % self.svg()

    def __repr__(self):
        return "<mpheap.Snapshot %s%s>" % (self.name, ": " + self.label if self.label else "")


class Verdict:
    """Why an allocation fails (or that it fits): .figures is `mpheap/verdict/1` JSON."""

    def __init__(self, snapshot, size):
        self.snapshot = snapshot
        out = _lib.c_void_p()
        err = _lib.Error()
        st = _lib.verdict_new(snapshot._ptr, size, _lib.byref(out), _lib.byref(err))
        if st:
            raise_error(st, err, snapshot.name)
        self._ptr = out.value
        self._finalizer = weakref.finalize(self, _lib.verdict_free, out.value)
        self.figures = _json(_lib.render_json_verdict, self._ptr,
                             _lib.TextOptions(name=_b(snapshot.name)), snapshot.name)

    @property
    def outcome(self):
        """"fits-now", "may-fit-after-collection", "fits-by-growing", "fails" or "unknown"."""
        return self.figures["verdict"]["outcome"]

    @property
    def fits_now(self):
        return self.outcome == "fits-now"

    def text(self):
        return _text(_lib.render_text_verdict, self._ptr)

    def __str__(self):
        return self.text()

    def _repr_html_(self):
        return _pre(self.text())

    def __repr__(self):
        return "<mpheap.Verdict %s bytes: %s>" % (self.figures["verdict"]["need_bytes"], self.outcome)


class Diff:
    """Two snapshots compared block by block (`mpheap diff`): .figures is its JSON."""

    def __init__(self, old, new):
        self.old, self.new = old, new  # the C diff borrows both
        out = _lib.c_void_p()
        err = _lib.Error()
        st = _lib.diff_compute(old._ptr, new._ptr, _lib.byref(out), _lib.byref(err))
        if st:
            raise_error(st, err)
        self._ptr = out.value
        self._finalizer = weakref.finalize(self, _lib.diff_free, out.value)
        self._figures = None

    def _opts(self):
        return _lib.TextOptions(old_name=_b(self.old.name), new_name=_b(self.new.name))

    @property
    def figures(self):
        if self._figures is None:
            self._figures = _json(_lib.render_json_diff, self._ptr, self._opts())
        return self._figures

    def text(self, max_list=10):
        o = self._opts()
        o.max_list = max_list
        return _text(_lib.render_text_diff, self._ptr, o)

    def __str__(self):
        return self.text()

    def to_html(self):
        """The HTML report opened on this diff's map; both snapshots must be of one log."""
        if self.old.log is not self.new.log:
            raise ValueError("an HTML diff needs two snapshots of one log (load them together)")
        return _html(self.old.log, _lib.HTML_VIEW_DIFF, current=self.new.index,
                     diff=(self.old.index, self.new.index))

    def _repr_html_(self):
        if self.old.log is self.new.log:
            return _iframe(self.to_html())
        return _pre(self.text())


class Timeline:
    """One row per snapshot with leak suspects (`mpheap timeline`): .figures is its JSON."""

    def __init__(self, snapshots):
        if not snapshots:
            raise ValueError("a timeline needs at least one snapshot")
        self.snapshots = list(snapshots)  # kept alive while the C timeline is made
        arr = (_lib.c_void_p * len(snapshots))(*[s._ptr for s in snapshots])
        names = (_lib.c_char_p * len(snapshots))(*[_b(s.name) for s in snapshots])
        out = _lib.c_void_p()
        err = _lib.Error()
        st = _lib.timeline_compute(arr, names, len(snapshots), _lib.byref(out), _lib.byref(err))
        if st:
            raise_error(st, err)
        self._ptr = out.value
        self._finalizer = weakref.finalize(self, _lib.timeline_free, out.value)
        self._figures = None

    def _opts(self):
        logs = {id(s.log): s.log for s in self.snapshots}
        name = next(iter(logs.values())).name if len(logs) == 1 else None
        return _lib.TextOptions(name=_b(name))

    @property
    def figures(self):
        if self._figures is None:
            self._figures = _json(_lib.render_json_timeline, self._ptr, self._opts())
        return self._figures

    def text(self, ascii=False):
        o = self._opts()
        o.ascii = ascii
        return _text(_lib.render_text_timeline, self._ptr, o)

    def __str__(self):
        return self.text()

    def to_html(self):
        """The HTML report opened on the timeline; its snapshots must be one log's."""
        log = self.snapshots[0].log
        if any(s.log is not log for s in self.snapshots):
            raise ValueError("an HTML timeline needs the snapshots of one log")
        idx = [s.index for s in self.snapshots]
        return _html(log, _lib.HTML_VIEW_TIMELINE, current=idx[-1], first=min(idx),
                     last=max(idx))

    def _repr_html_(self):
        try:
            return _iframe(self.to_html())
        except ValueError:
            return _pre(self.text())


# ---------------------------------------------------------------------- helpers

def _html(log, view, current, need=None, palette=None, diff=None, first=None, last=None):
    """mph_render_html over log: the page as text."""
    if _lib.render_html is None:
        raise NotImplementedError(
            "this libmpheap (%s) has no HTML renderer: the symbol mph_render_html is missing"
            % _lib.path)
    o = _lib.HtmlOptions()
    _lib.html_options_init(_lib.byref(o), log._ptr)
    o.name = _b(log.name)
    o.view = view
    o.current = current
    if first is not None:
        o.first, o.last = first, last
    if need is not None:
        o.need = _parse_size(need)
    if palette is not None:
        o.palette = _palette(palette)
    if diff is not None:
        o.diff_old, o.diff_new = diff
    st, out, err = _lib.render(_lib.render_html, log._ptr, _lib.byref(o))
    if st:
        raise_error(st, err, log.name)
    return out.decode("utf-8")


def _iframe(page, height=720):
    """A page in a notebook's output: in an iframe, so that its script, style and
    Content-Security-Policy stay its own."""
    return ('<iframe class="mpheap-report" style="width:100%%;height:%dpx;border:1px solid #ccc" '
            'sandbox="allow-scripts" srcdoc="%s"></iframe>' % (height, html.escape(page, quote=True)))


_PALETTES = {"safe": 0, "notebook": 1, "seed": 1, "type": 2, "rainbow": 3, "mono": 4}


def _palette(name):
    try:
        return _PALETTES[name]
    except KeyError:
        raise ValueError("unknown palette %r (safe, notebook, type, rainbow, mono)" % name)


def _parse_size(size):
    """4096, "4096", "4K", "1.5M" -> bytes (as the CLI reads SIZE)."""
    if isinstance(size, int):
        if size <= 0:
            raise ValueError("size must be above 0")
        return size
    s = str(size).strip().upper()
    mult = 1
    if s.endswith("K"):
        mult, s = 1024, s[:-1]
    elif s.endswith("M"):
        mult, s = 1024 * 1024, s[:-1]
    value = int(float(s) * mult)
    if value <= 0:
        raise ValueError("size must be above 0: %r" % size)
    return value
