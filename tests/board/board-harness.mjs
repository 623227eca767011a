// Test helpers: spawn board/virtual-board.mjs or board/run-script.mjs over
// pipes and read their output with deadlines. Every wait is bounded so a hung
// board fails one test instead of the whole run.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '..', '..');
export const BOARD = path.join(REPO, 'board', 'virtual-board.mjs');
export const RUN_SCRIPT = path.join(REPO, 'board', 'run-script.mjs');

if (!existsSync(path.join(REPO, 'board', 'node_modules', '@micropython', 'micropython-webassembly-pyscript'))) {
  throw new Error('board/node_modules is missing: run `npm ci --prefix board` first');
}

/** Bytes from a latin1 string ("\x04" etc. map 1:1 to bytes). */
export const B = (s) => Buffer.from(s, 'latin1');

/** Printable form of bytes for assertion messages. */
export const show = (buf) => JSON.stringify(Buffer.from(buf).toString('latin1'));

export const RAW_BANNER = 'raw REPL; CTRL-B to exit\r\n>';
export const FRIENDLY_BANNER = /^MicroPython v1\.27\.0 on [0-9-]+; JS with Emscripten\r\nType "help\(\)" for more information\.\r\n>>> $/;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class BoardProcess {
  constructor(args = [], script = BOARD) {
    this.child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.out = Buffer.alloc(0);
    this.pos = 0; // bytes of `out` already consumed by expect()/readUntil()
    this.err = '';
    this.waiters = new Set();
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        this.wake();
        resolve({ code, signal });
      });
    });
    this.child.stdout.on('data', (d) => {
      this.out = Buffer.concat([this.out, d]);
      this.wake();
    });
    this.child.stderr.on('data', (d) => {
      this.err += d.toString();
    });
    // Writes to a board that already exited must not crash the test process.
    this.child.stdin.on('error', () => {});
  }

  wake() {
    for (const w of this.waiters) w();
  }

  send(s) {
    this.child.stdin.write(typeof s === 'string' ? B(s) : s);
  }

  end() {
    this.child.stdin.end();
  }

  /** Unconsumed output so far. */
  pending() {
    return this.out.subarray(this.pos);
  }

  /**
   * Wait until the unconsumed output satisfies pred(buf) (returns an end index
   * or -1), consume up to that index and return the consumed bytes.
   */
  async waitFor(pred, timeoutMs, what) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const buf = this.pending();
      const end = pred(buf);
      if (end >= 0) {
        this.pos += end;
        return Buffer.from(buf.subarray(0, end));
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.exitCode !== undefined) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; got ${show(buf)}` +
            (this.exitCode !== undefined ? ` (board exited ${this.exitCode}${this.err ? `, stderr: ${this.err}` : ''})` : ''),
        );
      }
      await new Promise((resolve) => {
        const timer = setTimeout(done, Math.min(left, 1000));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      }).finally(() => this.waiters.clear());
    }
  }

  /** Read up to and including the first occurrence of `needle`. */
  readUntil(needle, timeoutMs = 5000) {
    const n = typeof needle === 'string' ? B(needle) : needle;
    return this.waitFor(
      (buf) => {
        const i = buf.indexOf(n);
        return i < 0 ? -1 : i + n.length;
      },
      timeoutMs,
      show(n),
    );
  }

  /** Read exactly n bytes. */
  readExactly(n, timeoutMs = 5000) {
    return this.waitFor((buf) => (buf.length >= n ? n : -1), timeoutMs, `${n} bytes`);
  }

  /** Wait for `ms` of silence and return what arrived meanwhile (consumed). */
  async drain(ms = 150) {
    let last = -1;
    while (last !== this.out.length) {
      last = this.out.length;
      await sleep(ms);
    }
    const buf = Buffer.from(this.pending());
    this.pos = this.out.length;
    return buf;
  }

  /** Wait for the process to exit, killing it if it does not within timeoutMs. */
  async waitExit(timeoutMs = 5000) {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const r = await this.exited;
    clearTimeout(timer);
    return r;
  }

  async close() {
    if (this.exitCode === undefined) {
      this.child.stdin.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}

/** Spawn a board and put it in raw mode the way mpremote does; returns the board. */
export async function rawBoard(args = []) {
  const b = new BoardProcess(args);
  b.send('\r\x03');
  await b.readUntil('>>> ');
  await b.drain(50);
  b.send('\r\x01');
  await b.readUntil(RAW_BANNER);
  return b;
}

/** Run board/run-script.mjs to completion; resolves {code, stdout (Buffer), stderr}. */
export function runScript(args, timeoutMs = 20000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUN_SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`run-script ${args.join(' ')} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => (err += d));
    child.stdin.end();
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
  });
}

/**
 * Check a mem_info(1) capture against the invariants of a genuine dump
 * (shared docs, meminfo-format.md section 1); returns the parsed summary.
 */
export function checkMemInfo(text) {
  const lines = text.split('\r\n');
  const gc = /^GC: total: (\d+), used: (\d+), free: (\d+), max new split: (\d+)$/;
  const gi = lines.findIndex((l) => gc.test(l));
  if (gi < 0) throw new Error(`no GC: line in ${JSON.stringify(text.slice(0, 300))}`);
  const [, total, used, free] = gc.exec(lines[gi]).map(Number);
  const areas = [];
  let dots = 0;
  for (const l of lines.slice(gi + 2)) {
    let m;
    if ((m = /^GC memory layout; from ([0-9a-f]+):$/.exec(l))) {
      areas.push({ addr: m[1], cells: 0 });
    } else if ((m = /^([0-9a-f]{8}): ([.=hTLDSAFBMm]{1,64})$/.exec(l))) {
      areas[areas.length - 1].cells += m[2].length;
      dots += m[2].split('.').length - 1;
    } else if ((m = /^ {7}\((\d+) lines all free\)$/.exec(l))) {
      areas[areas.length - 1].cells += 64 * Number(m[1]);
      dots += 64 * Number(m[1]);
    } else if (l !== '') {
      throw new Error(`unexpected line in block map: ${JSON.stringify(l)}`);
    }
  }
  const cells = areas.reduce((a, x) => a + x.cells, 0);
  return { total, used, free, areas, cells, dots };
}
