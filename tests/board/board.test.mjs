// Tests of the virtual board (board/virtual-board.mjs) over pipes: the raw REPL
// byte vectors of shared docs repl-protocol.md section 1.4 (with the wasm port's
// "\n" print() line endings), the emulated raw-paste answer and soft reset,
// option handling and every fault mode.
//
// Run: npm ci --prefix board && node --test tests/board/

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import {
  B,
  BOARD,
  BoardProcess,
  FRIENDLY_BANNER,
  RAW_BANNER,
  checkMemInfo,
  rawBoard,
  show,
} from './board-harness.mjs';

const T = { timeout: 15000 };

/** Send `input` in raw mode and expect exactly `expected` back (then silence). */
async function exchange(b, input, expected, timeoutMs = 5000) {
  b.send(input);
  const got = await b.readExactly(B(expected).length, timeoutMs);
  assert.equal(show(got), show(B(expected)), `reply to ${show(B(input))}`);
}

async function withBoard(args, fn) {
  const b = args === 'raw' ? await rawBoard() : Array.isArray(args) && args[0] === 'raw' ? await rawBoard(args.slice(1)) : new BoardProcess(args);
  try {
    await fn(b);
  } finally {
    await b.close();
  }
}

test('prints nothing when opened (no banner by default)', T, () =>
  withBoard([], async (b) => {
    assert.equal(show(await b.drain(300)), show(''));
    await exchange(b, '\r\x03', '\r\n>>> \r\n>>> ');
  }));

test('--banner prints the friendly banner at start', T, () =>
  withBoard(['--banner'], async (b) => {
    const got = (await b.readUntil('>>> ')).toString('latin1');
    assert.match(got, /^\r\nMicroPython v1\.27\.0 on [0-9-]+; JS with Emscripten\r\nType "help\(\)" for more information\.\r\n>>> $/);
  }));

test('entering raw REPL the mpremote way', T, () =>
  withBoard([], async (b) => {
    await exchange(b, '\r\x03', '\r\n>>> \r\n>>> ');
    await exchange(b, '\r\x01', `\r\n>>> \r\n${RAW_BANNER}`);
  }));

test('raw REPL test vectors (repl-protocol.md 1.4)', T, () =>
  withBoard('raw', async (b) => {
    // wasm print() ends lines with \n where a board sends \r\n.
    await exchange(b, 'print(123)\x04', 'OK123\n\x04\x04>');
    await exchange(
      b,
      '1/0\x04',
      'OK\x04Traceback (most recent call last):\r\n  File "<stdin>", line 1, in <module>\r\nZeroDivisionError: divide by zero\r\n\x04>',
    );
    await exchange(
      b,
      'def\x04',
      'OK\x04Traceback (most recent call last):\r\n  File "<stdin>", line 1\r\nSyntaxError: invalid syntax\r\n\x04>',
    );
    await exchange(b, "garbage\x03print('after')\x04", 'OKafter\n\x04\x04>');
    await exchange(b, '\x01', RAW_BANNER);
    // Multi-line program, sent in pieces like mpremote's 256-byte chunks.
    b.send('x = 6\r\n');
    b.send('y = 7\nprint(x * y)');
    await exchange(b, '\x04', 'OK42\n\x04\x04>');
    assert.equal(show(await b.drain(100)), show(''));
  }));

test('raw mode is 8-bit clean (UTF-8 source and output)', T, () =>
  withBoard('raw', async (b) => {
    const src = Buffer.concat([B("print('"), Buffer.from('h\u00e9\u20ac', 'utf8'), B("')\x04")]);
    const expected = Buffer.concat([B('OK'), Buffer.from('h\u00e9\u20ac\n', 'utf8'), B('\x04\x04>')]);
    b.send(src);
    const got = await b.readExactly(expected.length);
    assert.deepEqual(got, expected);
  }));

