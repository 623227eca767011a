#!/usr/bin/env node
// Run MicroPython code on a fresh WebAssembly interpreter and write the raw
// bytes it prints to stdout (e.g. micropython.mem_info(1) heap dumps for tests).
//
// Usage: node board/run-script.mjs [--heap BYTES] [--fixed-heap] [--pystack WORDS] STEP...
//   STEP = FILE.py | - (stdin) | -c CODE. Steps run in order on one interpreter,
//   each in its own runPython() call: this port only collects garbage when
//   control enters it from JavaScript, i.e. between steps (see README.md).
// Exit status: 0 ok; 1 a step raised (traceback on stderr, later steps skipped);
// n for SystemExit(n); 2 bad usage; 70 internal error.

import fs from 'node:fs';
import {
  ByteSink,
  checkHeapOptions,
  createInterpreter,
  parsePositiveInt,
  parseSize,
  writeAllSync,
} from './lib.mjs';

const PROG = 'run-script';

const USAGE = `usage: node board/run-script.mjs [--heap BYTES] [--fixed-heap] [--pystack WORDS] STEP...

Runs each STEP (FILE.py, '-' for stdin, or -c CODE) in order on one fresh
MicroPython (WebAssembly port) and writes what it prints to stdout, byte for
byte (print() ends lines with \\n; mem_info and tracebacks use \\r\\n).
Garbage is collected between steps, never inside one (gc.collect() only
requests a collection in this port): to dump a heap after freeing objects,
free them in one step and call micropython.mem_info(1) in the next.

options:
  --heap BYTES      initial GC heap size; suffixes K, M, G (default 1M, max
                    512M). The heap grows by extra areas when a step needs more
                    (split heap: several "GC memory layout" blocks), unless
                    --fixed-heap is given.
  --fixed-heap      the heap cannot grow: an allocation that does not fit
                    raises MemoryError (mem_info says "max new split: 0")
  --pystack WORDS   Python stack size in words (default 2048)
  -c CODE           a step given as text
  --time            report the start-up time and each step's run time on stderr
  -h, --help        show this help

With --fixed-heap, a step that raises while the heap is full ends the run
with status 1 and a message in place of the traceback: the port needs heap
to report an exception.

Exit status: 0 ok; 1 a step raised (traceback on stderr, later steps are not
run); n for SystemExit(n); 2 bad usage; 70 internal error.`;

function usageError(msg) {
  process.stderr.write(`${PROG}: ${msg}\n${PROG}: try --help\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { heap: 1024 * 1024, fixedHeap: false, pystack: undefined, steps: [], time: false };
  let onlyFiles = false;
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (onlyFiles || arg === '-' || !arg.startsWith('-')) {
      opts.steps.push({ file: arg });
      continue;
    }
    let inline;
    if (arg.startsWith('--') && arg.includes('=')) {
      inline = arg.slice(arg.indexOf('=') + 1);
      arg = arg.slice(0, arg.indexOf('='));
    }
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) usageError(`option ${arg} needs a value`);
      return argv[++i];
    };
    try {
      if (arg === '--heap') opts.heap = parseSize(value(), 'heap size');
      else if (arg === '--fixed-heap') {
        if (inline !== undefined) usageError('--fixed-heap takes no value');
        opts.fixedHeap = true;
      }
      else if (arg === '--pystack') opts.pystack = parsePositiveInt(value(), 'pystack');
      else if (arg === '-c') opts.steps.push({ code: value(), file: '-c' });
      else if (arg === '--time') opts.time = true;
      else if (arg === '--') onlyFiles = true;
      else if (arg === '-h' || arg === '--help') {
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
      } else usageError(`unknown option '${arg}'`);
    } catch (err) {
      usageError(err.message);
    }
  }
  if (opts.steps.length === 0) usageError('no FILE or -c CODE given');
  try {
    checkHeapOptions(opts.heap, opts.pystack);
  } catch (err) {
    usageError(err.message);
  }
  return opts;
}

/** Map a SystemExit traceback's last line to an exit status, as CPython does. */
function systemExitStatus(message) {
  const lines = message.trimEnd().split('\n');
  const last = lines[lines.length - 1];
  const m = /^SystemExit:?\s?(.*)$/.exec(last);
  const arg = m ? m[1].trim() : '';
  if (arg === '' || arg === 'None') return { status: 0 };
  if (/^-?[0-9]+$/.test(arg)) return { status: Number(arg) & 0xff };
  return { status: 1, text: `${arg}\n` };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  // Read every step first so that a missing file is a usage error, not a half run.
  for (const step of opts.steps) {
    if (step.code !== undefined) continue;
    try {
      step.code = fs.readFileSync(step.file === '-' ? 0 : step.file, 'utf8');
    } catch (err) {
      process.stderr.write(`${PROG}: ${step.file}: ${err.message}\n`);
      process.exit(2);
    }
  }

  const report = (what, t0) => {
    if (opts.time) process.stderr.write(`${PROG}: ${what}: ${(performance.now() - t0).toFixed(1)} ms\n`);
  };
  const sink = new ByteSink(1 << 16);
  const tLoad = performance.now();
  const mp = await createInterpreter(opts, (b) => sink.push(b));
  report('start-up', tLoad);
  let status = 0;
  let errText = '';
  for (const step of opts.steps) {
    let stop = false;
    const tStep = performance.now();
    try {
      mp.runPython(step.code);
    } catch (err) {
      if (opts.fixedHeap && err instanceof WebAssembly.RuntimeError) {
        // nlr_jump_fail() (lib.mjs): the step raised and there was no heap left
        // to hand the exception to JavaScript. The interpreter cannot go on.
        if (!writeAllSync(1, sink.take())) process.exit(1);
        process.stderr.write(
          `${PROG}: ${step.file}: the step raised an exception with no heap left to report it ` +
            `(MicroPython's nlr_jump_fail: the interpreter stopped)\n`,
        );
        process.exit(1);
      }
      if (!err || err.name !== 'PythonError') throw err;
      stop = true;
      if (err.type === 'SystemExit') {
        const r = systemExitStatus(err.message);
        status = r.status;
        errText = r.text || '';
      } else {
        status = 1;
        errText = err.message;
      }
    }
    report(`step ${step.file}`, tStep);
    // Flush per step so a long run shows progress and memory stays bounded.
    if (!writeAllSync(1, sink.take())) process.exit(status || 0);
    if (stop) break;
  }
  if (errText) writeAllSync(2, Buffer.from(errText, 'utf8'));
  process.exit(status);
}

main().catch((err) => {
  const msg =
    err && /npm ci --prefix board/.test(err.message) ? err.message : err && err.stack ? err.stack : String(err);
  process.stderr.write(`${PROG}: ${msg}\n`);
  process.exit(70);
});
