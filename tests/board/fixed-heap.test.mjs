// The fixed heap (--fixed-heap of board/run-script.mjs and board/virtual-board.mjs):
// the heap cannot grow, so an allocation that does not fit raises MemoryError as on
// a board with a fixed heap; what gc.collect() does on this port; a full heap ends
// a run-script step instead of hanging it.
//
// Run: npm ci --prefix board && node --test tests/board/

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fixedHeapWasm } from '../../board/lib.mjs';
import { B, REPO, checkMemInfo, rawBoard, runScript, show } from './board-harness.mjs';

const T = { timeout: 20000 };

const GC_LINE = /GC: total: (\d+), used: (\d+), free: (\d+), max new split: (\d+)\r\n/g;
/** Every GC: line of a run's output as {total, used, free, split}. */
const gcLines = (text) =>
  [...text.matchAll(GC_LINE)].map(([, total, used, free, split]) => ({
    total: Number(total),
    used: Number(used),
    free: Number(free),
    split: Number(split),
  }));
const areas = (text) => (text.match(/^GC memory layout; from /gm) || []).length;

const BIG = `
import micropython
micropython.mem_info()
try:
    big = bytearray(200000)
    print("allocated", len(big))
except MemoryError as e:
    print("MemoryError:", e)
micropython.mem_info(1)
`;

test('--fixed-heap: a buffer larger than the heap raises MemoryError; the heap stays one area', T, async () => {
  const r = await runScript(['--heap', '64K', '--fixed-heap', '-c', BIG]);
  assert.equal(r.code, 0, r.stderr);
  const text = r.stdout.toString('latin1');
  assert.match(text, /\nMemoryError: memory allocation failed, allocating 200000 bytes\n/);
  const [before, after] = gcLines(text);
  assert.equal(before.split, 0, 'max new split says no area can be added');
  assert.equal(after.split, 0);
  assert.equal(after.total, before.total, 'the heap did not grow');
  assert.equal(areas(text), 1);
  const dump = checkMemInfo(text.slice(text.lastIndexOf('stack: ')));
  assert.equal(dump.areas.length, 1);
  assert.equal(dump.cells * 16, before.total);
});

test('without --fixed-heap the same buffer fits by adding a heap area', T, async () => {
  const r = await runScript(['--heap', '64K', '-c', BIG]);
  assert.equal(r.code, 0, r.stderr);
  const text = r.stdout.toString('latin1');
  assert.match(text, /\nallocated 200000\n/);
  const [before, after] = gcLines(text);
  assert.equal(before.split, 134217728);
  assert.ok(after.total > before.total + 200000, `total ${before.total} -> ${after.total}`);
  assert.equal(areas(text), 2);
});

test('--fixed-heap: filling the heap ends in MemoryError at its size, and gc.mem_free() is the free heap', T, async () => {
  const code = `
import gc, micropython
def fill():
    keep = []
    try:
        while True:
            keep.append(bytearray(1000))
    except MemoryError:
        pass
    return len(keep)
print("kept", fill())
micropython.mem_info()
print("mem_free", gc.mem_free())
`;
  const r = await runScript(['--heap', '64K', '--fixed-heap', '-c', code, '-c', 'import micropython\nmicropython.mem_info()']);
  assert.equal(r.code, 0, r.stderr);
  const text = r.stdout.toString('latin1');
  const kept = Number(/kept (\d+)/.exec(text)[1]);
  assert.ok(kept > 40 && kept < 64, `kept ${kept} kB-buffers in a 64K heap`);
  const [full, collected] = gcLines(text);
  assert.equal(full.total, 64000);
  assert.ok(full.free < 1100, `free ${full.free} when full`);
  assert.equal(Number(/mem_free (\d+)/.exec(text)[1]), full.free, 'no max new split added to mem_free');
  // The next step starts after the collection: the buffers were garbage.
  assert.equal(collected.total, 64000);
  assert.ok(collected.used < 2000, `used ${collected.used} after the collection`);
});