test('raw-paste request is answered R\\x00 and standard raw mode continues', T, () =>
  withBoard('raw', async (b) => {
    await exchange(b, '\x05A\x01', 'R\x00');
    assert.equal(show(await b.drain(200)), show(''), 'nothing may follow R\\x00');
    await exchange(b, 'print(6*7)\x04', 'OK42\n\x04\x04>');
    // A second attempt behaves the same (mpremote stops trying, other hosts may not).
    await exchange(b, '\x05A\x01', 'R\x00');
    await exchange(b, 'print(1)\x04', 'OK1\n\x04\x04>');
  }));

test('--raw-paste unsupported-prompt and legacy', T, async () => {
  await withBoard(['raw', '--raw-paste', 'unsupported-prompt'], async (b) => {
    await exchange(b, '\x05A\x01', 'R\x00>');
    await exchange(b, 'print(2)\x04', 'OK2\n\x04\x04>');
  });
  await withBoard(['raw', '--raw-paste=legacy'], async (b) => {
    await exchange(b, '\x05A\x01', RAW_BANNER);
    await exchange(b, 'print(3)\x04', 'OK3\n\x04\x04>');
  });
});

test('unknown raw-paste command is handled by MicroPython itself', T, () =>
  withBoard('raw', async (b) => {
    // pyexec.c prints R\x00 and then the ">" prompt of a fresh line.
    await exchange(b, '\x05B\x01', 'R\x00>');
    await exchange(b, 'print(4)\x04', 'OK4\n\x04\x04>');
  }));

test('soft reset from raw mode (\\x04 on an empty line)', T, () =>
  withBoard('raw', async (b) => {
    await exchange(b, 'x = 1\x04', 'OK\x04\x04>');
    await exchange(b, '\x04', `OK\r\nMPY: soft reboot\r\n${RAW_BANNER}`);
    // Fresh interpreter, still in raw mode.
    await exchange(
      b,
      'print(x)\x04',
      "OK\x04Traceback (most recent call last):\r\n  File \"<stdin>\", line 1, in <module>\r\nNameError: name 'x' isn't defined\r\n\x04>",
    );
    await exchange(b, '\x04', `OK\r\nMPY: soft reboot\r\n${RAW_BANNER}`);
    await exchange(b, 'print(5)\x04', 'OK5\n\x04\x04>');
  }));

test('SystemExit in raw mode: OK\\x04\\x04 then soft reset, no > first', T, () =>
  withBoard('raw', async (b) => {
    await exchange(b, 'raise SystemExit\x04', `OK\x04\x04MPY: soft reboot\r\n${RAW_BANNER}`);
    await exchange(b, 'import sys\nprint(9)\nsys.exit(1)\x04', `OK9\n\x04\x04MPY: soft reboot\r\n${RAW_BANNER}`);
    await exchange(b, 'print(6)\x04', 'OK6\n\x04\x04>');
  }));

test('soft reset from the friendly REPL re-prints the banner', T, () =>
  withBoard([], async (b) => {
    b.send('\x04');
    const got = (await b.readUntil('>>> ')).toString('latin1');
    assert.ok(got.startsWith('\r\nMPY: soft reboot\r\n'), show(got));
    assert.match(got.slice('\r\nMPY: soft reboot\r\n'.length), FRIENDLY_BANNER);
    await exchange(b, '1+1\r', '1+1\r\n2\n>>> ');
  }));

test('Ctrl-B leaves raw mode; Ctrl-A on an empty line re-enters', T, () =>
  withBoard('raw', async (b) => {
    b.send('\r\x02');
    const got = (await b.readUntil('>>> ')).toString('latin1');
    assert.match(got, /^\r\nMicroPython v1\.27\.0 on .*\r\n>>> $/s);
    await exchange(b, 'print(7)\r', 'print(7)\r\n7\n>>> ');
    // Ctrl-A on a non-empty line is "home", not raw mode: \x05A\x01 must not be intercepted.
    await exchange(b, 'ab\x01', 'ab\b\b');
    await exchange(b, '\x03', '\r\n>>> ');
    await exchange(b, '\x01', `\r\n${RAW_BANNER}`);
    await exchange(b, '\x05A\x01', 'R\x00');
    await exchange(b, '\x04', `OK\r\nMPY: soft reboot\r\n${RAW_BANNER}`);
  }));

