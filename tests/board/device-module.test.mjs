// device/mpheap.py on real MicroPython (the WebAssembly port through
// board/run-script.mjs): the marker lines it prints, and that call() and guard()
// allocate nothing when they fire (checked with micropython.heap_lock() held:
// any allocation would raise a different MemoryError).
//
// Run: npm ci --prefix board && node --test tests/board/

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO, checkMemInfo, runScript } from './board-harness.mjs';

const T = { timeout: 20000 };
const MODULE = readFileSync(path.join(REPO, 'device', 'mpheap.py'), 'utf8');
// A first step that writes the module to the board's filesystem (a JSON string is a
// Python string literal too), so that later steps can import it.
const INSTALL = `f = open("mpheap.py", "w")\nf.write(${JSON.stringify(MODULE)})\nf.close()\n`;

async function run(args, code) {
  const r = await runScript([...args, '-c', INSTALL, '-c', code]);
  return { ...r, text: r.stdout.toString('latin1') };
}

/** The text between a marker line and the next line that is not part of its dump. */
function dumpAfter(text, marker) {
  const at = text.indexOf(`${marker}\n`);
  assert.ok(at >= 0, `no line ${JSON.stringify(marker)} in ${JSON.stringify(text.slice(0, 400))}`);
  const rest = text.slice(at + marker.length + 1);
  const lines = rest.split('\r\n');
  const end = lines.findIndex((l, i) => i > 2 && !/^([0-9a-f]{8}: |GC memory layout| {7}\()/.test(l));
  return lines.slice(0, end).join('\r\n') + '\r\n';
}

// A real failure (more than any heap here can hold, max new split included), then
// the heap is locked while the error travels through the helper.
const LOCKED = `
import micropython, mpheap

def fail_locked():
    try:
        bytearray(300 * 1024 * 1024)
    except MemoryError:
        micropython.heap_lock()
        raise

def in_with():
    with mpheap.guard("with block"):
        fail_locked()

def check(f, *a):
    try:
        f(*a)
    except MemoryError as e:
        depth = micropython.heap_unlock()
        print("caught:", e.args, depth)

check(mpheap.call, "big buffer", fail_locked)
check(in_with)
`;
const FAILED = "MemoryError: memory allocation failed, allocating 314572800 bytes";

test('call() and guard(): a labelled snapshot with the failed size, nothing allocated, the error raised again', T, async () => {
  const r = await run(['--heap', '64K'], LOCKED);
  assert.equal(r.code, 0, r.stderr);
  for (const [n, label] of [
    [1, 'big buffer'],
    [2, 'with block'],
  ]) {
    const marker = `=== mpheap ${n}: ${label}: ${FAILED} ===`;
    const dump = checkMemInfo(dumpAfter(r.text, marker));
    assert.equal(dump.cells * 16, dump.total, `${label}: a whole dump`);
  }
  // The same error came out, not "heap is locked" from an allocation in the helper.
  const caught = r.text.match(/^caught: .*$/gm);
  assert.deepEqual(caught, [
    "caught: ('memory allocation failed, allocating 314572800 bytes',) 0",
    "caught: ('memory allocation failed, allocating 314572800 bytes',) 0",
  ]);
});

test('a MemoryError that has no message (no heap left for one): the label says just MemoryError', T, async () => {
  const code = `
import mpheap

def big():
    return bytearray(4000)

def fill():
    keep = [None] * 1200
    i = 0
    for size in (1000, 100, 1):
        try:
            while i < len(keep):
                keep[i] = bytearray(size)
                i += 1
        except MemoryError:
            pass
    try:
        mpheap.call("heap full", big)
    except MemoryError as e:
        print("caught:", e.args)

fill()
`;
  const r = await run(['--heap', '64K', '--fixed-heap'], code);
  assert.equal(r.code, 0, r.stderr);
  const dump = checkMemInfo(dumpAfter(r.text, '=== mpheap 1: heap full: MemoryError ==='));
  assert.equal(dump.free, 0, 'the heap was full');
  assert.match(r.text, /\ncaught: \(\)\n$/);
});

test('call() returns what the function returns; other errors pass through without a snapshot', T, async () => {
  const code = `
import mpheap
print(mpheap.call("sum", lambda a, b: a + b, 2, 3))
with mpheap.guard("quiet"):
    x = bytearray(100)
try:
    with mpheap.guard("value error"):
        raise ValueError("not memory")
except ValueError as e:
    print("ValueError:", e)
try:
    mpheap.call("zero", lambda: 1 / 0)
except ZeroDivisionError:
    print("ZeroDivisionError")
`;
  const r = await run([], code);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.text, '5\nValueError: not memory\nZeroDivisionError\n');
});

test('snapshot(): the marker line, and what collect=True says on this port', T, async () => {
  const code = `
import mpheap
mpheap.snapshot("plain")
junk = [bytearray(100) for i in range(50)]
junk = None
mpheap.snapshot("asked", True)
mpheap._deferred = False  # as on a board that collects at once
mpheap.snapshot("board", collect=True)
`;
  const r = await run(['--heap', '64K'], code);
  assert.equal(r.code, 0, r.stderr);
  const plain = checkMemInfo(dumpAfter(r.text, '=== mpheap 1: plain ==='));
  // The pyscript build only requests the collection: the garbage is still there.
  const asked = checkMemInfo(dumpAfter(r.text, '=== mpheap 2: asked (gc.collect() deferred by this port) ==='));
  assert.ok(asked.used > plain.used + 50 * 100, `used ${plain.used} -> ${asked.used}`);
  checkMemInfo(dumpAfter(r.text, '=== mpheap 3: board (after gc.collect()) ==='));
  assert.equal((r.text.match(/^=== mpheap /gm) || []).length, 3);
});

test('two snapshots in a row show the same heap (a snapshot allocates nothing)', T, async () => {
  const r = await run(['--heap', '64K'], 'import mpheap\nmpheap.snapshot("one")\nmpheap.snapshot("two")\n');
  assert.equal(r.code, 0, r.stderr);
  const one = checkMemInfo(dumpAfter(r.text, '=== mpheap 1: one ==='));
  const two = checkMemInfo(dumpAfter(r.text, '=== mpheap 2: two ==='));
  assert.equal(two.used, one.used);
});
