#!/usr/bin/env python3
# A board that misbehaves on purpose, for tests/cli/hardening.sh and tui.sh, run
# as an `exec:` board program: enough of MicroPython's raw REPL
# (shared/docs/repl-protocol.md): Ctrl-A gives the banner, raw-paste is declined,
# code ends with Ctrl-D. argv[1], the mode, says how it misbehaves; the board
# writes its pid to $PIDFILE.
import os, sys, time
mode = sys.argv[1]
open(os.environ.get("PIDFILE", "/dev/null"), "w").write(str(os.getpid()))

def out(b):
    try:
        while b:
            n = os.write(1, b)
            b = b[n:]
    except OSError:
        sys.exit(0)  # the host went away

def header(total=65536):
    return (b"mem: total=100, current=100, peak=100\r\nstack: 640 out of 40000\r\n"
            b"GC: total: %d, used: 32, free: %d\r\n"
            b" No. of 1-blocks: 2, 2-blocks: 0, max blk sz: 1, max free sz: %d\r\n"
            b"GC memory layout; from 20000000:\r\n" % (total, total - 32, total // 16 - 2))

def dump(repeat_row=False):
    rows = b"00000000: hh" + b"." * 62 + b"\r\n"
    if repeat_row:
        rows += rows
    return header() + rows + b"       (63 lines all free)\r\n"

def endless_rows(total=65536, delay=0.0, step=1):
    out(header(total))
    off = 0
    while True:
        row = b"%08x: " % off + b"." * 64 + b"\r\n"
        if delay:
            for i in range(len(row)):
                out(row[i:i + 1])
                time.sleep(delay)
        else:
            out(row * 256)
            off += 256 * 0x400
            continue
        off += 0x400

snaps = 0
def run(code):
    global snaps
    snapshot = b"mem_info" in code
    if b"gc.collect()" in code and not snapshot:
        return out(b"OK\x04\x04>")
    if snapshot:
        snaps += 1
        if mode == "big-dump":
            out(b"OK")
            endless_rows(total=65536)
        if mode == "trickle":
            out(b"OK")
            endless_rows(delay=0.1)
        if mode == "endless-tb":
            out(b"OK\x04Traceback (most recent call last):\r\n")
            while True:
                out(b'  File "<stdin>", line 1, in <module>\r\n' * 100)
        return out(b"OK" + dump(repeat_row=(mode == "damaged" and snaps == 2)) + b"\x04\x04>")
    if mode == "endless-tb":
        out(b"OK\x04Traceback (most recent call last):\r\n")
        while True:
            out(b'  File "<stdin>", line 1, in <module>\r\n' * 100)
    if mode == "endless-line":
        out(b"OK")
        while True:
            out(b"x" * 65536)
    if mode == "escape":
        return out(b"OK\x1b]0;OUTPUT\x07said\r\n\x04Traceback (most recent call last):\r\n"
                   b'  File "<stdin>", line 1, in <module>\r\n'
                   b"ValueError: \x1b]0;PWNED\x07\x1b[2J\r\n\x04>")
    if mode == "hang":
        out(b"OK")
        while True:
            time.sleep(1)
    return out(b"OK\x04\x04>")

if mode == "listen-flood":  # a program that prints a dump that never ends, unasked
    endless_rows(total=65536)
if mode == "listen-trickle":  # the same, a byte every 10 ms
    endless_rows(total=65536, delay=0.01)
if mode == "listen-damaged":  # three labelled dumps, unasked; the second repeats a map row
    for i, label in enumerate((b"one", b"two", b"three")):
        out(b"=== mpheap %d: %s ===\r\n" % (i + 1, label) + dump(repeat_row=(i == 1)))
line = b""
while True:
    data = os.read(0, 4096)
    if not data:
        break
    for c in data:
        if c == 1:
            if line.endswith(b"\x05A"):
                out(b"R\x00")
            else:
                out(b"raw REPL; CTRL-B to exit\r\n>")
            line = b""
        elif c == 2:
            out(b"\r\nMicroPython fake\r\n>>> ")
            line = b""
        elif c == 3:
            line = b""
        elif c == 4:
            if line.strip():
                run(line)
            line = b""
        else:
            line += bytes([c])