test('--start-raw starts in raw mode', T, async () => {
  await withBoard(['--start-raw'], async (b) => {
    assert.equal(show(await b.drain(200)), show(''));
    await exchange(b, 'print(8)\x04', 'OK8\n\x04\x04>');
  });
  await withBoard(['--start-raw', '--banner'], async (b) => {
    assert.equal(show(await b.readExactly(RAW_BANNER.length)), show(RAW_BANNER));
  });
});

test('--heap sets the initial GC heap; mem_info(1) is a well-formed dump', T, () =>
  withBoard(['raw', '--heap', '64K'], async (b) => {
    b.send('import micropython\nmicropython.mem_info(1)\x04');
    const got = (await b.readUntil('\x04\x04>')).toString('latin1');
    assert.ok(got.startsWith('OKstack: '), show(got.slice(0, 40)));
    const info = checkMemInfo(got.slice(2, -3));
    assert.ok(info.total > 60000 && info.total <= 65536, `total ${info.total}`);
    assert.equal(info.cells, info.total / 16);
    assert.equal(info.dots, info.free / 16);
    assert.equal(info.areas.length, 1);
  }));

test('large output (mem_info(1) of a 4 MiB heap) arrives complete and in order', T, () =>
  withBoard(['raw', '--heap', '4M'], async (b) => {
    b.send('import micropython\nl = [bytearray(i % 200) for i in range(20000)]\nmicropython.mem_info(1)\x04');
    const got = (await b.readUntil('\x04\x04>', 10000)).toString('latin1');
    const info = checkMemInfo(got.slice(2, -3));
    assert.equal(info.cells * 16, info.total);
    assert.equal(info.dots * 16, info.free);
  }));

test('many soft resets in a row keep working', T, () =>
  withBoard(['raw', '--heap', '8M'], async (b) => {
    for (let i = 0; i < 10; i++) {
      await exchange(b, '\x04', `OK\r\nMPY: soft reboot\r\n${RAW_BANNER}`);
    }
    await exchange(b, 'print(10)\x04', 'OK10\n\x04\x04>');
  }));

test('stdin EOF exits 0', T, async () => {
  const b = new BoardProcess([]);
  b.send('\r\x01print(1)\x04');
  b.end();
  const { code } = await b.waitExit();
  assert.equal(code, 0);
  assert.ok(b.out.toString('latin1').endsWith('OK1\n\x04\x04>'), show(b.out));
});

test('bad options exit 2 with a message on stderr', T, async () => {
  for (const args of [
    ['--heap', 'lots'],
    ['--heap', '1000M'],
    ['--heap'],
    ['--pystack', '-5'],
    ['--fault', 'nope'],
    ['--fault', 'hangup-after'],
    ['--raw-paste', 'maybe'],
    ['--bogus'],
  ]) {
    const b = new BoardProcess(args);
    const { code } = await b.waitExit();
    assert.equal(code, 2, `${args.join(' ')}: exit ${code}`);
    assert.match(b.err, /^virtual-board: /, args.join(' '));
  }
});

test('--heap accepts K/M suffixes', T, async () => {
  for (const [arg, lo, hi] of [
    ['65536', 60000, 65536],
    ['64k', 60000, 65536],
    ['1M', 1000000, 1048576],
  ]) {
    await withBoard(['raw', '--heap', arg], async (b) => {
      // Not gc.mem_free(): on this port it includes the 128 MiB "max new split".
      b.send('import micropython\nmicropython.mem_info()\x04');
      const got = (await b.readUntil('\x04\x04>')).toString('latin1');
      const total = Number(/GC: total: (\d+),/.exec(got)[1]);
      assert.ok(total > lo && total <= hi, `${arg}: ${total}`);
    });
  }
});

