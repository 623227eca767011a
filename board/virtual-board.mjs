#!/usr/bin/env node
// The virtual board: real MicroPython (official WebAssembly port, npm package
// @micropython/micropython-webassembly-pyscript) behind stdin/stdout, byte-true,
// so that mpheap's device code can be tested over pipes or a pty without hardware.
//
// Every stdin byte goes to replProcessChar(); the bytes MicroPython prints while
// handling one stdin chunk are written to stdout in one write, in order.
// What the port lacks and a real board does is emulated here (see README.md):
//   * raw-paste request \x05A\x01 in raw mode -> "R\x00" (understood, not supported),
//   * soft reset (return 0x100) -> "MPY: soft reboot\r\n", fresh interpreter, same mode,
//   * --fixed-heap: a heap that cannot grow (lib.mjs changes the port's
//     gc_get_max_new_split() to return 0; README.md says how and why).
//
// Usage: node board/virtual-board.mjs [--heap BYTES] [--fixed-heap] [--pystack WORDS]
//          [--banner|--no-banner] [--start-raw] [--running] [--raw-paste MODE] [--fault SPEC]...

import fs from 'node:fs';
import tty from 'node:tty';
import {
  PYEXEC_FORCED_EXIT,
  ByteSink,
  checkHeapOptions,
  createInterpreter,
  parsePositiveInt,
  parseSize,
  writeAllSync,
} from './lib.mjs';

const PROG = 'virtual-board';

const CTRL_A = 0x01;
const CTRL_B = 0x02;
const CTRL_C = 0x03;
const CTRL_D = 0x04;
const CTRL_E = 0x05;

const RAW_BANNER = Buffer.from('raw REPL; CTRL-B to exit\r\n>', 'latin1');
// What MicroPython prints for \x01 on an empty friendly-REPL line.
const RAW_ENTRY = Buffer.from('\r\nraw REPL; CTRL-B to exit\r\n>', 'latin1');
const SOFT_REBOOT = Buffer.from('MPY: soft reboot\r\n', 'latin1');
// What MicroPython prints when Ctrl-C stops main.py (--running).
const MAIN_INTERRUPTED = Buffer.from(
  'Traceback (most recent call last):\r\n  File "main.py", line 4, in <module>\r\nKeyboardInterrupt: \r\n',
  'latin1',
);
// An ESP32's ROM as it boots (--fault boot=MS), line noise included.
const BOOT_LOG = Buffer.concat([
  Buffer.from('\xff\xfe\x80', 'latin1'),
  Buffer.from('ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n', 'latin1'),
]);

const USAGE = `usage: node board/virtual-board.mjs [options]

A MicroPython board (WebAssembly port) on stdin/stdout.

options:
  --heap BYTES        initial GC heap size; suffixes K, M, G (default 1M).
                      The heap grows by extra areas on demand (split heap),
                      unless --fixed-heap is given.
  --fixed-heap        the heap cannot grow: like a board with a fixed heap, an
                      allocation that does not fit raises MemoryError
                      (mem_info says "max new split: 0")
  --pystack WORDS     Python stack size in words (default 2048)
  --banner            print the friendly REPL banner at start
  --no-banner         print nothing at start, like a running board when its
                      port is opened (default)
  --start-raw         start in raw REPL mode (as left by an earlier tool)
  --running           start as a board whose main.py is running: it prints
                      "tick N" every 100 ms and drops its input until a Ctrl-C
                      stops it with KeyboardInterrupt (traceback, banner,
                      prompt); the bytes after that Ctrl-C go to the REPL
  --raw-paste MODE    answer to a raw-paste request \\x05A\\x01 in raw mode:
                        unsupported         "R\\x00" (default; what mpremote expects)
                        unsupported-prompt  "R\\x00>" (what pyexec.c prints for an
                                            unknown raw-paste command)
                        legacy              as firmware older than v1.14: the
                                            \\x01 resets the raw REPL and prints
                                            "raw REPL; CTRL-B to exit\\r\\n>"
  --fault SPEC        inject a fault (repeatable, or comma-separated):
                        hangup-after=N  exit after writing N output bytes in total
                        silent          read stdin, never answer
                        garbage[=SEED]  prefix every output chunk with 1..8 bytes
                                        in 0x80..0xff from a fixed-seed PRNG
                        slow=MS         delay every output chunk by MS ms
                        boot=MS         a board that resets when its port is
                                        opened: for MS ms it prints a boot log
                                        (with bytes in 0x80..0xff) and drops
                                        its input, then its banner and prompt
  -h, --help          show this help

Exit status: 0 on stdin EOF, on host hang-up and on hangup-after; 2 on bad
usage; 70 on an internal error (message on stderr).`;