test('gc.collect() inside one step collects nothing: MemoryError although garbage would make room', T, async () => {
  const garbage = 'junk = [bytearray(1000) for i in range(40)]\njunk = None\nimport gc\ngc.collect()\n';
  const alloc = `
try:
    keep = bytearray(40000)
    print("fits")
except MemoryError as e:
    print("MemoryError:", e)
`;
  const same = await runScript(['--heap', '64K', '--fixed-heap', '-c', garbage + alloc]);
  assert.equal(same.code, 0, same.stderr);
  assert.equal(same.stdout.toString(), 'MemoryError: memory allocation failed, allocating 40000 bytes\n');
  // The collection it asked for runs when the step returns to JavaScript.
  const next = await runScript(['--heap', '64K', '--fixed-heap', '-c', garbage, '-c', alloc]);
  assert.equal(next.code, 0, next.stderr);
  assert.equal(next.stdout.toString(), 'fits\n');
});

test('--fixed-heap: a step that dies with the heap full ends with status 1 instead of hanging', T, async () => {
  // Binding the error to a new global needs heap, so it escapes to JavaScript,
  // whose error text needs heap too: the port's nlr_jump_fail() would spin.
  const code = 'keep = []\nwhile True:\n    keep.append(bytearray(64))\n';
  const r = await runScript(['--heap', '64K', '--fixed-heap', '-c', 'print("start")', '-c', code, '-c', 'print("never")'], 15000);
  assert.equal(r.code, 1);
  assert.equal(r.stdout.toString(), 'start\n');
  assert.match(r.stderr, /^run-script: -c: the step raised an exception with no heap left to report it/);
});

test('run-script: --fixed-heap takes no value', T, async () => {
  const r = await runScript(['--fixed-heap=1', '-c', '1']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--fixed-heap takes no value/);
});

test('fixedHeapWasm changes exactly the two function bodies, and refuses another build', () => {
  const wasm = readFileSync(
    path.join(REPO, 'board/node_modules/@micropython/micropython-webassembly-pyscript/micropython.wasm'),
  );
  const fixed = fixedHeapWasm(wasm);
  assert.equal(fixed.length, wasm.length);
  const changed = [];
  for (let i = 0; i < wasm.length; i++) if (wasm[i] !== fixed[i]) changed.push(i);
  // i32.const 134217728 -> 0: one byte of its LEB128; loop br 0 end -> unreachable nop x4: five.
  assert.equal(changed.length, 6, `bytes changed at ${changed}`);
  assert.equal(wasm.subarray(changed[0] - 5, changed[0] + 3).toString('hex'), '0041808080c0000b');
  assert.equal(fixed.subarray(changed[0] - 5, changed[0] + 3).toString('hex'), '00418080808000' + '0b');
  const nlr = changed.slice(1);
  assert.equal(nlr[4] - nlr[0], 4, 'the other five bytes are one run');
  assert.equal(wasm.subarray(nlr[0] - 1, nlr[0] + 6).toString('hex'), '0003400c000b0b');
  assert.ok(new WebAssembly.Module(fixed), 'still a valid module');
  // A module with no code section has neither function.
  const empty = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  assert.throws(() => fixedHeapWasm(empty), /cannot make the heap fixed: 0 functions look like gc_get_max_new_split/);
  assert.throws(() => fixedHeapWasm(Buffer.from('not wasm')), /not a WebAssembly module/);
});

test('virtual board --fixed-heap: MemoryError over the raw REPL, and a soft reset keeps the heap fixed', T, async () => {
  const b = await rawBoard(['--heap', '64K', '--fixed-heap']);
  try {
    b.send('b = bytearray(100000)\x04');
    const tb = (await b.readUntil('\x04>')).toString('latin1');
    assert.equal(
      tb,
      'OK\x04Traceback (most recent call last):\r\n  File "<stdin>", line 1, in <module>\r\n' +
        'MemoryError: memory allocation failed, allocating 100000 bytes\r\n\x04>',
    );
    for (const when of ['before', 'after']) {
      b.send('import micropython\nmicropython.mem_info(1)\x04');
      const out = (await b.readUntil('\x04\x04>')).toString('latin1');
      const [gc] = gcLines(out);
      assert.equal(gc.split, 0, `${when} the soft reset: ${show(B(out.slice(0, 120)))}`);
      assert.equal(gc.total, 64000);
      assert.equal(areas(out), 1);
      if (when === 'before') {
        b.send('\x04'); // soft reset: a fresh interpreter with the same options
        await b.readUntil('MPY: soft reboot\r\nraw REPL; CTRL-B to exit\r\n>');
      }
    }
  } finally {
    await b.close();
  }
});
