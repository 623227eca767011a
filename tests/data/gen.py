#!/usr/bin/env python3
"""Derive the hand-made test inputs of tests/data/ from the real dumps in tests/data/samples/.

    python3 tests/data/gen.py [--samples DIR] [--out DIR]

Reproducible: the same samples give byte-identical files (tests/cli/gen.sh checks this when
python3 is there). The outputs are checked in, so the tests need neither.

What it writes (DIR = tests/data):
  variants/NAME.txt   a real dump re-printed as another MicroPython era printed it, or pasted the
                      way people paste (CRLF, RTT prefixes, prompts, log lines ...)
  variants/NAME.canon the same heap printed by v1.20+ (%08x rows, LF, nothing around it): mpheap
                      must show NAME.txt exactly as it shows NAME.canon
  variants/MANIFEST   NAME<TAB>what it exercises
  malformed/NAME.txt  a real dump with one kind of damage (or a file that is no dump at all)
  malformed/EXPECT    NAME<TAB>exit<TAB>line<TAB>column<TAB>level<TAB>message part<TAB>options
                      where the damage is, computed here from the edit that made it

How MicroPython printed a map in each era is in docs/format.md; print_map
below follows py/gc.c's gc_dump_alloc_table of each era, and gc_info() its gc_info().
"""
import argparse
import os
import random
import re
import sys

HEADS = set("hTLDSAFBMm")


# ----------------------------------------------------------------- the model

class Area:
    def __init__(self, base, cells):
        self.base = base
        self.cells = cells  # a str, one char per block, tails as '='


class Dump:
    def __init__(self):
        self.label = None  # a marker line printed just before mem_info
        self.mem = None  # (total, current, peak)
        self.stack = None  # (used, limit or None)
        self.gc_split = None  # max new split, or None
        self.areas = []
        self.bpb = 0

    def copy(self):
        d = Dump()
        d.label, d.mem, d.stack, d.gc_split, d.bpb = self.label, self.mem, self.stack, self.gc_split, self.bpb
        d.areas = [Area(a.base, a.cells) for a in self.areas]
        return d


def read_dumps(text):
    """Read the clean v1.20+ dumps of a sample (LF or CRLF, prompts allowed around them)."""
    dumps, cur, last_text = [], None, None
    row_re = re.compile(r"^([0-9a-f]{8}): (\S+)$")
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        m = re.match(r"^mem: total=(\d+), current=(\d+), peak=(\d+)$", line)
        if m:
            cur = Dump()
            cur.label = last_text
            dumps.append(cur)
            cur.mem = tuple(int(x) for x in m.groups())
            continue
        m = re.match(r"^stack: (\d+) out of (\d+)$", line)
        if m:
            cur.stack = (int(m.group(1)), int(m.group(2)))
            continue
        m = re.match(r"^GC: total: (\d+), used: (\d+), free: (\d+)(?:, max new split: (\d+))?$", line)
        if m:
            cur.gc = tuple(int(x) for x in m.groups()[:3])
            cur.gc_split = int(m.group(4)) if m.group(4) else None
            continue
        m = re.match(r"^ No\. of 1-blocks: (\d+), 2-blocks: (\d+), max blk sz: (\d+), max free sz: (\d+)$", line)
        if m:
            cur.printed_blocks = tuple(int(x) for x in m.groups())
            continue
        m = re.match(r"^GC memory layout; from ([0-9a-f]+):$", line)
        if m:
            cur.areas.append(Area(int(m.group(1), 16), ""))
            cur.rows = []
            continue
        m = re.match(r"^       \((\d+) lines all free\)$", line)
        if m:
            cur.areas[-1].cells += "." * 64 * int(m.group(1))
            continue
        m = row_re.match(line)
        if m and cur and cur.areas:
            off = int(m.group(1), 16)
            a = cur.areas[-1]
            if len(a.cells) and not cur.bpb:
                cur.bpb = off // len(a.cells)
            a.cells += m.group(2)
            continue
        if line.strip():
            last_text = line
    for d in dumps:
        if not d.bpb:  # one row only: from the total
            d.bpb = d.gc[0] // sum(len(a.cells) for a in d.areas)
        # The reader is right only if MicroPython's own figures come out of the map.
        assert sum(len(a.cells) for a in d.areas) * d.bpb == d.gc[0], "cells x bpb != total"
        assert gc_info(d)[:4] == list(d.printed_blocks), (gc_info(d), d.printed_blocks)
        assert free_blocks(d) * d.bpb == d.gc[2]
    return dumps


def kind(c):
    if c == ".":
        return "free"
    if c in "=t":
        return "tail"
    if c == "m":
        return "mark"
    return "head"


def gc_info(d, old=False):
    """py/gc.c gc_info(): 1-blocks, 2-blocks, max blk sz, max free sz (blocks).

    old: as up to v1.8.1, which counted an allocation when the block after it was free or a
    head, and so never the one that reaches the heap's end (6a6e0b7e05 fixed it in v1.8.2)."""
    n1 = n2 = max_block = max_free = 0
    for a in d.areas:
        n = len(a.cells)
        length = len_free = 0
        for b in range(n):
            k = kind(a.cells[b])
            if k == "free":
                len_free += 1
                length = 0
            elif k == "head":
                length = 1
            elif k == "tail":
                length += 1
            finish = b + 1 == n
            nk = None if finish else kind(a.cells[b + 1])
            if (finish and not old) or nk in ("free", "head"):
                if length == 1:
                    n1 += 1
                elif length == 2:
                    n2 += 1
                max_block = max(max_block, length)
            if finish or nk == "head":
                max_free = max(max_free, len_free)
                len_free = 0
    return [n1, n2, max_block, max_free]