class UsageError extends Error {}

function parseFault(spec, faults) {
  for (const item of spec.split(',')) {
    const part = item.trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? undefined : part.slice(eq + 1);
    switch (name) {
      case 'hangup-after':
        if (value === undefined || !/^[0-9]+$/.test(value)) {
          throw new UsageError(`--fault hangup-after needs a byte count, e.g. hangup-after=100`);
        }
        faults.hangupAfter = Number(value);
        break;
      case 'silent':
        if (value !== undefined) throw new UsageError(`--fault silent takes no value`);
        faults.silent = true;
        break;
      case 'garbage':
        faults.garbage = true;
        if (value !== undefined) {
          if (!/^[0-9]+$/.test(value)) throw new UsageError(`--fault garbage=SEED needs a decimal seed`);
          faults.garbageSeed = Number(value) >>> 0;
        }
        break;
      case 'slow':
        if (value === undefined || !/^[0-9]+$/.test(value)) {
          throw new UsageError(`--fault slow needs milliseconds, e.g. slow=50`);
        }
        faults.slowMs = Number(value);
        break;
      case 'boot':
        if (value === undefined || !/^[0-9]+$/.test(value)) {
          throw new UsageError(`--fault boot needs milliseconds, e.g. boot=500`);
        }
        faults.bootMs = Number(value);
        break;
      default:
        throw new UsageError(
          `unknown fault '${part}' (hangup-after=N, silent, garbage[=SEED], slow=MS, boot=MS)`,
        );
    }
  }
}

function parseArgs(argv) {
  const opts = {
    heap: 1024 * 1024,
    fixedHeap: false,
    pystack: undefined,
    banner: false,
    startRaw: false,
    running: false,
    rawPaste: 'unsupported',
    faults: { hangupAfter: undefined, silent: false, garbage: false, garbageSeed: 1, slowMs: 0, bootMs: 0 },
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let inline;
    if (arg.startsWith('--') && arg.includes('=')) {
      inline = arg.slice(arg.indexOf('=') + 1);
      arg = arg.slice(0, arg.indexOf('='));
    }
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) throw new UsageError(`option ${arg} needs a value`);
      return argv[++i];
    };
    try {
      switch (arg) {
        case '--heap':
          opts.heap = parseSize(value(), 'heap size');
          break;
        case '--fixed-heap':
          if (inline !== undefined) throw new UsageError('--fixed-heap takes no value');
          opts.fixedHeap = true;
          break;
        case '--pystack':
          opts.pystack = parsePositiveInt(value(), 'pystack');
          break;
        case '--banner':
          opts.banner = true;
          break;
        case '--no-banner':
          opts.banner = false;
          break;
        case '--start-raw':
          opts.startRaw = true;
          break;
        case '--running':
          opts.running = true;
          break;
        case '--raw-paste': {
          const mode = value();
          if (!['unsupported', 'unsupported-prompt', 'legacy'].includes(mode)) {
            throw new UsageError(`unknown --raw-paste mode '${mode}' (unsupported, unsupported-prompt, legacy)`);
          }
          opts.rawPaste = mode;
          break;
        }
        case '--fault':
          parseFault(value(), opts.faults);
          break;
        case '-h':
        case '--help':
          opts.help = true;
          break;
        default:
          throw new UsageError(`unknown option '${argv[i]}'`);
      }
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(err.message);
    }
  }
  if (opts.running && opts.startRaw) throw new UsageError('--running starts from main.py, not in raw mode: not with --start-raw');
  try {
    checkHeapOptions(opts.heap, opts.pystack);
  } catch (err) {
    throw new UsageError(err.message);
  }
  return opts;
}

// mulberry32: tiny deterministic PRNG, so garbage is reproducible across runs.
function makePrng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Stdio fds that were terminals at start-up (the host may give us a pty slave).
const startupTtys = [0, 1, 2].filter((fd) => tty.isatty(fd));
let ttyGone = false; // a read or write on our tty failed: the host hung up

/**
 * Exit now (stdout writes are synchronous, nothing is pending). Node's exit
 * path restores the termios of the stdio ttys it saw at start-up and aborts
 * on an assertion when that tty has been hung up (tcsetattr -> EIO, seen with
 * Node 20). It skips fds that are closed, so close them first in that case.
 */
