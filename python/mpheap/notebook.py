"""Jupyter: reading what MicroPython kernels print, and the %mpheap / %%mpheap magics.

    %load_ext mpheap
    %mpheap show --need 4K app.log        # the CLI's own command and arguments, as HTML
    %mpheap stats log                     # a Log or Snapshot variable stands for a file
    %%mpheap                              # the cell is pasted mem_info(1) text: its map
    %%mpheap show --collapse-free         # ... or a CLI command run on it

The magics run the `mpheap` command itself (so every argument is the CLI's, parsed by the
CLI) with colours on, and turn its ANSI colours into HTML.
"""
import html
import os
import re
import shlex
import shutil
import subprocess
import tempfile

from .model import Log, Snapshot, load

_here = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------- from_output

_CSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)")
_PROMPT = re.compile(r"^(>>> |\.\.\. )", re.M)


def from_output(output, name="<output>", **kw):
    """A Log from the text a MicroPython kernel (jupyter_micropython_kernel and the like) or
    micropython-magic's %mpy printed for micropython.mem_info(1): a str, bytes, a list of
    lines, or a captured output object (IPython's %%capture: .stdout). Terminal escapes and
    REPL prompts are taken out; the rest (CRLF, other output around the dump) the parser
    already skips."""
    if hasattr(output, "stdout"):
        output = output.stdout
    if isinstance(output, (bytes, bytearray)):
        output = bytes(output).decode("utf-8", "replace")
    if isinstance(output, (list, tuple)):
        output = "\n".join(str(x).rstrip("\r\n") for x in output)
    if not isinstance(output, str):
        raise TypeError("from_output() takes text, bytes, lines or a captured output")
    text = _CSI.sub("", output)
    text = _PROMPT.sub("", text)
    return load(text.encode("utf-8"), name=name, **kw)


# --------------------------------------------------------------- ANSI to HTML

_BASE16 = ["#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
           "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff"]


def _xterm256(n):
    if n < 16:
        return _BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[n // 6 % 6], steps[n % 6])
    g = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (g, g, g)


def ansi_to_html(text):
    """Terminal text with SGR colour escapes (16, 256 and 24-bit) as HTML in a <pre>."""
    out = ['<pre class="mpheap" style="line-height:1.15;font-size:12px">']
    fg = bg = None
    bold = False
    pos = 0
    open_span = False
    for m in re.finditer(r"\x1b\[([0-9;]*)m", text):
        out.append(html.escape(text[pos:m.start()]))
        pos = m.end()
        codes = [int(c) if c else 0 for c in m.group(1).split(";")]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                fg = bg = None
                bold = False
            elif c == 1:
                bold = True
            elif c == 22:
                bold = False
            elif 30 <= c <= 37 or 90 <= c <= 97:
                fg = _BASE16[c - 30 if c < 90 else c - 90 + 8]
            elif 40 <= c <= 47 or 100 <= c <= 107:
                bg = _BASE16[c - 40 if c < 100 else c - 100 + 8]
            elif c == 39:
                fg = None
            elif c == 49:
                bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                colour = None
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    colour = _xterm256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    colour = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5])
                    i += 4
                if c == 38:
                    fg = colour
                else:
                    bg = colour
            i += 1
        if open_span:
            out.append("</span>")
            open_span = False
        style = []
        if fg:
            style.append("color:" + fg)
        if bg:
            style.append("background:" + bg)
        if bold:
            style.append("font-weight:bold")
        if style:
            out.append('<span style="%s">' % ";".join(style))
            open_span = True
    out.append(html.escape(text[pos:]))
    if open_span:
        out.append("</span>")
    out.append("</pre>")
    return "".join(out)


# --------------------------------------------------------------------- the CLI

