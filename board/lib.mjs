// Shared helpers for the virtual board scripts (virtual-board.mjs, run-script.mjs).
//
// Kept dependency-free apart from the MicroPython WebAssembly package, which is
// loaded lazily so that a missing `npm ci --prefix board` gives a clear message
// instead of an ERR_MODULE_NOT_FOUND stack trace.

import fs from 'node:fs';

export const MP_PACKAGE = '@micropython/micropython-webassembly-pyscript';

/** Return value of replProcessChar() for a soft reset request (\x04 on an empty line, SystemExit). */
export const PYEXEC_FORCED_EXIT = 0x100;

// Heap areas of 512 MiB or more are silently truncated by gc.c on 32-bit (its
// bit-count arithmetic overflows: 1000M gives a 488 MiB heap), so refuse them.
export const MAX_HEAP_BYTES = 512 * 1024 * 1024;

/**
 * Parse a byte count: decimal digits with an optional K/M/G suffix (powers of
 * 1024, case-insensitive, optional trailing "B" or "iB": 64K, 1M, 64MiB).
 * Returns a positive integer or throws an Error with a user-facing message.
 */
export function parseSize(text, what = 'size') {
  const m = /^([0-9]+)\s*([kmg]?)(i?b)?$/i.exec(String(text).trim());
  if (!m) {
    throw new Error(`invalid ${what} '${text}' (expected e.g. 65536, 64K, 1M)`);
  }
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()];
  const value = Number(m[1]) * mult;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`invalid ${what} '${text}'`);
  }
  return value;
}

/** Parse a strictly positive decimal integer (no suffixes). */
export function parsePositiveInt(text, what) {
  if (!/^[0-9]+$/.test(String(text))) {
    throw new Error(`invalid ${what} '${text}' (expected a decimal integer)`);
  }
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`invalid ${what} '${text}'`);
  }
  return value;
}

/** Check heap/pystack values against what the port can actually host. */
export function checkHeapOptions(heap, pystack) {
  // Below a few KiB the interpreter cannot even create its REPL state.
  if (heap < 4096) {
    throw new Error(`heap size ${heap} is too small (minimum 4096 bytes)`);
  }
  if (heap > MAX_HEAP_BYTES) {
    throw new Error(`heap size ${heap} is too large (maximum ${MAX_HEAP_BYTES} = 512M: larger areas overflow gc.c on 32-bit)`);
  }
  if (pystack !== undefined && pystack < 256) {
    throw new Error(`pystack ${pystack} words is too small (minimum 256)`);
  }
}

let loaderPromise;

/** Import the MicroPython package once; throws an Error with install advice if it is missing. */
export async function getLoader() {
  if (!loaderPromise) {
    loaderPromise = import(MP_PACKAGE).then(
      (mod) => mod.loadMicroPython,
      (err) => {
        loaderPromise = undefined;
        const e = new Error(
          `cannot load ${MP_PACKAGE} (${err.code || err.message}); run 'npm ci --prefix board' first`,
        );
        e.cause = err;
        throw e;
      },
    );
  }
  return loaderPromise;
}

/**
 * Create a fresh MicroPython instance whose output bytes go to onByte(byte).
 * heapsize is the *initial* GC heap (the pyscript build grows it by adding
 * split-heap areas on demand).
 */
export async function createInterpreter({ heap, pystack }, onByte) {
  const loadMicroPython = await getLoader();
  const opts = {
    heapsize: heap,
    linebuffer: false,
    stdout: (bytes) => {
      for (let i = 0; i < bytes.length; i++) onByte(bytes[i]);
    },
    stderr: (bytes) => {
      for (let i = 0; i < bytes.length; i++) onByte(bytes[i]);
    },
  };
  if (pystack !== undefined) opts.pystack = pystack;
  return loadMicroPython(opts);
}

/** A growable byte buffer (cheaper than a JS array of numbers for multi-MB dumps). */
export class ByteSink {
  constructor(initial = 4096) {
    this.buf = Buffer.allocUnsafe(initial);
    this.len = 0;
  }

  push(byte) {
    if (this.len === this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    this.buf[this.len++] = byte;
  }

  pushBytes(bytes) {
    for (let i = 0; i < bytes.length; i++) this.push(bytes[i]);
  }

  /** Return the collected bytes (a copy) and empty the sink. */
  take() {
    const out = Buffer.from(this.buf.subarray(0, this.len));
    this.len = 0;
    if (this.buf.length > 1 << 20) this.buf = Buffer.allocUnsafe(4096);
    return out;
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Write all of buf to fd synchronously, in order. Retries on EAGAIN (the fd
 * may have been made non-blocking by libuv when stdin and stdout share a pty).
 * Returns false if the reader has gone away (EPIPE/EIO), true otherwise.
 */
export function writeAllSync(fd, buf) {
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      if (err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK') {
        Atomics.wait(sleepCell, 0, 0, 2);
        continue;
      }
      if (err.code === 'EPIPE' || err.code === 'EIO' || err.code === 'ECONNRESET') {
        return false;
      }
      throw err;
    }
  }
  return true;
}
