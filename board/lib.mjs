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

// A fixed heap. The pyscript build has MICROPY_GC_SPLIT_HEAP_AUTO: when nothing
// fits, py/gc.c (gc_try_add_heap) adds a heap area if the port's
// gc_get_max_new_split() says there is room for one. ports/webassembly/main.c
// hard-codes that to `return 128 * 1024 * 1024;`, which compiles to a function
// of its own: no locals, `i32.const 134217728` (5-byte LEB128), `end`. Making it
// return 0 (the same 5 bytes, `80 80 80 80 00`) is what a port with no system
// heap left reports: gc.c then adds no area, the allocation fails with
// MemoryError, and mem_info()'s GC line says `max new split: 0`. malloc, the
// JS side and the GC itself are untouched.
//
// A second change keeps a full heap from hanging the process. An exception that
// reaches JavaScript (runPython) is formatted into a heap buffer first
// (proxy_c.c, proxy_convert_mp_to_js_exc_cside); with no heap left that raises
// again where nothing catches it, and the port's nlr_jump_fail() is
// `while (1) {}`, compiled to the one function body `loop br 0 end`. On a fixed
// heap it becomes `unreachable`: a trap, which JavaScript sees as a
// WebAssembly.RuntimeError, in place of a loop that cannot be interrupted.
const PATCHES = [
  {
    what: 'gc_get_max_new_split() returning 134217728',
    body: [0x00, 0x41, 0x80, 0x80, 0x80, 0xc0, 0x00, 0x0b], // i32.const 134217728
    with: [0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0b], // i32.const 0
  },
  {
    what: 'nlr_jump_fail() spinning in `while (1)`',
    body: [0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b], // loop br 0 end
    with: [0x00, 0x00, 0x01, 0x01, 0x01, 0x01, 0x0b], // unreachable, nop x4
  },
].map((p) => ({ ...p, body: Buffer.from(p.body), with: Buffer.from(p.with) }));

function readLeb128(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated LEB128');
    const b = buf[pos++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) return [value, pos];
    if (shift > 35) throw new Error('LEB128 too long');
  }
}

/**
 * Return a copy of the MicroPython wasm binary with the two changes above.
 * Walks the module's sections to the code section and replaces function
 * bodies that are exactly PATCHES[i].body; throws unless each is found exactly
 * once (a different build of the package).
 */
export function fixedHeapWasm(bytes) {
  const buf = Buffer.from(bytes); // a copy: the caller's bytes stay as they are
  if (buf.length < 8 || buf.readUInt32LE(0) !== 0x6d736100 || buf.readUInt32LE(4) !== 1) {
    throw new Error('not a WebAssembly module (version 1)');
  }
  const found = PATCHES.map(() => []);
  let pos = 8;
  while (pos < buf.length) {
    const id = buf[pos++];
    let size;
    [size, pos] = readLeb128(buf, pos);
    const end = pos + size;
    if (id === 10) {
      let count;
      let p;
      [count, p] = readLeb128(buf, pos);
      for (let i = 0; i < count; i++) {
        let bodySize;
        [bodySize, p] = readLeb128(buf, p);
        const body = buf.subarray(p, p + bodySize);
        PATCHES.forEach((patch, k) => {
          if (body.equals(patch.body)) found[k].push(p);
        });
        p += bodySize;
      }
    }
    pos = end;
  }
  PATCHES.forEach((patch, k) => {
    if (found[k].length !== 1) {
      throw new Error(
        `cannot make the heap fixed: ${found[k].length} functions look like ${patch.what} ` +
          `(expected exactly one); was ${MP_PACKAGE} changed?`,
      );
    }
    patch.with.copy(buf, found[k][0]);
  });
  return buf;
}

let fixedWasm; // the patched binary, made once per process

/**
 * Run load() while WebAssembly.instantiate() gets the fixed-heap binary in
 * place of the one the package reads (the package's loader offers no other
 * hook: loadMicroPython() builds its own Emscripten Module). Boards are
 * created one at a time in a process, so the swap cannot leak into another load.
 */
async function withFixedHeap(load) {
  const original = WebAssembly.instantiate;
  let patched = false;
  WebAssembly.instantiate = function instantiate(source, imports) {
    if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer) {
      if (!fixedWasm) fixedWasm = fixedHeapWasm(ArrayBuffer.isView(source) ? source : new Uint8Array(source));
      source = fixedWasm;
      patched = true;
    }
    return original.call(this, source, imports);
  };
  try {
    const mp = await load();
    if (!patched) throw new Error(`cannot make the heap fixed: ${MP_PACKAGE} did not load its wasm through WebAssembly.instantiate`);
    return mp;
  } finally {
    WebAssembly.instantiate = original;
  }
}

/**
 * Create a fresh MicroPython instance whose output bytes go to onByte(byte).
 * heap is the *initial* GC heap: the pyscript build grows it by adding
 * split-heap areas on demand, unless fixedHeap is true (then it is all there is).
 */
export async function createInterpreter({ heap, pystack, fixedHeap = false }, onByte) {
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
  return fixedHeap ? withFixedHeap(() => loadMicroPython(opts)) : loadMicroPython(opts);
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