def cli_path():
    """The mpheap command: $MPHEAP_BIN, the installed one, the source tree's build/, PATH."""
    env = os.environ.get("MPHEAP_BIN")
    if env:
        return env
    places = []
    try:
        from . import _installed
        places.append(os.path.join(_installed.BINDIR, "mpheap"))
    except ImportError:
        pass
    places.append(os.path.join(_here, "..", "..", "build", "mpheap"))
    for p in places:
        if os.access(p, os.X_OK):
            return os.path.normpath(p)
    found = shutil.which("mpheap")
    if found:
        return found
    raise FileNotFoundError("the mpheap command was not found: set MPHEAP_BIN, or install it")


class CliOutput:
    """What one run of the CLI printed, shown as HTML in a notebook."""

    def __init__(self, argv, returncode, stdout, stderr):
        self.argv, self.returncode, self.stdout, self.stderr = argv, returncode, stdout, stderr

    def _repr_html_(self):
        parts = [ansi_to_html(self.stdout)] if self.stdout else []
        if self.stderr:
            parts.append('<pre class="mpheap-stderr" style="color:#b00">%s</pre>'
                         % html.escape(self.stderr))
        return "".join(parts) or "<pre>(no output)</pre>"

    def __repr__(self):
        return self.stdout + self.stderr


def run_cli(args, stdin=None):
    """Run `mpheap ARGS` with colours on and no pager; a CliOutput."""
    argv = [cli_path()] + list(args)
    env = dict(os.environ, MPHEAP_PAGER="cat", COLUMNS=os.environ.get("MPHEAP_COLUMNS", "140"))
    env.pop("NO_COLOR", None)
    if args and args[0] in ("show", "diff") and not any(a.startswith("--color") for a in args):
        argv[2:2] = ["--color=always"]
    p = subprocess.run(argv, input=stdin, capture_output=True, env=env)
    return CliOutput(argv, p.returncode, p.stdout.decode("utf-8", "replace"),
                     p.stderr.decode("utf-8", "replace"))


# ------------------------------------------------------------------- the magics

def _snapshot_text(s):
    """The lines of a snapshot in its log, with its marker line."""
    first, last = s.lines
    lines = s.log.text.splitlines(True)
    start = max(0, first - 2) if s.label else first - 1
    return "".join(lines[start:last])


def _args_with_files(words, user_ns, tmp):
    """Words naming a Log, a Snapshot or dump text in the notebook become files."""
    out = []
    for w in words:
        obj = user_ns.get(w) if user_ns is not None and w.isidentifier() else None
        if isinstance(obj, (Log, Snapshot, str)) and not (isinstance(obj, str) and "\n" not in obj):
            text = (obj.text if isinstance(obj, Log) else
                    _snapshot_text(obj) if isinstance(obj, Snapshot) else obj)
            path = os.path.join(tmp, "%s.txt" % w)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            out.append(path)
        else:
            out.append(w)
    return out


def mpheap_magic(line, cell=None, user_ns=None):
    """%mpheap CMD ARGS: the CLI command; %%mpheap [CMD ARGS]: on the cell's text."""
    words = shlex.split(line)
    if cell is not None and not words:
        return load(cell.encode("utf-8"), name="<cell>")
    if not words:
        return run_cli(["--help"])
    with tempfile.TemporaryDirectory(prefix="mpheap-") as tmp:
        args = _args_with_files(words, user_ns, tmp)
        if cell is not None:
            path = os.path.join(tmp, "cell.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write(cell)
            args.append(path)
        return run_cli(args)


def load_ipython_extension(ipython):
    """%load_ext mpheap: registers %mpheap and %%mpheap."""
    def magic(line, cell=None):
        return mpheap_magic(line, cell, ipython.user_ns)
    magic.__doc__ = mpheap_magic.__doc__
    ipython.register_magic_function(magic, "line_cell", "mpheap")


def unload_ipython_extension(ipython):
    ipython.magics_manager.magics["line"].pop("mpheap", None)
    ipython.magics_manager.magics["cell"].pop("mpheap", None)
