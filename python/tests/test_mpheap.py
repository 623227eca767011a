"""Unit tests of the Python package against the real samples in tests/data and dumps made at
test time on the virtual board. The CLI is the reference: what Python gives must equal what
`mpheap ... --json` prints for the same input.

    MPHEAP_LIB=build/libmpheap.so PYTHONPATH=python python3 -m unittest discover -s python/tests

MPHEAP (or MPHEAP_BIN) names the CLI (default build/mpheap); tests/cli/install.sh runs this.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))

import mpheap  # noqa: E402
from mpheap import notebook  # noqa: E402

CLI = os.environ.get("MPHEAP_BIN") or os.environ.get("MPHEAP") or "build/mpheap"
if not os.path.isabs(CLI):
    CLI = os.path.join(ROOT, CLI)
SAMPLES = sorted(glob.glob(os.path.join(ROOT, "tests/data/samples/*.txt")))
VARIANTS = sorted(glob.glob(os.path.join(ROOT, "tests/data/variants/*.txt")))
MALFORMED = sorted(glob.glob(os.path.join(ROOT, "tests/data/malformed/*.txt")))
FRAGMENTER = os.path.join(ROOT, "examples/fragmenter.py")


def setUpModule():
    # Paths in the tests, and the ones the CLI prints, are relative to the repository.
    os.chdir(ROOT)


def cli(*args, check=True):
    p = subprocess.run([CLI] + list(args), capture_output=True, cwd=ROOT,
                       env=dict(os.environ, MPHEAP_PAGER="cat", NO_COLOR="1"))
    if check and p.returncode != 0:
        raise AssertionError("mpheap %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                         p.stderr.decode()))
    return p


def cli_json(*args):
    return json.loads(cli(*args).stdout)


def rel(path):
    return os.path.relpath(path, ROOT)


def board_missing():
    """Why the virtual board cannot run here, or None."""
    if not shutil.which(os.environ.get("MPHEAP_NODE", "node")):
        return "no node (Node.js) on PATH"
    if not os.path.isdir(os.path.join(ROOT, "board/node_modules/@micropython")):
        return "the board's npm packages are missing (npm ci --prefix board)"
    return None


def read(path, mode="r"):
    with open(os.path.join(ROOT, path), mode) as f:
        return f.read()


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Version(unittest.TestCase):
    def test_version_and_features_are_the_cli_s(self):
        out = cli("--version").stdout.decode().splitlines()
        self.assertTrue(out[0].startswith("mpheap %s " % mpheap.version), out)
        words = out[1].split(":", 1)[1].split()
        feats = mpheap.features()
        for name, on in feats.items():
            self.assertIn(("+" if on else "-") + name, words)
        self.assertIn("avx2", feats)
        self.assertIn("libpng", feats)


class Figures(unittest.TestCase):
    """snapshot.figures == `mpheap stats --json -s N FILE`, for every snapshot of every real
    sample and era variant."""

    def test_every_sample_and_variant(self):
        n = 0
        for path in SAMPLES + VARIANTS:
            log = mpheap.load(rel(path))
            for s in log:
                want = cli_json("stats", "--json", "-s", str(s.index + 1), rel(path))
                self.assertEqual(s.figures, want, "%s #%d" % (path, s.index + 1))
                n += 1
        self.assertGreater(n, 20)

    def test_fit_sizes(self):
        path = rel(os.path.join(ROOT, "tests/data/samples/u32-frag-256k.txt"))
        s = mpheap.load(path)[0]
        self.assertEqual(s.stats(fit=[4096, 16384]),
                         cli_json("stats", "--json", "--fit", "4K,16K", path))

    def test_text_bytes_and_path_agree(self):
        path = os.path.join(ROOT, "tests/data/samples/u64-objects-256k.txt")
        with open(path, "rb") as f:
            data = f.read()
        a = mpheap.load(path)[0].figures
        b = mpheap.load(data)[0].figures
        c = mpheap.load(data.decode(), name=path)[0].figures
        self.assertEqual(a, c)
        b["source"]["name"] = a["source"]["name"]
        self.assertEqual(a, b)


class Model(unittest.TestCase):
    def test_areas_and_allocations_match_the_figures(self):
        for path in SAMPLES:
            for s in mpheap.load(path):
                whole = s.figures["whole"]
                areas = s.areas
                self.assertEqual(len(areas), s.figures["source"]["areas"])
                self.assertEqual(sum(a.n_blocks for a in areas), whole["total"]["blocks"])
                for a in areas:
                    self.assertEqual(len(a.cells), a.n_blocks)
                allocs = list(s.allocations())
                heads = [x for x in allocs if not x.orphan]
                self.assertEqual(len(heads), whole["allocations"], path)
                self.assertEqual(sum(x.n_blocks for x in allocs), whole["used"]["blocks"], path)
                for x in heads[:50]:
                    self.assertEqual(areas[x.area].cells[x.block], x.type)
                    self.assertIn(x.type, "TLDSAFBMhm")
                    self.assertEqual(areas[x.area].cells[x.block + 1:x.block + x.n_blocks],
                                     "=" * (x.n_blocks - 1))

    def test_log_sequence_and_find(self):
        log = mpheap.load(os.path.join(ROOT, "tests/data/samples/seq-leak-5snapshots.txt"))
        self.assertEqual(len(log), 5)
        self.assertIs(log[-1], log[4])
        self.assertIs(log.find("-1"), log[4])
        self.assertIs(log.find("2"), log[1])
        with self.assertRaises(KeyError):
            log.find("no such label at all")
        self.assertEqual([s.index for s in log], [0, 1, 2, 3, 4])

    def test_diff_equals_cli(self):
        path = rel(os.path.join(ROOT, "tests/data/samples/seq-leak-5snapshots.txt"))
        log = mpheap.load(path)
        d = log[0].diff(log[-1])
        self.assertEqual(d.figures, cli_json("diff", "--json", "--from", "1", "--to", "5", path))
        self.assertIn("largest free", d.text())

    def test_timeline_equals_cli(self):
        path = rel(os.path.join(ROOT, "tests/data/samples/seq-leak-5snapshots.txt"))
        log = mpheap.load(path)
        self.assertEqual(log.timeline().figures, cli_json("timeline", "--json", path))

    def test_need_equals_the_cli_s_verdict(self):
        path = rel(os.path.join(ROOT, "tests/data/variants/canon/c00.txt"))
        s = mpheap.load(path)[-1]
        for size, outcome in (("4K", "fits-now"), ("120K", "may-fit-after-collection")):
            v = s.need(size)
            self.assertEqual(v.outcome, outcome)
            want = cli_json("stats", "--json", "--need", size, path)["verdict"]
            self.assertEqual(v.figures["verdict"], want)
            self.assertIn("fits now?", v.text())
        with self.assertRaises(ValueError):
            s.need(0)

    def test_the_c_objects_outlive_their_python_owners_correctly(self):
        # A diff keeps its snapshots' log alive after the caller drops every other reference.
        d = mpheap.load(SAMPLES[0])[0].diff(mpheap.load(SAMPLES[0])[-1])
        import gc
        gc.collect()
        self.assertIn("schema", d.figures)
        s = mpheap.load(SAMPLES[0])[0]
        gc.collect()
        self.assertTrue(s.figures["whole"])


class Errors(unittest.TestCase):
    """Every malformed input: the exception carries the CLI's file, line, column and message;
    what the CLI accepts (with warnings) Python accepts."""

    def test_malformed_inputs_as_the_cli(self):
        raised = 0
        for path in MALFORMED:
            strict = "strict" in os.path.basename(path)
            args = ["stats", "--json"] + (["--strict"] if strict else []) + [rel(path)]
            p = cli(*args, check=False)
            m = re.search(r"^mpheap: (.*?):(\d+):(\d+): error: (.*)$", p.stderr.decode(), re.M)
            if p.returncode == 0:
                log = mpheap.load(rel(path), strict=strict)
                self.assertEqual(log[-1].figures, json.loads(p.stdout), path)
                continue
            self.assertEqual(p.returncode, 3, path)
            with self.assertRaises(mpheap.ParseError) as cm:
                mpheap.load(rel(path), strict=strict)[-1].figures
            e = cm.exception
            self.assertTrue(m, p.stderr)
            self.assertEqual((e.file, e.line, e.column, e.message),
                             (m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)), path)
            self.assertTrue(str(e).startswith("%s:%d:%d: " % (e.file, e.line, e.column)))
            raised += 1
        self.assertGreater(raised, 5)

    def test_not_a_dump(self):
        with self.assertRaises(mpheap.ParseError) as cm:
            mpheap.load("hello\nworld\n")
        self.assertEqual(cm.exception.file, "<text>")
        self.assertEqual(cm.exception.code, "not found")
        self.assertIsInstance(cm.exception, ValueError)

    def test_missing_file_and_bad_types(self):
        with self.assertRaises(OSError):
            mpheap.load(os.path.join(ROOT, "no/such/file.txt"))
        with self.assertRaises(TypeError):
            mpheap.load(42)


class FromOutput(unittest.TestCase):
    def test_prompts_crlf_and_escapes(self):
        text = read("tests/data/samples/u64-objects-256k.txt")
        printed = (">>> import micropython\r\n>>> micropython.mem_info(1)\r\n"
                   + "\x1b[0m" + text.replace("\n", "\r\n") + ">>> \x1b[K")
        want = mpheap.load(text)[0].figures["whole"]
        for form in (printed, printed.encode(), printed.splitlines(True)):
            self.assertEqual(mpheap.from_output(form)[0].figures["whole"], want)

        class Captured:
            stdout = printed
        self.assertEqual(mpheap.from_output(Captured())[0].figures["whole"], want)


class Html(unittest.TestCase):
    def test_to_html_holds_the_figures(self):
        path = os.path.join(ROOT, "tests/data/samples/seq-leak-5snapshots.txt")
        log = mpheap.load(path)
        try:
            page = log[2].to_html()
        except NotImplementedError as e:
            self.assertIn("mph_render_html", str(e))
            self.skipTest("the library has no HTML renderer: %s" % e)
        self.assertTrue(page.startswith("<!DOCTYPE html>"))
        island = re.search(r'<script type="application/json" id="mpheap-data">(.*?)</script>',
                           page, re.S)
        data = json.loads(island.group(1))
        stats = data["snapshots"][2]["stats"]
        want = dict(log[2].figures)
        self.assertEqual({k: v for k, v in stats.items() if k != "source"},
                         {k: v for k, v in want.items() if k != "source"})
        frame = log[2]._repr_html_()
        self.assertTrue(frame.startswith("<iframe"))
        self.assertIn("mpheap-data", frame)
        self.assertIn("<iframe", log[0].diff(log[1])._repr_html_())
        self.assertIn("<iframe", log.timeline()._repr_html_())


class Magics(unittest.TestCase):
    def test_line_magic_runs_the_cli(self):
        path = rel(os.path.join(ROOT, "tests/data/samples/u32-frag-256k.txt"))
        old = os.getcwd()
        os.chdir(ROOT)
        try:
            out = notebook.mpheap_magic("show --need 4K --no-pager %s" % path)
        finally:
            os.chdir(old)
        self.assertEqual(out.returncode, 0, out.stderr)
        want = cli("show", "--color=never", "--need", "4K", path).stdout.decode()
        plain = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout)
        self.assertEqual(plain.splitlines()[:8], want.splitlines()[:8])
        self.assertIn("<span style=", out._repr_html_())  # the colours, as HTML

    def test_variables_stand_for_files(self):
        log = mpheap.load(os.path.join(ROOT, "tests/data/samples/seq-leak-5snapshots.txt"))
        out = notebook.mpheap_magic("stats --json s", user_ns={"s": log[1]})
        got = json.loads(out.stdout)
        self.assertEqual(got["whole"], log[1].figures["whole"])

    def test_cell_magic(self):
        text = read("tests/data/samples/u64-objects-256k.txt")
        log = notebook.mpheap_magic("", text)
        self.assertIsInstance(log, mpheap.Log)
        out = notebook.mpheap_magic("stats --json", text)
        self.assertEqual(json.loads(out.stdout)["whole"], log[0].figures["whole"])

    def test_ipython_extension(self):
        try:
            from IPython.core.interactiveshell import InteractiveShell
        except ImportError:
            self.skipTest("IPython is not installed (Debian: python3-ipython)")
        ip = InteractiveShell.instance()
        ip.run_line_magic("load_ext", "mpheap")
        path = os.path.join(ROOT, "tests/data/samples/u64-objects-256k.txt")
        log = ip.run_cell_magic("mpheap", "", read(path))
        self.assertIsInstance(log, mpheap.Log)
        ip.user_ns["lg"] = log
        out = ip.run_line_magic("mpheap", "stats --json lg")
        self.assertEqual(json.loads(out.stdout)["whole"], log[0].figures["whole"])
        ip.run_line_magic("unload_ext", "mpheap")

    def test_ansi_to_html(self):
        h = notebook.ansi_to_html("a\x1b[0;38;5;16;48;5;226mB<\x1b[0mc\x1b[31md")
        self.assertEqual(h, '<pre class="mpheap" style="line-height:1.15;font-size:12px">a'
                            '<span style="color:#000000;background:#ffff00">B&lt;</span>c'
                            '<span style="color:#cd0000">d</span></pre>')


@unittest.skipIf(board_missing(), board_missing() or "")
class Board(unittest.TestCase):
    """Dumps made now, on the virtual board (real MicroPython in WebAssembly)."""

    def test_capture_fragmenter(self):
        log = mpheap.capture(port="sim:64K,fixed", gc=True, run=FRAGMENTER, before=True)
        self.assertEqual(len(log), 2)
        self.assertIn("MemoryError: memory allocation failed, allocating 4096 bytes", log.raised)
        self.assertIn("kept", log.output)
        before, after = log[0], log[-1]
        self.assertTrue(after.after_collect)
        self.assertEqual(after.label.split(": ", 1)[1], "after fragmenter.py")
        v = after.need()
        self.assertEqual(v.figures["verdict"]["need_bytes"], 4096)
        self.assertEqual(v.outcome, "fails")
        self.assertGreater(before.figures["whole"]["largest_free"]["bytes"],
                           after.figures["whole"]["largest_free"]["bytes"])
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "frag.log")
            with open(path, "w") as f:
                f.write(log.text)
            again = mpheap.load(path)
            self.assertEqual(again[-1].figures, cli_json("stats", "--json", "-s", "2", path))
            d = again[0].diff(again[-1])
            self.assertEqual(d.figures, cli_json("diff", "--json", "--from", "1", "--to", "2",
                                                 path))

    def test_board_session(self):
        with mpheap.Board("sim:64K") as b:
            first = b.snapshot("start", gc=True)
            self.assertEqual(b.exec("print(6 * 7)"), "42\n")
            b.exec("keep = [bytearray(100) for i in range(50)]")
            second = b.snapshot("kept", gc=True)
            with self.assertRaises(mpheap.BoardRaised) as cm:
                b.exec("1 / 0")
            self.assertIn("ZeroDivisionError", cm.exception.traceback)
            self.assertGreater(second.figures["whole"]["used"]["bytes"],
                               first.figures["whole"]["used"]["bytes"] + 5000)
            self.assertEqual(len(b.log()), 2)

    def test_no_board(self):
        with self.assertRaises(mpheap.DeviceError) as cm:
            mpheap.capture(port="/dev/mpheap-no-such-port")
        self.assertIn("/dev/mpheap-no-such-port", str(cm.exception))


class Leaks(unittest.TestCase):
    """10,000 loads (each with its figures, a verdict and a diff) must not grow the process:
    the C objects are freed with their Python owners."""

    @unittest.skipIf(os.environ.get("MPHEAP_SANITIZED"),
                     "under AddressSanitizer RSS holds its quarantine of freed memory")
    def test_rss_over_10000_loads(self):
        path = os.path.join(ROOT, "tests/data/samples/u32-frag-256k.txt")
        data = read(path, "rb")

        def one():
            log = mpheap.load(data)
            s = log[0]
            s.figures
            s.need(4096).outcome
            s.diff(s).figures
            next(s.allocations())

        for _ in range(1000):  # warm up: allocator pools, caches
            one()
        import gc
        gc.collect()
        before, objects = rss_kib(), len(gc.get_objects())
        for _ in range(10000):
            one()
        gc.collect()
        after = rss_kib()
        grown = after - before
        self.assertLess(len(gc.get_objects()) - objects, 100)  # no Python object kept either
        sys.stderr.write("\n  RSS over 10,000 loads of %s (%d bytes): %d KiB -> %d KiB (%+d KiB)\n"
                         % (os.path.basename(path), len(data), before, after, grown))
        # A leaked log alone is ~70 KiB here: 10,000 of them would be ~700 MB.
        self.assertLess(grown, 2048)


if __name__ == "__main__":
    unittest.main()