def free_blocks(d):
    return sum(a.cells.count(".") for a in d.areas)


def total_blocks(d):
    return sum(len(a.cells) for a in d.areas)


# ----------------------------------------------------------------- printers

ERAS = {
    # rows, tails, heads kept, abbreviation, "max free sz", header format
    "v1.20": dict(rows="off8", tail="=", heads=HEADS, abbrev=True, max_free=True, layout="from"),
    "v1.19": dict(rows="off5", tail="=", heads=HEADS, abbrev=True, max_free=True, layout="from"),
    "v1.8.1": dict(rows="off5", tail="=", heads=HEADS, abbrev=True, max_free=False, layout="from"),
    "v1.8": dict(rows="abs5", tail="t", heads=set("hTLDFBMm"), abbrev=True, max_free=False, layout="from"),
    "v1.3": dict(rows="idx4", tail="t", heads=set("hm"), abbrev=False, max_free=False, layout="from"),
    "pre-v1.0": dict(rows="idx4", tail="t", heads=set("hm"), abbrev=False, max_free=False, layout="bare"),
    "cp7": dict(rows="off8", tail="=", heads=HEADS, abbrev=True, max_free=True, layout="0x"),
    # not an era: the canonical form of what pre-v1.0 shows (no base address)
    "v1.20-nobase": dict(rows="off8", tail="=", heads=HEADS, abbrev=True, max_free=True, layout="bare"),
}


def era_cells(cells, era):
    e = ERAS[era]
    out = []
    for c in cells:
        if c == "=":
            out.append(e["tail"])
        elif c in HEADS and c not in e["heads"]:
            out.append("h")
        else:
            out.append(c)
    return "".join(out)


def row_label(era, area, bl, bpb):
    rows = ERAS[era]["rows"]
    if rows == "off8":
        return "%08x" % ((bl * bpb) & 0xFFFFFFFF)
    if rows == "off5":
        return "%05x" % ((bl * bpb) & 0xFFFFF)
    if rows == "abs5":
        return "%05x" % ((area.base + bl * bpb) & 0xFFFFF)
    return "%04x" % bl