function quit(code) {
  if (ttyGone) {
    for (const fd of startupTtys) {
      try {
        fs.closeSync(fd);
      } catch {
        // already gone
      }
    }
  }
  process.exit(code);
}

/** True for the errors a read/write gets once the host is gone. */
const isHangupError = (err) => err && ['EIO', 'EPIPE', 'ECONNRESET', 'ENXIO'].includes(err.code);

/** Iterate stdin chunks; a hang-up (EIO on a pty whose master closed) ends it like EOF. */
async function* stdinChunks() {
  try {
    for await (const chunk of process.stdin) yield chunk;
  } catch (err) {
    if (!isHangupError(err)) throw err;
  }
  // A raw-mode tty has no EOF character: end of input there means hang-up.
  if (startupTtys.includes(0)) ttyGone = true;
}

class Output {
  constructor(faults) {
    this.faults = faults;
    this.written = 0;
    this.prng = faults.garbage ? makePrng(faults.garbageSeed) : null;
  }

  /** Write one output chunk, applying the output faults. Resolves when written. */
  async write(chunk) {
    if (chunk.length === 0) return;
    if (this.faults.slowMs > 0) await sleep(this.faults.slowMs);
    if (this.prng) {
      const n = 1 + Math.floor(this.prng() * 8);
      const junk = Buffer.alloc(n);
      for (let i = 0; i < n; i++) junk[i] = 0x80 + Math.floor(this.prng() * 0x80);
      chunk = Buffer.concat([junk, chunk]);
    }
    const limit = this.faults.hangupAfter;
    if (limit !== undefined && this.written + chunk.length >= limit) {
      // The board is "unplugged" part-way through this chunk.
      this.emit(chunk.subarray(0, limit - this.written));
      quit(0);
    }
    this.emit(chunk);
  }

  emit(buf) {
    if (buf.length === 0) return;
    if (!writeAllSync(1, buf)) {
      // The host closed its end (EPIPE on a pipe, EIO on a hung-up pty).
      ttyGone = true;
      quit(0);
    }
    this.written += buf.length;
  }
}

class Board {
  constructor(opts) {
    this.opts = opts;
    this.sink = new ByteSink();
    this.muted = false;
    this.mp = null;
    this.raw = false; // our view of pyexec_mode_kind
    this.running = false; // --running: main.py runs until Ctrl-C
    // Raw-mode line buffer, tracked just enough to spot "\x05A" before \x01.
    this.rawLen = 0;
    this.rawHead = [0, 0];
  }

  onByte(b) {
    if (!this.muted) this.sink.push(b);
  }

  async boot({ showBanner, raw }) {
    // Drop the previous instance first so its (possibly large) memory can be collected.
    this.mp = null;
    const instance = await createInterpreter(this.opts, (b) => this.onByte(b));
    this.mp = instance;
    this.muted = !showBanner;
    this.mp.replInit();
    this.raw = false;
    if (raw) {
      this.muted = true;
      this.mp.replProcessChar(CTRL_A);
      this.raw = true;
      this.rawLen = 0;
    }
    this.muted = false;
  }

  async softReset() {
    const wasRaw = this.raw;
    this.sink.pushBytes(SOFT_REBOOT);
    // Capture the friendly banner (minus replInit's leading CRLF, which a board's
    // blocking REPL does not print after a reset); mute the raw-mode entry noise.
    const mark = this.sink.len;
    await this.boot({ showBanner: !wasRaw, raw: wasRaw });
    if (wasRaw) {
      this.sink.pushBytes(RAW_BANNER);
    } else if (
      this.sink.len >= mark + 2 &&
      this.sink.buf[mark] === 0x0d &&
      this.sink.buf[mark + 1] === 0x0a
    ) {
      this.sink.buf.copy(this.sink.buf, mark, mark + 2, this.sink.len);
      this.sink.len -= 2;
    }
  }