test('fault hangup-after=N: exactly N bytes, then the board is gone', T, async () => {
  const b = new BoardProcess(['--fault', 'hangup-after=20']);
  b.send('\r\x03\r\x01');
  const { code } = await b.waitExit();
  assert.equal(code, 0);
  assert.equal(show(b.out), show('\r\n>>> \r\n>>> \r\n>>> \r\n'.slice(0, 20)));
  // Writing to the vanished board must not hang or crash anything.
  b.send('print(1)\x04');
});

test('fault hangup-after in the middle of a dump', T, async () => {
  const b = new BoardProcess(['--fault', 'hangup-after=500', '--start-raw']);
  b.send('import micropython\nl = [bytearray(i % 200) for i in range(2000)]\nmicropython.mem_info(1)\x04');
  const { code } = await b.waitExit();
  assert.equal(code, 0);
  assert.equal(b.out.length, 500);
  assert.ok(b.out.toString('latin1').startsWith('OKstack: '));
});

test('fault silent: reads everything, answers nothing, exits on EOF', T, async () => {
  const b = new BoardProcess(['--fault', 'silent']);
  b.send('\r\x03\r\x01print(1)\x04');
  assert.equal(show(await b.drain(300)), show(''));
  b.end();
  const { code } = await b.waitExit();
  assert.equal(code, 0);
  assert.equal(b.out.length, 0);
});

async function garbageRun(args) {
  const b = new BoardProcess(['--start-raw', ...args]);
  const chunks = [];
  for (const cmd of ['print(1)\x04', 'print(22)\x04', '1/0\x04']) {
    b.send(cmd);
    chunks.push(await b.readUntil('\x04>'));
  }
  await b.close();
  return chunks;
}

test('fault garbage: 1..8 high bytes before every chunk, reproducible', T, async () => {
  const a = await garbageRun(['--fault', 'garbage']);
  const again = await garbageRun(['--fault', 'garbage=1']);
  const other = await garbageRun(['--fault', 'garbage=7']);
  const clean = await garbageRun([]);
  for (let i = 0; i < a.length; i++) {
    const junk = a[i].length - clean[i].length;
    assert.ok(junk >= 1 && junk <= 8, `chunk ${i}: ${junk} junk bytes`);
    for (const byte of a[i].subarray(0, junk)) assert.ok(byte >= 0x80, `junk byte ${byte}`);
    assert.deepEqual(a[i].subarray(junk), clean[i]);
    assert.deepEqual(a[i], again[i], 'default seed is 1');
  }
  assert.notDeepEqual(Buffer.concat(a), Buffer.concat(other));
});

test('fault slow=MS delays every output chunk', T, () =>
  withBoard(['--start-raw', '--fault', 'slow=400'], async (b) => {
    const t0 = Date.now();
    await exchange(b, 'print(1)\x04', 'OK1\n\x04\x04>');
    const dt = Date.now() - t0;
    assert.ok(dt >= 380, `answered after ${dt} ms`);
  }));

test('faults combine: --fault slow=50,garbage=3', T, () =>
  withBoard(['--start-raw', '--fault', 'slow=50,garbage=3'], async (b) => {
    b.send('print(1)\x04');
    const got = await b.readUntil('OK1\n\x04\x04>');
    assert.ok(got.length > 'OK1\n\x04\x04>'.length);
  }));

