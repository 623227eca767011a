// Tests of board/run-script.mjs: real heap dumps made at test time, split heap
// growth, garbage collection between steps, exit statuses.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { checkMemInfo, runScript } from './board-harness.mjs';

const T = { timeout: 20000 };
const dir = mkdtempSync(path.join(tmpdir(), 'mpheap-board-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name, text) {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

const DUMP = 'import micropython\nmicropython.mem_info(1)\n';

test('mem_info(1) of a fresh heap, several sizes', T, async () => {
  for (const [heap, lo, hi] of [
    ['16K', 15000, 16384],
    ['64K', 60000, 65536],
    ['1M', 1000000, 1048576],
    ['8M', 8000000, 8388608],
  ]) {
    const r = await runScript(['--heap', heap, '-c', DUMP]);
    assert.equal(r.code, 0, r.stderr);
    const text = r.stdout.toString('latin1');
    assert.match(text, /^stack: \d+ out of \d+\r\nGC: total: /);
    const info = checkMemInfo(text);
    assert.ok(info.total > lo && info.total <= hi, `${heap}: total ${info.total}`);
    assert.equal(info.areas.length, 1);
    assert.equal(info.cells * 16, info.total, 'cells x 16 = total');
    assert.equal(info.dots * 16, info.free, 'dots x 16 = free');
    for (const a of info.areas) assert.equal(a.cells % 4, 0);
  }
});

test('heap grows by split-heap areas when a script outgrows it', T, async () => {
  const script = file(
    'grow.py',
    'keep = [bytearray(100 + i % 50) for i in range(800)]\n' + // ~100 KB kept alive
      DUMP,
  );
  const r = await runScript(['--heap', '32K', script]);
  assert.equal(r.code, 0, r.stderr);
  const text = r.stdout.toString('latin1');
  const info = checkMemInfo(text);
  assert.ok(info.areas.length >= 2, `${info.areas.length} areas`);
  assert.ok(info.total > 100000, `total ${info.total}`);
  assert.equal(info.cells * 16, info.total);
  assert.equal(info.dots * 16, info.free);
  for (const a of info.areas) assert.equal(a.cells % 4, 0, 'area blocks are a multiple of 4');
  assert.match(text, /, max new split: 134217728\r\n/);
  assert.equal(new Set(info.areas.map((a) => a.addr)).size, info.areas.length);
});

test('garbage is collected between steps, not inside one', T, async () => {
  const fill = file('fill.py', 'keep = [bytes(40) for i in range(3000)]\n');
  const freeCode = 'for i in range(0, len(keep), 2):\n    keep[i] = None\nimport gc\ngc.collect()\n';
  const free = file('free.py', freeCode);
  const info = 'import micropython\nmicropython.mem_info()\n';
  const used = (r) => [...r.stdout.toString('latin1').matchAll(/GC: total: \d+, used: (\d+),/g)].map((m) => Number(m[1]));

  // Same step: gc.collect() only requests a collection, nothing is freed yet.
  const same = await runScript(['--heap', '1M', fill, '-c', freeCode + info]);
  assert.equal(same.code, 0, same.stderr);
  // Next step: the collection runs on entry, so the freed objects show as holes.
  const next = await runScript(['--heap', '1M', fill, '-c', info, free, '-c', info, '-c', DUMP]);
  assert.equal(next.code, 0, next.stderr);
  const [before, afterFree] = used(next);
  const [sameStep] = used(same);
  assert.ok(afterFree < before * 0.75, `used ${before} -> ${afterFree}`);
  assert.ok(sameStep > before * 0.9, `same-step used ${sameStep} vs ${before}`);
  const text = next.stdout.toString('latin1');
  const dump = checkMemInfo(text.slice(text.lastIndexOf('stack: ')));
  assert.equal(dump.dots * 16, dump.free);
});

test('a step that raises: output kept, traceback on stderr, exit 1, later steps skipped', T, async () => {
  const r = await runScript(['-c', 'print("before")\n1/0\n', '-c', 'print("never")']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout.toString('latin1'), 'before\n');
  assert.match(r.stderr, /Traceback \(most recent call last\):\n.*\nZeroDivisionError: divide by zero\n$/s);
});

test('SystemExit maps to the exit status', T, async () => {
  let r = await runScript(['-c', 'import sys\nsys.exit(3)', '-c', 'print("never")']);
  assert.equal(r.code, 3);
  assert.equal(r.stdout.length, 0);
  r = await runScript(['-c', 'print(1)\nraise SystemExit', '-c', 'print("never")']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.toString(), '1\n');
  r = await runScript(['-c', 'raise SystemExit("bye")']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'bye\n');
});

test('usage errors exit 2', T, async () => {
  for (const args of [[], ['--heap', 'x', '-c', '1'], ['--heap', '2G', '-c', '1'], [path.join(dir, 'missing.py')], ['--nope']]) {
    const r = await runScript(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.code} ${r.stderr}`);
    assert.match(r.stderr, /^run-script: /);
  }
});