  /** Feed one input byte; may await a soft reset. */
  async feed(b) {
    if (this.running) {
      // A program that never reads stdin: a board's USB/UART code drops what
      // came before the Ctrl-C (TinyUSB clears its ring buffer), then the
      // program ends with KeyboardInterrupt and the friendly REPL starts.
      if (b !== CTRL_C) return;
      this.running = false;
      this.sink.pushBytes(MAIN_INTERRUPTED);
      this.mp.replProcessChar(CTRL_B); // "\r\n" + banner + ">>> "
      return;
    }
    if (this.raw) {
      if (b === CTRL_A && this.rawLen === 2 && this.rawHead[0] === CTRL_E && this.rawHead[1] === 0x41) {
        // Raw-paste request. Passing it on would hang the port (its stdin
        // reader spins forever), so answer like a board that lacks raw-paste.
        this.rawLen = 0;
        if (this.opts.rawPaste === 'legacy') {
          // Pre-v1.14 firmware: plain \x01 = clear line and re-print the raw banner.
          this.mp.replProcessChar(CTRL_C);
          this.mp.replProcessChar(CTRL_A);
          return;
        }
        this.muted = true;
        this.mp.replProcessChar(CTRL_C); // drop "\x05A" from MicroPython's line
        this.muted = false;
        this.sink.pushBytes(Buffer.from('R\x00', 'latin1'));
        if (this.opts.rawPaste === 'unsupported-prompt') this.sink.push(0x3e);
        return;
      }
      if (b === CTRL_A || b === CTRL_C || b === CTRL_D) {
        this.rawLen = 0;
      } else if (b !== CTRL_B) {
        if (this.rawLen < 2) this.rawHead[this.rawLen] = b;
        this.rawLen++;
      }
    }

    const before = this.sink.len;
    const ret = this.mp.replProcessChar(b);

    if (this.raw && b === CTRL_B) {
      this.raw = false;
    } else if (!this.raw && b === CTRL_A && this.printedSince(before, RAW_ENTRY)) {
      // \x01 on an empty friendly line switched MicroPython to raw mode.
      this.raw = true;
      this.rawLen = 0;
    }

    if (ret & PYEXEC_FORCED_EXIT) {
      this.rawLen = 0;
      await this.softReset();
    }
  }

  printedSince(start, expected) {
    if (this.muted || this.sink.len - start !== expected.length) return false;
    return this.sink.buf.subarray(start, this.sink.len).equals(expected);
  }
}

async function runSilent() {
  // A board that is powered but never answers (wrong port, crashed firmware).
  for await (const chunk of stdinChunks()) void chunk;
  quit(0);
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${PROG}: ${err.message}\n${PROG}: try --help\n`);
    quit(2);
    return;
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  if (process.stdin.isTTY) {
    // Byte-true like a UART: no line discipline, no echo, Ctrl-C is data.
    process.stdin.setRawMode(true);
  }

  if (opts.faults.silent) {
    await runSilent();
    return;
  }

  const output = new Output(opts.faults);
  const board = new Board(opts);
  // A board left in raw mode shows the raw banner, not the friendly one.
  await board.boot({ showBanner: opts.banner && !opts.startRaw, raw: opts.startRaw });
  if (opts.startRaw && opts.banner) board.sink.pushBytes(RAW_BANNER);
  board.running = opts.running;
  const bootEnd = Date.now() + opts.faults.bootMs;
  if (opts.faults.bootMs > 0) {
    board.sink.take(); // the board is only now starting
    await output.write(BOOT_LOG);
    setTimeout(() => {
      if (!board.running && !board.raw) board.mp.replProcessChar(CTRL_B); // banner + prompt
      void output.write(board.sink.take());
    }, opts.faults.bootMs);
  } else {
    await output.write(board.sink.take());
  }
  if (opts.running) {
    let n = 0;
    const ticks = setInterval(() => {
      if (!board.running) clearInterval(ticks);
      else if (Date.now() >= bootEnd) void output.write(Buffer.from(`tick ${++n}\n`, 'latin1'));
    }, 100);
  }

  for await (const chunk of stdinChunks()) {
    if (Date.now() < bootEnd) continue; // still booting: the input is lost
    for (let i = 0; i < chunk.length; i++) {
      await board.feed(chunk[i]);
    }
    await output.write(board.sink.take());
  }
  quit(0);
}

function fatal(err) {
  const msg = err && err.stack ? err.stack : String(err);
  try {
    process.stderr.write(`${PROG}: internal error: ${msg}\n`);
  } finally {
    quit(70);
  }
}

// The pty we run on was hung up (we are its session leader): exit quietly.
process.on('SIGHUP', () => {
  ttyGone = true;
  quit(0);
});
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
// Host closed our stdout while a write was pending: that is a hang-up, not an error.
process.stdout.on('error', (err) => {
  if (!isHangupError(err)) fatal(err);
  ttyGone = true;
  quit(0);
});

main().catch((err) => {
  if (err && /npm ci --prefix board/.test(err.message)) {
    process.stderr.write(`${PROG}: ${err.message}\n`);
    process.exit(70);
  }
  fatal(err);
});