test('--running: main.py ticks until Ctrl-C stops it, then the REPL reads what follows', T, () =>
  withBoard(['--running'], async (b) => {
    await b.readUntil('tick 2\n', 3000);
    b.send('print(1)\r'); // a program that never reads stdin: dropped
    await b.readUntil('tick 4\n', 3000);
    b.send('\x03\x03\r\x01');
    const got = (await b.readUntil(RAW_BANNER)).toString('latin1');
    const tail = got.slice(got.indexOf('Traceback'));
    assert.match(
      tail,
      /^Traceback \(most recent call last\):\r\n  File "main\.py", line 4, in <module>\r\nKeyboardInterrupt: \r\n\r\nMicroPython v1\.27\.0 on [0-9-]+; JS with Emscripten\r\nType "help\(\)" for more information\.\r\n>>> \r\n>>> \r\n>>> \r\nraw REPL; CTRL-B to exit\r\n>$/,
    );
    assert.ok(!got.includes('print(1)') && !got.includes('\r\n1\r\n'), 'input before the Ctrl-C is dropped');
    await exchange(b, 'print(2)\x04', 'OK2\n\x04\x04>');
    assert.equal(show(await b.drain(300)), show(''), 'no more ticks');
  }));

test('fault boot=MS: a boot log, input lost while booting, then the banner', T, () =>
  withBoard(['--fault', 'boot=600'], async (b) => {
    const log = await b.readUntil('SPI_FAST_FLASH_BOOT)\r\n', 3000);
    assert.ok(log[0] >= 0x80, 'line noise first');
    b.send('\r\x01'); // lost
    const rest = (await b.readUntil('>>> ', 3000)).toString('latin1');
    assert.match(rest, /^\r\nMicroPython v1\.27\.0 on [0-9-]+; JS with Emscripten\r\nType "help\(\)" for more information\.\r\n>>> $/);
    assert.equal(show(await b.drain(200)), show(''));
    await exchange(b, '\r\x01', `\r\n>>> \r\n${RAW_BANNER}`);
  }));

test('--running is not for a raw-mode start', T, async () => {
  const b = new BoardProcess(['--running', '--start-raw']);
  const { code } = await b.waitExit();
  assert.equal(code, 2);
  assert.match(b.err, /--running/);
});

test('startup is quick enough for tests (first answer < 3 s)', T, async () => {
  const t0 = Date.now();
  await withBoard([], async (b) => {
    b.send('\r\x01');
    await b.readUntil(RAW_BANNER, 3000);
  });
  assert.ok(Date.now() - t0 < 3000);
});

test('works on a pty in raw mode and exits 0 when the master closes (needs python3)', T, async (t) => {
  // python3's pty module stands in for the C side: it opens a pty, puts the
  // slave in raw mode and runs the board on it.
  const helper = `
import os, pty, sys, termios, tty, select, subprocess, time
m, s = pty.openpty()
tty.setraw(s)
p = subprocess.Popen([sys.argv[1], sys.argv[2]], stdin=s, stdout=s, stderr=subprocess.PIPE, close_fds=True)
os.close(s)
def rd(until, timeout=5):
    buf = b''
    end = time.time() + timeout
    while not buf.endswith(until) and time.time() < end:
        r, _, _ = select.select([m], [], [], 0.1)
        if r:
            buf += os.read(m, 65536)
    return buf
os.write(m, b'\\r\\x03'); a = rd(b'>>> \\r\\n>>> ')
os.write(m, b'\\r\\x01'); b = rd(b'CTRL-B to exit\\r\\n>')
os.write(m, b'print(123)\\x04'); c = rd(b'\\x04\\x04>')
os.write(m, b'\\x04'); d = rd(b'CTRL-B to exit\\r\\n>')
os.close(m)  # hang up, as the C side does when it is done
try:
    rc = p.wait(5)
except subprocess.TimeoutExpired:
    p.kill(); rc = 'timeout'
sys.stdout.write(repr([a, b, c, d, rc, p.stderr.read()]))
`;
  const r = await new Promise((resolve) => {
    const child = spawn('python3', ['-c', helper, process.execPath, BOARD], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 12000);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', () => resolve(null));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
  if (r === null) {
    t.skip('python3 not available');
    return;
  }
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    String.raw`[b'\r\n>>> \r\n>>> ', b'\r\n>>> \r\nraw REPL; CTRL-B to exit\r\n>', b'OK123\n\x04\x04>', b'OK\r\nMPY: soft reboot\r\nraw REPL; CTRL-B to exit\r\n>', 0, b'']`,
  );
});