def print_area(era, area, bpb):
    """gc_dump_alloc_table's loop for one area: the text from the header line to its final '\\n'."""
    e = ERAS[era]
    if e["layout"] == "bare":
        out = "GC memory layout:"
    elif e["layout"] == "0x":
        out = "GC memory layout; from 0x%x:" % area.base
    else:
        out = "GC memory layout; from %x:" % area.base
    cells = era_cells(area.cells, era)
    n = len(cells)
    bl = 0
    while bl < n:
        if bl % 64 == 0:
            if e["abbrev"]:
                bl2 = bl
                while bl2 < n and cells[bl2] == ".":
                    bl2 += 1
                if bl2 - bl >= 2 * 64:
                    out += "\n       (%u lines all free)" % ((bl2 - bl) // 64)
                    bl = bl2 & ~63
                    if bl >= n:
                        break
            out += "\n%s: " % row_label(era, area, bl, bpb)
        out += cells[bl]
        bl += 1
    return out + "\n"


def print_dump(d, era="v1.20", label=True, header=True):
    """What `print(marker); micropython.mem_info(1)` prints (LF)."""
    e = ERAS[era]
    out = ""
    if label and d.label:
        out += d.label + "\n"
    if header:
        n1, n2, mb, mf = gc_info(d, old=not e["max_free"])
        total = total_blocks(d) * d.bpb
        free = free_blocks(d) * d.bpb
        if d.mem:
            out += "mem: total=%d, current=%d, peak=%d\n" % d.mem
        if d.stack:
            out += ("stack: %d out of %d\n" % d.stack) if d.stack[1] is not None else ("stack: %d\n" % d.stack[0])
        out += "GC: total: %d, used: %d, free: %d" % (total, total - free, free)
        if d.gc_split is not None:
            out += ", max new split: %d" % d.gc_split
        out += "\n No. of 1-blocks: %d, 2-blocks: %d, max blk sz: %d" % (n1, n2, mb)
        if e["max_free"]:
            out += ", max free sz: %d" % mf
        out += "\n"
    for a in d.areas:
        out += print_area(era, a, d.bpb)
    return out


def print_log(dumps, era="v1.20", between=None):
    out = ""
    for i, d in enumerate(dumps):
        if i and between:
            out += between
        out += print_dump(d, era)
    return out


def canon_of(dumps, era):
    """The v1.20 print of what an era could show: its head letters and tails normalised."""
    cs = []
    for d in dumps:
        c = d.copy()
        for a in c.areas:
            a.cells = era_cells(a.cells, era).replace("t", "=")
        cs.append(c)
    return print_log(cs, "v1.20-nobase" if ERAS[era]["layout"] == "bare" else "v1.20")


# ------------------------------------------------------------- paste styles

def lines_of(text):
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


def prefix_each(text, prefix):
    return "".join(prefix + ln + "\n" for ln in lines_of(text))


def eol(text, nl):
    return text.replace("\n", nl)


BANNER = ("MicroPython v1.19.1 on 2022-06-18; ESP32 module with ESP32\n"
          "Type \"help()\" for more information.\n")


# ------------------------------------------------------------------- writers

class Writer:
    def __init__(self, out):
        self.out = out
        self.manifest = []
        self.canons = {}
        self.expect = []

    def write(self, rel, data):
        path = os.path.join(self.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(data, str):
            data = data.encode("latin-1")
        with open(path, "wb") as f:
            f.write(data)

    def variant(self, name, text, canon, what):
        """canon None: the variant is its own reference (a golden output checks it)."""
        self.write("variants/%s.txt" % name, text)
        cname = "-"
        if canon is not None:
            # pastes of one log share one canonical file
            cname = self.canons.setdefault(canon, "c%02d" % len(self.canons))
            self.write("variants/canon/%s.txt" % cname, canon)
        self.manifest.append("%s\t%s\t%s" % (name, cname, what))

    def malformed(self, name, data, rc, line, col, level, msg, opts=""):
        self.write("malformed/%s.txt" % name, data)
        self.expect.append("\t".join([name, str(rc), str(line), str(col), level, msg, opts]))

    def finish(self):
        self.write("variants/MANIFEST", "# name\tcanonical (variants/canon/NAME.txt, - = none)\twhat\n" +
                   "".join(x + "\n" for x in self.manifest))
        head = ("# name\texit\tline\tcolumn\tlevel\tmessage part\toptions "
                "(written by tests/data/gen.py; read by tests/cli/malformed.sh)\n")
        self.write("malformed/EXPECT", head + "".join(x + "\n" for x in self.expect))


def line_col(text, needle, nth=0, after=0):
    """1-based line and column of the nth occurrence of needle (searching from line `after`)."""
    count = 0
    for i, ln in enumerate(lines_of(text)):
        if i + 1 < after:
            continue
        j = ln.find(needle)
        while j >= 0:
            if count == nth:
                return i + 1, j + 1
            count += 1
            j = ln.find(needle, j + 1)
    raise ValueError("not found: %r" % needle)


def row_line(text, label):
    """Line number of the row printed with offset label (e.g. '00000c00')."""
    for i, ln in enumerate(lines_of(text)):
        if ln.startswith(label + ": "):
            return i + 1
    raise ValueError(label)


def replace_line(text, lineno, new):
    ls = lines_of(text)
    ls[lineno - 1] = new
    return "".join(x + "\n" for x in ls)


def delete_line(text, lineno):
    ls = lines_of(text)
    del ls[lineno - 1]
    return "".join(x + "\n" for x in ls)


def insert_line(text, lineno, new):
    ls = lines_of(text)
    ls.insert(lineno - 1, new)
    return "".join(x + "\n" for x in ls)


# -------------------------------------------------------------------- main

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", default=os.path.join(here, "samples"))
    ap.add_argument("--out", default=here)
    ap.add_argument("--corpus", default=os.path.join(here, "..", "..", "fuzz", "corpus"))
    args = ap.parse_args()

    def sample(name):
        with open(os.path.join(args.samples, name), "rb") as f:
            return read_dumps(f.read().decode("latin-1"))

    u32 = sample("u32-frag-256k.txt")[0]
    u64 = sample("u64-objects-256k.txt")[0]
    fresh = sample("u64-fresh-2M-default.txt")[0]
    split = sample("u64split4-objects-64k.txt")[0]
    leak = sample("seq-leak-5snapshots.txt")
    w = Writer(args.out)

    # ---- eras: the same heap as each MicroPython era printed it
    for era in ("v1.19", "v1.8.1", "v1.8", "v1.3", "pre-v1.0", "cp7"):
        for tag, d in (("u32", u32), ("u64", u64)):
            w.variant("era-%s-%s" % (era, tag), print_dump(d, era), canon_of([d], era),
                      "%s rows (%s) of %s" % (era, ERAS[era]["rows"], tag))
    # A 2 MiB heap with objects on both sides of the 1 MiB wrap of the %05x eras: the fresh
    # 2M map with the u64 sample's objects copied across block 32768 (= 1 MiB / 32).
    wrap = fresh.copy()
    c = wrap.areas[0].cells
    obj = u64.areas[0].cells[:3072]
    at = 32768 - 1500
    wrap.areas[0].cells = c[:at] + obj + c[at + len(obj):]
    assert len(wrap.areas[0].cells) == len(c)
    wrap.label = "objects across the 1 MiB wrap"
    for era in ("v1.20", "v1.19", "v1.8"):
        w.variant("wrap1m-%s" % era, print_dump(wrap, era), canon_of([wrap], era) if era != "v1.20" else None,
                  "%s rows wrapping after 1 MiB (2 MiB heap, 32-byte blocks)" % era)
    # %05x absolute addresses that wrap inside the heap: a 32-bit pool at 0x3ffe4db0 (esp8266-like).
    esp = u32.copy()
    esp.areas[0].base = 0x3FFF8DB0
    w.variant("wrapabs-v1.8", print_dump(esp, "v1.8"), canon_of([esp], "v1.8"),
              "v1.3.5-v1.8 absolute-address rows wrapping at 0x40000000 inside the heap")
    # Objects exactly at 1 MiB: the first row after the abbrev prints "00000" again, so the
    # step across the abbrev fits 32, 64, ... 4096-byte blocks; the next rows decide.
    amb = fresh.copy()
    c = amb.areas[0].cells
    amb.areas[0].cells = c[:32768] + obj[:700] + c[32768 + 700:]
    w.variant("wrap1m-ambiguous-v1.19", print_dump(amb, "v1.19"), canon_of([amb], "v1.19"),
              "v1.19 rows: the step across \"(511 lines all free)\" fits several block sizes")
    # Before v1.3.5 the block index was printed unmasked: 5 digits past block 0xffff.
    big = fresh.copy()
    big.areas[0].cells = c + obj[:1024]
    w.variant("era-v1.3-5digit-index", print_dump(big, "v1.3"), canon_of([big], "v1.3"),
              "v1.3 block indexes growing from 4 to 5 digits (66 k blocks)")
    # v1.3.5-v1.8 map with no header lines: rows start at the address's low bits, not 00000.
    w.variant("headerless-v1.8", "".join(x + "\n" for x in lines_of(print_dump(u32, "v1.8", label=False,
              header=False))[1:]), None, "v1.3.5-v1.8 rows (absolute addresses) with no header at all")
    # The "GC memory layout; from" text of area 2 lost, its address left alone on the line.
    lost = print_dump(split).replace("GC memory layout; from 55d2ebbc5420:", "55d2ebbc5420:")
    w.variant("lost-layout-text", lost, print_dump(split), "an area header reduced to its bare address")
    # Output of another thread printed in the middle of a map (and of its header).
    il = lines_of(print_dump(u32))
    il.insert(20, "I (5120) wifi: sta connected")
    il.insert(4, "W (5121) app: low memory")
    w.variant("interleaved", "".join(x + "\n" for x in il), print_dump(u32),
              "log lines printed inside the header and inside the map")
    # Markers with a time stamp: "LABEL @ TIME", in micropython-magic's "*** Memory info" style.
    tl = ""
    for i, d in enumerate(leak[:2]):
        tl += "*** Memory info snapshot %d @ 2026-11-26T09:5%d:00Z ***\n" % (i + 1, i)
        tl += print_dump(d, label=False) + "*********************\n"
    w.variant("labels-time", tl, None, "markers \"*** Memory info LABEL @ TIME ***\" before each dump")
    # An area whose size is a multiple of 64 and that ends with free lines: ends with an abbrev.
    tail_free = u64.copy()
    tail_free.areas[0].cells += "." * (64 - len(u64.areas[0].cells) % 64)
    w.variant("area-ends-collapsed", print_dump(tail_free), None,
              "an area whose last printed line is \"(N lines all free)\"")
    # A first area that begins with free lines (the split sample's areas 3 and 4 do too).
    head_free = u32.copy()
    head_free.areas[0].cells = "." * 300 + u32.areas[0].cells[:-300]
    head_free.areas[0].cells = head_free.areas[0].cells[:len(u32.areas[0].cells)]
    w.variant("area-starts-collapsed", print_dump(head_free), None,
              "a map whose first line is \"(N lines all free)\"")
    # Split heap with the auto-split figure (esp32 v1.21+).
    sp = split.copy()
    sp.gc_split = 129024
    w.variant("split-max-new-split", print_dump(sp), None, "GC line with \", max new split\"")
    # stack: U (no stack check), no mem: line (MCU ports)
    mcu = u32.copy()
    mcu.mem = None
    mcu.stack = (532, None)
    w.variant("stack-short-no-mem", print_dump(mcu, "v1.19"), canon_of([mcu], "v1.19"),
              "\"stack: U\" and no \"mem:\" line")

    # ---- pastes: the same log as people paste it; must show exactly as the clean log
    log = print_log(leak)
    single = print_dump(u32)
    sp_text = print_dump(split)
    pastes = [
        ("crlf", eol(log, "\r\n"), log, "CRLF line ends"),
        ("crcrlf", eol(log, "\r\r\n"), log, "\\r\\r\\n line ends (tty echo)"),
        ("rtt", prefix_each(log, " 0> "), log, "SEGGER RTT \" 0> \" before every line"),
        ("rtt-crlf", eol(prefix_each(log, " 0> "), "\r\n"), log, "RTT prefix and CRLF"),
        ("indent", prefix_each(log, "    "), log, "four spaces before every line (rst/Markdown)"),
        ("tabs", prefix_each(log, "\t"), log, "a tab before every line"),
        ("comment", prefix_each(log, "# "), log, "\"# \" before every line (code comments)"),
        ("comment-indent", prefix_each(sp_text, "    # "), sp_text, "\"    # \" before every line, split heap"),
        ("no-lead-space", single.replace("\n No. of", "\nNo. of"), single,
         "\"No. of\" lost its leading space (Markdown, e-mail)"),
        ("abbrev-indent", re.sub(r"\n       \(", "\n          (", sp_text, count=1).replace(
            "\n       (", "\n(", 1), sp_text, "\"(N lines all free)\" indented 10 and 0 spaces"),
        ("abbrev-indent8", log.replace("\n       (", "\n        ("), log, "abbrevs indented 8 spaces"),
        ("trailing-spaces", "".join(ln + "  \n" for ln in lines_of(single)), single, "trailing blanks"),
    ]
    # REPL: banner, prompts, echoed input (\r\r\n on echoed lines), print(...) -> None
    repl = BANNER + ">>> import micropython\r\r\n>>> micropython.mem_info(1)\r\r\n"
    repl += eol(print_dump(u32, label=False), "\r\n") + ">>> print(micropython.mem_info(1))\r\r\n"
    repl += eol(print_dump(u64, label=False), "\r\n") + "None\r\n>>> \r\n"
    pastes.append(("repl", repl, print_dump(u32, label=False) + print_dump(u64, label=False),
                   "REPL banner, prompts, echoed input, trailing None"))
    # Program output and tool noise between and around dumps (never right before a marker).
    noisy = "MPY: soft reboot\nTrue\nINFO boot: wifi up\n@@@\n"
    for i, d in enumerate(leak):
        noisy += "INFO app: request %d handled\n=== paste mode echo\nI (1234) gc: collected\n\n" % i
        noisy += print_dump(d)
        noisy += ">>> \nNone\nINFO app: tick\n"
    noisy += "Traceback (most recent call last):\n  File \"main.py\", line 9\nMemoryError: memory allocation failed\n"
    pastes.append(("noisy-log", noisy, log, "log lines, soft reboot, frame markers, tracebacks around dumps"))
    # Dumps printed by gc_dump_alloc_table() alone (no mem/stack/GC lines), separated by output.
    maps_only = "\n".join(print_dump(d, header=False).rstrip("\n") for d in leak[:3]) + "\n"
    pastes.append(("maps-only", maps_only, None, "maps with no header lines, markers between them"))
    for name, text, canon, what in pastes:
        w.variant("paste-" + name, text, canon, what)
    # A map with no header lines at all, not even "GC memory layout": the base is unknown.
    bare = "".join(ln + "\n" for ln in lines_of(print_dump(u64, header=False, label=False))[1:])
    w.variant("headerless", bare, None, "rows only: no header lines, no \"GC memory layout\" line")
    # A heap full up to its last block, as a pyboard's often is: the u32 heap ending right after
    # a 1-block allocation (block 9767) or a 2-block one (9746-9747). Up to v1.8.1 gc_info left
    # that last allocation out of 1-blocks, 2-blocks and max blk sz; v1.8.2 counts it.
    for blocks, what in ((9768, "1-block"), (9748, "2-block")):
        full = u32.copy()
        full.areas[0].cells = u32.areas[0].cells[:blocks]
        assert gc_info(full, old=True) != gc_info(full)
        for era in ("v1.8", "v1.8.1", "v1.19"):
            w.variant("heap-end-%s-%s" % (what, era), print_dump(full, era), canon_of([full], era),
                      "%s: a %s allocation in the heap's last block%s" % (
                          era, what, "" if ERAS[era]["max_free"] else ", not counted"))
    # micropython-magic's log_mem() (samples/mem_info-plot.ipynb, tests/testbook_cases): a blank
    # line, "*** Memory info NAME ***" (or "Memory info: NAME", its decorator's), "time:" with
    # time_ns() or a gmtime() tuple, mem_info(1), a line of stars. 12 dumps: "step 1" is also
    # a part of "step 10" and "step 11". The canonical form: mpheap's "=== NAME @ TIME ===".
    mg, mg_canon = "", ""
    for i in range(12):
        d = leak[i % len(leak)]
        name = "step %d" % i if i != 11 else "after_test"
        marker = "*** Memory info %s ***" % name if i != 11 else "*** Memory info: %s ***" % name
        t = "%d" % (1796288729916451000 + i * 18223000)
        stamp = t
        if i == 10:
            t, stamp = "(2026, 12, 1, 14, 25, 29, 1, 335)", "2026-12-01T14:25:29"
        mg += "\n%s\ntime:%s\n" % (marker, t) + print_dump(d, label=False) + "***********************\n\n"
        mg_canon += "=== %s @ %s ===\n" % (name, stamp) + print_dump(d, label=False)
    w.variant("labels-micropython-magic", mg, mg_canon,
              "micropython-magic's log: \"*** Memory info NAME ***\", then \"time:T\", before each dump")

    # ---- malformed: one kind of damage each, located by the edit that made it
    base = print_dump(u32, label=False)  # 16-byte blocks, 251 rows, no abbrev
    b64 = print_dump(u64, label=False)  # 32-byte blocks, with an abbrev
    M = w.malformed
    M("empty", "", 3, 1, 1, "error", "no heap dump found")
    M("only-noise", BANNER + ">>> print('hi')\r\nhi\r\n>>> \r\n", 3, 5, 1, "error", "no heap dump found")
    garbage = bytes(random.Random(7).randrange(256) for _ in range(4096))
    M("binary-garbage", garbage, 3, garbage.count(b"\n") + (not garbage.endswith(b"\n")), 1, "error",
      "no heap dump found")
    M("nul-bytes", b"\0" * 1000, 3, 1, 1, "error", "no heap dump found")
    # A header with no map (mem_info() without an argument) is read since issue 8: tests/cli/verdict.sh.
    ln = row_line(base, "00000c00")
    M("truncated-row-middle", replace_line(base, ln, lines_of(base)[ln - 1][:10 + 30]), 3, ln, 41,
      "error", "only the last row of an area may have fewer than 64")
    cut = base[:base.index("00003c00: ") + 10 + 23]  # the file ends in the middle of a row
    M("truncated-file", cut, 0, lines_of(cut).__len__(), 34, "warning", "not a multiple of 4")
    M("truncated-file-strict", cut, 3, lines_of(cut).__len__(), 34, "error", "not a multiple of 4",
      "--strict")
    whole_rows = "".join(x + "\n" for x in lines_of(base)[:5 + 100])
    gl, gc = line_col(base, "GC: total: ")
    M("truncated-rows", whole_rows, 0, gl, gc + 11, "warning", "the dump is truncated")
    M("truncated-rows-strict", whole_rows, 3, gl, gc + 11, "error", "the dump is truncated", "--strict")
    ln = row_line(base, "00000c00")
    M("bad-offset", base.replace("\n00000c00: ", "\n00000c10: "), 3, ln, 1, "error", "expected 00000c00")
    M("offsets-backwards", insert_line(base, ln + 1, lines_of(base)[ln - 1]), 3, ln + 1, 1, "error",
      "offsets go backwards")
    M("missing-row", delete_line(base, ln), 3, ln, 1, "error", "a line is missing")
    bad = lines_of(base)[ln - 1]
    M("unknown-cell", replace_line(base, ln, bad[:10 + 17] + "X" + bad[10 + 18:]), 3, ln, 28, "error",
      "unknown cell 'X'")
    M("nul-in-row", replace_line(base, ln, bad[:10 + 5] + "\0" + bad[10 + 6:]), 3, ln, 16, "error",
      "unknown cell \\x00")
    M("high-byte-in-row", replace_line(base, ln, bad[:10 + 9] + "\xe9" + bad[10 + 10:]), 3, ln, 20,
      "error", "unknown cell \\xe9")
    M("row-too-long", replace_line(base, ln, bad + "h"), 3, ln, 75, "error", "at most 64")
    M("short-row-middle", replace_line(base, ln, bad[:10 + 32]), 3, ln, 43, "error",
      "only the last row of an area may have fewer than 64")
    M("mixed-digits", replace_line(base, ln, "00c00: " + bad[10:]), 3, ln, 1, "error",
      "5 hex digits, earlier rows have 8")
    ll, lc = line_col(base, "GC memory layout; from ")
    M("bad-layout-address", base.replace("; from f7c1d790:", "; from f7c1dz90:"), 3, ll, lc + 23 + 5,
      "error", "expected a hex address")
    M("layout-address-too-long", base.replace("; from f7c1d790:", "; from 1234567890abcdef12:"), 3, ll,
      lc + 23, "error", "longer than 64 bits")
    M("layout-no-address", base.replace("; from f7c1d790:", "; from :"), 3, ll, lc + 23, "error",
      "expected a hex address")
    M("layout-cut", base.replace("; from f7c1d790:", "; from f7c1d7"), 3, ll, lc + 29, "error",
      "expected a hex address")
    M("layout-no-rows", print_dump(u32, label=False).split("GC memory layout")[0] +
      "GC memory layout; from f7c1d790:\n", 3, ll, 1, "error", "no rows")
    M("gc-garbage-number", base.replace("GC: total: 256128,", "GC: total: 256x28,"), 3, gl, gc + 14,
      "error", "malformed \"GC: total:\" line")
    M("gc-overflow", base.replace("GC: total: 256128,", "GC: total: 99999999999999999999999,"), 3, gl,
      gc + 11, "error", "too large")
    M("gc-missing-free", base.replace(", free: 175392", ""), 3, gl, len("GC: total: 256128, used: 80736") + 1,
      "error", "ends too early")
    bl_, bc = line_col(base, "No. of 1-blocks: ")
    M("blocks-garbage", base.replace("max blk sz: 1024", "max blk sz: lots"), 3, bl_,
      lines_of(base)[bl_ - 1].index("1024") + 1, "error", "malformed \"No. of 1-blocks\" line")
    ab = line_col(b64, "lines all free)")
    M("abbrev-zero", b64.replace("(112 lines", "(0 lines"), 3, ab[0], 8, "error", "(0 lines all free)")
    # "(1 lines all free)" where the row after it still sits at the right offset
    before = lines_of(b64)[ab[0] - 2]
    start = int(before[:8], 16) + 64 * u64.bpb
    dots = "".join("%08x: %s\n" % (start + (i + 1) * 64 * u64.bpb, "." * 64) for i in range(111))
    one = b64.replace("       (112 lines all free)\n", "       (1 lines all free)\n" + dots)
    M("abbrev-one", one, 0, ab[0], 8, "warning", "collapses 2 or more free lines, not 1")
    M("abbrev-one-strict", one, 3, ab[0], 8, "error", "collapses 2 or more free lines, not 1", "--strict")
    M("abbrev-huge", b64.replace("(112 lines", "(99999999 lines"), 3, ab[0], 9, "error",
      "more than the heap size allows")
    M("abbrev-overflow", b64.replace("(112 lines", "(99999999999999999999999 lines"), 3, ab[0], 9,
      "error", "too large")
    rl = ab[0] + 1
    M("abbrev-count-edited", b64.replace("(112 lines", "(111 lines"), 3, rl, 1, "error", "expected")
    two = b64.replace("       (112 lines all free)\n", "       (56 lines all free)\n       (56 lines all free)\n")
    M("abbrev-twice", two, 0, ab[0] + 1, 8, "warning", "two \"lines all free\" in a row")
    M("abbrev-twice-strict", two, 3, ab[0] + 1, 8, "error", "two \"lines all free\" in a row", "--strict")
    M("abbrev-after-short-row", replace_line(b64, ab[0] - 1, lines_of(b64)[ab[0] - 2][:10 + 20]), 3,
      ab[0] - 1, 31, "error", "only the last row of an area may have fewer than 64")
    M("gc-total-edited", base.replace("GC: total: 256128,", "GC: total: 256112,"), 0, gl, gc + 11,
      "warning", "edited or mixed")
    M("gc-total-edited-strict", base.replace("GC: total: 256128,", "GC: total: 256112,"), 3, gl, gc + 11,
      "error", "edited or mixed", "--strict")
    M("gc-free-edited", base.replace("free: 175392", "free: 175408").replace("used: 80736", "used: 80720"), 0,
      gl, lines_of(base)[gl - 1].index("175392") + 1, "warning", "GC free is 175408 bytes")
    M("gc-sum-edited", base.replace("used: 80736", "used: 80737"), 0, gl, gc + 11, "warning",
      "not used + free")
    n1col = lines_of(base)[bl_ - 1].index("1552") + 1
    M("one-blocks-edited", base.replace("1-blocks: 1552", "1-blocks: 1553"), 0, bl_, n1col, "warning",
      "counted 1553 1-blocks, the map has 1552")
    M("one-blocks-edited-strict", base.replace("1-blocks: 1552", "1-blocks: 1553"), 3, bl_, n1col,
      "error", "counted 1553 1-blocks", "--strict")
    M("two-blocks-edited", base.replace("2-blocks: 425", "2-blocks: 42"), 0, bl_,
      lines_of(base)[bl_ - 1].index("425") + 1, "warning", "counted 42 2-blocks")
    M("max-blk-edited", base.replace("max blk sz: 1024", "max blk sz: 1025"), 0, bl_,
      lines_of(base)[bl_ - 1].index("1024") + 1, "warning", "max blk sz is 1025 blocks")
    M("max-free-edited", base.replace("max free sz: 6226", "max free sz: 6000"), 0, bl_,
      lines_of(base)[bl_ - 1].index("6226") + 1, "warning", "max free sz is 6000 blocks")
    # Each era's own count of the allocation in the heap's last block: v1.8 printed with
    # v1.8.2's count, and v1.19 with v1.8.1's, are both mismatches.
    full = u32.copy()
    full.areas[0].cells = u32.areas[0].cells[:9768]
    n1_old, n1_new = gc_info(full, old=True)[0], gc_info(full)[0]
    for era, printed, mapped, extra in (("v1.8", n1_new, n1_old, " (leaving out the allocation"),
                                        ("v1.19", n1_old, n1_new, "")):
        text = print_dump(full, era, label=False)
        was = "1-blocks: %d," % mapped
        text = text.replace(was, "1-blocks: %d," % printed)
        n1_ln, n1_col = line_col(text, "1-blocks: %d," % printed)
        M("heap-end-%s-other-era-count" % era, text, 3, n1_ln, n1_col + 10, "error",
          "counted %d 1-blocks, the map has %d%s" % (printed, mapped, extra), "--strict")
    first = row_line(base, "00000000")
    orphan = replace_line(base, first, "00000000: =" + lines_of(base)[first - 1][11:])
    M("orphan-tail-at-start", orphan, 0, first - 1, 1, "warning", "starts with a tail block")
    M("no-block-size-fits", base.replace("\n00000400: ", "\n00000600: "), 3, first + 1, 1, "error",
      "no block size fits")
    M("first-row-not-at-start", delete_line(base, first), 3, first, 1, "error",
      "does not match the start of its area")
    one_row = "GC memory layout; from 20000000:\n00000000: h=hh=hhLhhSh===h========hhhhBh=h......h.h=....\n"
    M("block-size-unknown", one_row, 0, 1, 1, "warning", "block size unknown")
    M("block-size-unknown-strict", one_row, 3, 1, 1, "error", "block size unknown", "--strict")
    M("block-size-option-ignored", base, 0, 1, 1, "warning", "--block-size 32 ignored: the dump says 16",
      "--block-size 32")
    M("row-with-space", replace_line(base, ln, bad[:30] + " " + bad[31:]), 3, ln + 1, 1, "error",
      "a line is missing")
    M("row-interrupted", insert_line(base, ln, "I (4711) wifi: connected"), 0, ln, 1, "warning",
      "not part of the map")
    M("row-interrupted-strict", insert_line(base, ln, "I (4711) wifi: connected"), 3, ln, 1, "error",
      "not part of the map", "--strict")
    w.finish()
    # The 10 MB line and a 10 MB row are made at test time (tests/cli/malformed.sh).
    write_corpus(args.corpus, u32, u64, split, leak)


def write_corpus(out, u32, u64, split, leak):
    """fuzz/corpus/seed-*: small seeds (a byte of options, then text) for fuzz/fuzz_parse.c.
    The other files there are inputs the fuzzer found bugs with: kept, never rewritten."""
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if f.startswith("seed-"):
            os.remove(os.path.join(out, f))

    def small(d, blocks, areas=1):
        c = d.copy()
        c.areas = [Area(a.base, a.cells[:blocks]) for a in c.areas[:areas]]
        return c

    def seed(name, opt, text):
        with open(os.path.join(out, "seed-" + name), "wb") as f:
            f.write(bytes([opt]) + text.encode("latin-1"))

    s32, s64 = small(u32, 320), small(u64, 64 * 40)
    for i, era in enumerate(("v1.20", "v1.19", "v1.8.1", "v1.8", "v1.3", "pre-v1.0", "cp7")):
        seed("era-%s" % era, i << 4, print_dump(s32, era))
    seed("abbrev", 0x00, print_dump(s64))
    seed("abbrev-strict", 0x01, print_dump(s64))
    seed("split", 0x20, print_dump(small(split, 200, 4)))
    seed("split-max-new-split", 0x31, print_dump(small(split, 200, 2)).replace(
        "free: ", "free: ", 1).replace("\n No.", ", max new split: 4096\n No.", 1))
    seed("crlf-rtt", 0x40, eol(prefix_each(print_dump(s32), " 0> "), "\r\r\n"))
    seed("repl", 0x50, BANNER + ">>> micropython.mem_info(1)\r\r\n" + eol(print_dump(s32, label=False), "\r\n") + "None\r\n>>> ")
    seed("log-two", 0x61, "".join(print_dump(small(d, 192)) for d in leak[:2]))
    seed("headerless", 0x0c, "".join(x + "\n" for x in lines_of(print_dump(s32, header=False, label=False))[1:]))
    seed("lost-layout", 0x70, print_dump(small(split, 130, 2)).replace("GC memory layout; from 55d2ebbc5420:", "55d2ebbc5420:"))
    seed("one-row-option", 0x0a, "GC memory layout; from 20000000:\n00000000: h=hh=hhLhh..\n")
    seed("header-only", 0x80, "".join(x + "\n" for x in lines_of(print_dump(s32, label=False))[:4]))
    seed("wrap-step", 0x90, "GC memory layout; from 1000:\n00000: h=..\n       (16383 lines all free)\n00000: " + "." * 64 + "\n")
    seed("abbrev-zero", 0xa0, "GC memory layout; from 1000:\n00000000: " + "h" * 64 + "\n       (0 lines all free)\n")
    seed("bad-cell", 0xb0, "GC memory layout; from 1000:\n00000000: h=hX\n")
    seed("huge-total", 0xc0, "GC: total: 18446744073709551615, used: 0, free: 18446744073709551615\n"
         "GC memory layout; from 0:\n00000000: ....\n")
    seed("interleaved", 0xd0, print_dump(s32).replace("\n00000400: ", "\nI (1) x: y\n00000400: ", 1))
    seed("labels-time", 0xe0, "*** Memory info boot @ 2026-11-26T09:50:00Z ***\n" + print_dump(small(u32, 64)))
    seed("binary", 0xf3, "".join(chr(random.Random(3).randrange(256)) for _ in range(300)))
    # Issue 14, reading: an area past 2^64; a heap over 4 GiB printed as MicroPython prints
    # it (GC total modulo 2^32, strict); a log whose damaged dumps are theirs alone.
    two = ("GC: total: 2048, used: 64, free: 1984\n"
           " No. of 1-blocks: 0, 2-blocks: 0, max blk sz: 4, max free sz: 124\n"
           "GC memory layout; from %s:\n00000000: h===" + "." * 60 + "\n00000400: " + "." * 64 + "\n")
    seed("area-wraps-address-space", 0x00, two % "ffffffffffffffc0")
    blocks = (1 << 27) + 8192 + 32
    seed("wrapped-total", 0x01,
         "GC: total: %d, used: 512, free: %d\n" % (blocks * 32 % 2**32, (blocks * 32 - 512) % 2**32) +
         " No. of 1-blocks: 0, 2-blocks: 2, max blk sz: 8, max free sz: %d\n" % ((2097162 * 64 + 3) - 66) +
         "GC memory layout; from 7f0000000000:\n00000000: h=======" + "." * 56 + "\n"
         "00000800: L=" + "." * 62 + "\n       (2097160 lines all free)\n"
         "00005000: ...D===...S=" + "." * 52 + "\n       (117 lines all free)\n"
         "%08x: " % (blocks // 64 * 2048 % 2**32) + "." * 32 + "\n")
    good = two % "3ff00000"
    seed("log-damaged-dumps", 0x00,
         "=== one ===\n" + good + ">>> \n=== two ===\n" + good + good.splitlines(True)[-1] +
         ">>> \n=== three ===\n" + good.replace("free: 1984", "free: lots") +
         "=== four ===\n" + good)


if __name__ == "__main__":
    main()
