// mpheap's HTML report: reads the JSON island (#mpheap-data) and draws the heap map, the
// diff map, the statistics and the timeline. Every string from the input goes into the
// page as text (textContent, createTextNode), never as markup. No network: the page's
// Content-Security-Policy allows nothing but this script and its style.
'use strict';
(function () {
  const D = JSON.parse(document.getElementById('mpheap-data').textContent);
  const $ = (id) => document.getElementById(id);
  const SVGNS = 'http://www.w3.org/2000/svg';
  const TYPES = ['T', 'L', 'D', 'S', 'A', 'F', 'B', 'M', 'h', 'm'];
  const TYPE_NAMES = { T: 'tuple', L: 'list', D: 'dict', S: 'str/bytes', A: 'bytearray/array',
    F: 'float', B: 'bytecode', M: 'module', h: 'other', m: 'marked' };
  const FREE = 10, ORPHAN = 11;
  const DIFF_CLASSES = ['free', 'kept', 'freed', 'allocated', 'reused'];
  const GUTTER = 118;
  const snaps = D.snapshots;
  const pal = D.palette;

  // ------------------------------------------------------------------ helpers
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === 'class') e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  }
  function svg(tag, attrs) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  }
  const count = (n) => (n === null || n === undefined ? '?' : Number(n).toLocaleString('en-US'));
  function size(bytes) {
    if (bytes === null || bytes === undefined) return '?';
    const u = ['bytes', 'KiB', 'MiB', 'GiB'];
    let v = bytes, i = 0;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return i ? v.toFixed(1) + ' ' + u[i] : count(bytes) + ' bytes';
  }
  const hex = (big) => '0x' + big.toString(16);
  const pct = (f) => (f === null || f === undefined ? '?' : (f * 100).toFixed(1) + '%');
  function rgba(c) { // "#rrggbb" -> ABGR for a Uint32 view of ImageData (little endian)
    const v = parseInt(c.slice(1), 16);
    return (0xff000000 | ((v & 0xff) << 16) | (v & 0xff00) | ((v >> 16) & 0xff)) >>> 0;
  }

  // ------------------------------------------------------- the snapshots' maps
  // A map is its runs: per run one byte (type code in the low 4 bits, the low 3 bits of
  // length - 1 above it, bit 7: more length follows as a LEB128 varint), deflated (zlib).
  async function inflate(b64) {
    let u8;
    if (Uint8Array.fromBase64) u8 = Uint8Array.fromBase64(b64);
    else {
      const bin = atob(b64);
      u8 = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    }
    const stream = new Blob([u8]).stream().pipeThrough(new DecompressionStream('deflate'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  const timing = {}; // milliseconds spent, for the benchmark (body's data-timing)
  const models = new Map(); // snapshot position -> Promise of its model
  function model(pos) {
    if (!models.has(pos)) models.set(pos, build(pos));
    return models.get(pos);
  }

  async function build(pos) {
    const s = snaps[pos];
    const m = { s, pos, bs: s.block_size, areas: [], n: 0, runs: 0 };
    let g = 0;
    for (const a of s.areas) {
      m.areas.push({ first: g, blocks: a.blocks, base: a.base === null ? null : BigInt(a.base) });
      g += a.blocks;
    }
    m.n = g;
    if (!s.map) return m;
    let t = performance.now();
    const raw = await inflate(s.map);
    timing.inflate = (timing.inflate || 0) + performance.now() - t;
    t = performance.now();
    const cap = raw.length;
    const start = new Float64Array(cap), len = new Float64Array(cap);
    const code = new Uint8Array(cap), phase = new Uint8Array(cap);
    let i = 0, k = 0, at = 0, ordinal = 0;
    while (i < raw.length) {
      const b = raw[i++];
      let l = (b >> 4) & 7;
      if (b & 0x80) {
        let shift = 3, v;
        do { v = raw[i++]; l += (v & 0x7f) * 2 ** shift; shift += 7; } while (v & 0x80);
      }
      start[k] = at; len[k] = l + 1; code[k] = b & 15;
      if ((b & 15) < FREE) phase[k] = ordinal++ & 3;
      at += l + 1; k++;
    }
    m.runs = k;
    m.start = start.subarray(0, k); m.len = len.subarray(0, k);
    m.code = code.subarray(0, k); m.phase = phase.subarray(0, k);
    timing.decode = (timing.decode || 0) + performance.now() - t;
    if (at !== m.n) throw new Error('the map of snapshot ' + s.index + ' has ' + at + ' blocks, its areas ' + m.n);
    const v = s.stats.verdict || {};
    m.largest = -1;
    const lf = s.stats.whole && s.stats.whole.largest_free;
    if (lf && lf.blocks && !s.map_partial) m.largest = runAt(m, m.areas[lf.area - 1].first + lf.block);
    m.blockers = new Set();
    const w = (v.windows || [])[0];
    if (w) for (const x of w.blockers) m.blockers.add(runAt(m, m.areas[x.area - 1].first + x.block));
    return m;
  }

  function runAt(m, g) { // the run holding global block g
    let lo = 0, hi = m.runs - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (m.start[mid] <= g) lo = mid; else hi = mid - 1;
    }
    return lo;
  }
  function areaOf(m, g) {
    for (let a = 0; a < m.areas.length; a++)
      if (g < m.areas[a].first + m.areas[a].blocks) return a;
    return m.areas.length - 1;
  }
  function addressOf(m, g) {
    const a = areaOf(m, g), ar = m.areas[a];
    if (ar.base === null || !m.bs) return null;
    return ar.base + BigInt(g - ar.first) * BigInt(m.bs);
  }
  function where(m, g) {
    const a = areaOf(m, g), addr = addressOf(m, g);
    return addr !== null ? hex(addr) : 'block ' + (g - m.areas[a].first) + ' of area ' + (a + 1);
  }
  const bytesOf = (m, blocks) => (m.bs ? ' = ' + count(blocks * m.bs) + ' bytes' : '');

  // --------------------------------------------------------------- the layers
  // What the canvas draws: runs (start, len) with a colour each, and how to sum a pixel
  // that holds many blocks (levels of use for a map, the weightiest class for a diff).
  const C = {
    free: rgba(pal.free), largest: rgba(pal.largest), blocker: rgba(pal.blocker),
    low: rgba(pal.low), mid: rgba(pal.mid), high: rgba(pal.high), full: rgba(pal.full),
    types: TYPES.map((t) => pal.types[t].map(rgba)),
    diff: DIFF_CLASSES.map((c) => rgba(pal['diff_' + c])),
    blank: rgba('#ffffff'), gap: rgba('#f0f0f0'),
  };

  function mapLayer(m) {
    const color = new Uint32Array(m.runs), used = new Uint8Array(m.runs), flag = new Uint8Array(m.runs);
    // Tails with no head take the last head's colour, 'h' at an area's start (as the
    // terminal map and the pictures).
    let last = C.types[8][0], area = 0;
    for (let r = 0; r < m.runs; r++) {
      const c = m.code[r];
      while (area + 1 < m.areas.length && m.start[r] >= m.areas[area + 1].first) { area++; last = C.types[8][0]; }
      if (c === FREE) color[r] = C.free;
      else if (c === ORPHAN) { color[r] = last; used[r] = 1; }
      else { color[r] = last = C.types[c][m.phase[r]]; used[r] = 1; }
    }
    if (m.largest >= 0) { color[m.largest] = C.largest; flag[m.largest] |= 2; }
    for (const r of m.blockers) { color[r] = C.blocker; flag[r] |= 1; }
    for (const r of highlight.runs) if (r < m.runs) flag[r] |= 4;
    return { kind: 'map', m, start: m.start, len: m.len, color, used, flag, runs: m.runs, areas: m.areas, n: m.n };
  }

  // The diff of two models, as mph_diff_compute: areas paired by base address (when one is
  // shared) or by order, blocks by offset; a block is kept when both sides have the same
  // allocation (offset, size, type) there.
  function pairAreas(o, n) {
    const all = (m) => m.areas.length && m.areas.every((a) => a.base !== null);
    const pairs = [];
    let byAddress = false;
    if (all(o) && all(n)) byAddress = o.areas.some((a) => n.areas.some((b) => a.base === b.base));
    if (!byAddress) {
      for (let i = 0; i < Math.max(o.areas.length, n.areas.length); i++)
        pairs.push([i < o.areas.length ? i : -1, i < n.areas.length ? i : -1]);
      return pairs;
    }
    const usedOld = new Set();
    for (let j = 0; j < n.areas.length; j++) {
      const i = o.areas.findIndex((a, k) => !usedOld.has(k) && a.base === n.areas[j].base);
      if (i >= 0) usedOld.add(i);
      pairs.push([i, j]);
    }
    o.areas.forEach((a, i) => { if (!usedOld.has(i)) pairs.push([i, -1]); });
    const base = (p) => (p[1] >= 0 ? n.areas[p[1]].base : o.areas[p[0]].base);
    pairs.sort((x, y) => (base(x) < base(y) ? -1 : base(x) > base(y) ? 1 : 0));
    return pairs;
  }

  function diffLayer(o, n) {
    const pairs = pairAreas(o, n);
    const st = [], ln = [], cl = [], oldRun = [], newRun = [];
    const counts = [0, 0, 0, 0, 0];
    const areas = [];
    let g = 0;
    const push = (s, l, c, ro, rn) => {
      const k = st.length - 1;
      if (k >= 0 && cl[k] === c && st[k] + ln[k] === s && oldRun[k] === ro && newRun[k] === rn) ln[k] += l;
      else { st.push(s); ln.push(l); cl.push(c); oldRun.push(ro); newRun.push(rn); }
      counts[c] += l;
    };
    for (const [ia, ja] of pairs) {
      const A = ia >= 0 ? o.areas[ia] : null, B = ja >= 0 ? n.areas[ja] : null;
      const nA = A ? A.blocks : 0, nB = B ? B.blocks : 0, len = Math.max(nA, nB);
      areas.push({ first: g, blocks: len, base: B ? B.base : A.base, oldArea: ia, newArea: ja });
      let b = 0;
      let ro = A ? runAt(o, A.first) : -1, rn = B ? runAt(n, B.first) : -1;
      while (b < len) {
        // The runs at offset b on each side (-1: past that side's end).
        const inA = b < nA, inB = b < nB;
        while (inA && o.start[ro] + o.len[ro] <= A.first + b) ro++;
        while (inB && n.start[rn] + n.len[rn] <= B.first + b) rn++;
        const endA = inA ? o.start[ro] + o.len[ro] - A.first : Infinity;
        const endB = inB ? n.start[rn] + n.len[rn] - B.first : Infinity;
        // The segment ends where either side's run ends, or where the shorter area does.
        let end = Math.min(endA, endB, len);
        if (b < Math.min(nA, nB)) end = Math.min(end, Math.min(nA, nB));
        const usedA = inA && o.code[ro] !== FREE, usedB = inB && n.code[rn] !== FREE;
        let c;
        if (!usedA && !usedB) c = 0;
        else if (usedA && !usedB) c = 2;
        else if (!usedA && usedB) c = 3;
        else {
          const same = o.start[ro] - A.first === n.start[rn] - B.first && o.len[ro] === n.len[rn] &&
            o.code[ro] === n.code[rn] && o.start[ro] - A.first + o.len[ro] <= Math.min(nA, nB);
          c = same ? 1 : 4;
        }
        push(g + b, end - b, c, inA ? ro : -1, inB ? rn : -1);
        b = end;
      }
      g += len;
    }
    const runs = st.length;
    const color = new Uint32Array(runs), used = new Uint8Array(runs), flag = new Uint8Array(runs);
    const cls = Uint8Array.from(cl);
    for (let r = 0; r < runs; r++) { color[r] = C.diff[cls[r]]; used[r] = cls[r] ? 1 : 0; }
    return { kind: 'diff', o, m: n, start: Float64Array.from(st), len: Float64Array.from(ln), cls, color, used, flag,
      oldRun: Int32Array.from(oldRun), newRun: Int32Array.from(newRun), runs, areas, n: g, counts };
  }

  // ----------------------------------------------------------------- the view
  const canvas = $('map');
  const ctx = canvas.getContext('2d', { alpha: false });
  const view = { layer: null, R: 64, rows: [], totalRows: 0, s: 1, ox: GUTTER, oy: 0, cursor: -1, hover: -1 };
  const highlight = { runs: new Set(), pos: -1 };
  let pixbuf = null, acc = null;

  function layout(layer, keep) {
    const W = canvas.width - GUTTER, H = canvas.height;
    const n = Math.max(layer.n, 1);
    let R = 64;
    while (R < 65536 && (R * 2) * (R * 2) * H / W <= n * 1.4) R *= 2;
    const sameShape = keep && view.layer && view.R === R && view.layer.areas.length === layer.areas.length &&
      view.layer.areas.every((a, i) => a.blocks === layer.areas[i].blocks);
    view.layer = layer;
    if (sameShape) return;
    view.R = R;
    let rows = 0;
    for (const a of layer.areas) rows += Math.ceil(a.blocks / R);
    const fit0 = Math.min(W / R, H / Math.max(rows, 1));
    const gap = Math.max(1, Math.ceil(18 / fit0));
    view.rows = [];
    let r = 0;
    for (const a of layer.areas) {
      r += gap;
      view.rows.push(r);
      r += Math.ceil(a.blocks / R);
    }
    view.totalRows = r;
    fit();
  }
  function fit() {
    const W = canvas.width - GUTTER, H = canvas.height;
    view.s = Math.min(W / view.R, H / Math.max(view.totalRows, 1), 24);
    view.ox = GUTTER + (W - view.R * view.s) / 2;
    view.oy = (H - view.totalRows * view.s) / 2;
  }
  const minScale = () => Math.min((canvas.width - GUTTER) / view.R, canvas.height / Math.max(view.totalRows, 1), 24) / 2;
  function zoomAt(f, x, y) {
    const s = Math.min(Math.max(view.s * f, minScale()), 64);
    view.ox = x - (x - view.ox) * s / view.s;
    view.oy = y - (y - view.oy) * s / view.s;
    view.s = s;
    draw();
  }
  // Screen point -> global block, or -1.
  function blockAt(x, y) {
    const L = view.layer;
    if (!L || x < GUTTER) return -1;
    const col = Math.floor((x - view.ox) / view.s), row = Math.floor((y - view.oy) / view.s);
    if (col < 0 || col >= view.R) return -1;
    for (let a = 0; a < L.areas.length; a++) {
      const r0 = view.rows[a], nr = Math.ceil(L.areas[a].blocks / view.R);
      if (row >= r0 && row < r0 + nr) {
        const b = (row - r0) * view.R + col;
        return b < L.areas[a].blocks ? L.areas[a].first + b : -1;
      }
    }
    return -1;
  }
  function blockXY(g) {
    const L = view.layer;
    const a = areaOf(L, g), b = g - L.areas[a].first;
    return [view.ox + (b % view.R) * view.s, view.oy + (view.rows[a] + Math.floor(b / view.R)) * view.s];
  }

  function draw() {
    const t0 = performance.now();
    drawMap();
    timing.draw = performance.now() - t0;
  }
  function drawMap() {
    const L = view.layer;
    const W = canvas.width, H = canvas.height;
    if (!pixbuf || pixbuf.width !== W || pixbuf.height !== H) {
      pixbuf = ctx.createImageData(W, H);
      acc = { tot: new Float32Array(W * H), used: new Float32Array(W * H), flag: new Uint8Array(W * H),
        cls: Array.from({ length: 5 }, () => new Float32Array(W * H)) };
    }
    const px = new Uint32Array(pixbuf.data.buffer);
    px.fill(C.blank);
    if (!L) { ctx.putImageData(pixbuf, 0, 0); return; }
    const s = view.s, R = view.R;
    const zoomedOut = s < 1;
    if (zoomedOut) {
      acc.tot.fill(0); acc.used.fill(0); acc.flag.fill(0);
      if (L.kind === 'diff') for (const a of acc.cls) a.fill(0);
    }
    const c0 = Math.max(0, Math.floor((GUTTER - view.ox) / s)), c1 = Math.min(R, Math.ceil((W - view.ox) / s));
    if (zoomedOut) columns(c0, c1, W);
    for (let a = 0; a < L.areas.length; a++) {
      const ar = L.areas[a], r0 = view.rows[a], nr = Math.ceil(ar.blocks / R);
      const vr0 = Math.max(r0, Math.floor(-view.oy / s)), vr1 = Math.min(r0 + nr, Math.ceil((H - view.oy) / s));
      if (vr0 >= vr1 || c0 >= c1) continue;
      let run = -1;
      for (let row = vr0; row < vr1; row++) {
        const rowStart = ar.first + (row - r0) * R;
        const b0 = rowStart + c0, b1 = Math.min(rowStart + c1, ar.first + ar.blocks);
        if (b0 >= b1) continue;
        if (run < 0 || L.start[run] > b0 || L.start[run] + L.len[run] <= b0) run = runAt(L, b0);
        const y = view.oy + row * s;
        if (zoomedOut) {
          run = accumulateRow(L, run, b0, b1, rowStart, Math.floor(y), W, H);
        } else {
          for (let r = run; r < L.runs && L.start[r] < b1; r++) {
            run = r;
            const sb = Math.max(L.start[r], b0), se = Math.min(L.start[r] + L.len[r], b1);
            paint(px, L, r, sb - rowStart, se - rowStart, y, W, H, rowStart);
          }
        }
        if (L.start[run] + L.len[run] <= b1 && run + 1 < L.runs) run++;
      }
    }
    if (zoomedOut) resolve(px, L, W, H);
    ctx.putImageData(pixbuf, 0, 0);
    overlay();
  }

  function paint(px, L, r, cb, ce, y, W, H, rowStart) {
    const s = view.s, col = L.color[r];
    const inset = s >= 6 ? 1 : 0;
    const yy0 = Math.max(0, Math.round(y)), yy1 = Math.min(H, Math.round(y + s) - inset);
    // An allocation's first block a little darker: where one ends and the next begins.
    const head = L.kind === 'map' && s >= 4 && L.m.code[r] !== FREE ? L.start[r] - rowStart : -1;
    for (let c = cb; c < ce; c++) {
      const x0 = Math.max(GUTTER, Math.round(view.ox + c * s)), x1 = Math.min(W, Math.round(view.ox + (c + 1) * s) - inset);
      if (x1 <= x0) continue;
      const v = c === head ? shade(col) : col;
      for (let yy = yy0; yy < yy1; yy++) px.fill(v, yy * W + x0, yy * W + x1);
    }
  }
  function shade(c) {
    const r = c & 0xff, g = (c >> 8) & 0xff, b = (c >> 16) & 0xff;
    return (0xff000000 | ((b * 0.7) << 16) | ((g * 0.7) << 8) | (r * 0.7)) >>> 0;
  }

  // Zoomed out: the pixel column of each block column, and the first block column of each
  // pixel column, so that a run adds to the pixels it covers without a division per block.
  let colX = null, pixStart = null;
  function columns(c0, c1, W) {
    if (!colX || colX.length < view.R + 1) colX = new Int32Array(view.R + 1);
    if (!pixStart || pixStart.length < W + 2) pixStart = new Int32Array(W + 2);
    let prev = -1;
    for (let c = c0; c < c1; c++) {
      const x = Math.floor(view.ox + c * view.s);
      colX[c] = x;
      if (x !== prev) { if (x >= 0 && x <= W) pixStart[x] = c; prev = x; }
    }
    if (prev + 1 >= 0 && prev + 1 <= W + 1) pixStart[prev + 1] = c1;
  }
  // One row of blocks [b0, b1) into the pixel row y: each run adds its blocks to the
  // pixels it covers (most runs fall in one pixel). Returns the last run it read.
  function accumulateRow(L, run, b0, b1, rowStart, y, W, H) {
    if (y < 0 || y >= H) return run;
    const tot = acc.tot, used = acc.used, flg = acc.flag, start = L.start, len = L.len;
    const Lused = L.used, Lflag = L.flag, cls = L.kind === 'diff' ? L.cls : null, accCls = acc.cls;
    const row = y * W, n = L.runs;
    let r = run;
    for (; r < n && start[r] < b1; r++) {
      const s0 = start[r], s1 = s0 + len[r];
      const cb = (s0 > b0 ? s0 : b0) - rowStart, ce = (s1 < b1 ? s1 : b1) - rowStart;
      const u = Lused[r], f = Lflag[r];
      const x0 = colX[cb], x1 = colX[ce - 1];
      if (x0 === x1) {
        if (x0 >= GUTTER && x0 < W) {
          const i = row + x0, k = ce - cb;
          tot[i] += k;
          if (u) used[i] += k;
          if (f) flg[i] |= f;
          if (cls) accCls[cls[r]][i] += k;
        }
        continue;
      }
      for (let x = x0; x <= x1; x++) {
        if (x < GUTTER || x >= W) continue;
        const from = x === x0 ? cb : pixStart[x], to = x === x1 ? ce : pixStart[x + 1];
        const i = row + x, k = to - from;
        tot[i] += k;
        if (u) used[i] += k;
        if (f) flg[i] |= f;
        if (cls) accCls[cls[r]][i] += k;
      }
    }
    return r > run ? r - 1 : run;
  }

  // Pixels that hold many blocks: the terminal overview's levels of use (free, <=25%,
  // <=50%, <100%, full), the largest free run where a pixel is all of it, the verdict's
  // blockers wherever they reach; a diff pixel takes its weightiest class (changes x4).
  function resolve(px, L, W, H) {
    const { tot, used, flag } = acc;
    for (let i = 0; i < W * H; i++) {
      const t = tot[i];
      if (!t) continue;
      let v;
      if (L.kind === 'diff') {
        let best = 0, bw = -1;
        for (let c = 0; c < 5; c++) {
          const w = acc.cls[c][i] * (c >= 2 ? 4 : 1);
          if (w > bw) { bw = w; best = c; }
        }
        v = C.diff[best];
      } else {
        const u = used[i], f = flag[i];
        if (f & 1) v = C.blocker;
        else if ((f & 2) && u === 0) v = C.largest;
        else if (u === 0) v = C.free;
        else if (u * 4 <= t) v = C.low;
        else if (u * 2 <= t) v = C.mid;
        else if (u < t) v = C.high;
        else v = C.full;
      }
      px[i] = v;
    }
  }

  // Area titles, the address gutter, the keyboard cursor and highlighted allocations.
  function overlay() {
    const L = view.layer, s = view.s, R = view.R;
    const m = L.m;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, GUTTER, canvas.height);
    ctx.font = '11px ui-monospace, monospace';
    ctx.textBaseline = 'top';
    const step = Math.max(1, Math.ceil(16 / s));
    for (let a = 0; a < L.areas.length; a++) {
      const ar = L.areas[a], r0 = view.rows[a], nr = Math.ceil(ar.blocks / R);
      const ty = view.oy + r0 * s;
      ctx.fillStyle = '#333';
      const base = ar.base === null ? '' : ' at ' + hex(ar.base);
      if (ty - 14 > -14 && ty < canvas.height)
        ctx.fillText('area ' + (a + 1) + ' of ' + L.areas.length + base + ', ' + count(ar.blocks) + ' blocks' +
          (m.bs ? ' = ' + size(ar.blocks * m.bs) : ''), Math.max(view.ox, 4), Math.max(2, ty - 14));
      ctx.fillStyle = '#555';
      const first = Math.max(0, Math.ceil((-view.oy / s - r0) / step) * step);
      for (let k = first; k < nr; k += step) {
        const y = view.oy + (r0 + k) * s;
        if (y > canvas.height) break;
        if (y < 0) continue;
        const addr = ar.base !== null && m.bs ? hex(ar.base + BigInt(k * R) * BigInt(m.bs)) : '#' + k * R;
        ctx.fillText(addr, 4, y);
      }
    }
    const box = (g0, g1, color, width) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      for (let g = g0; g < g1;) {
        const a = areaOf(L, g), b = g - L.areas[a].first;
        const inRow = Math.min(g1 - g, R - (b % R));
        const [x, y] = blockXY(g);
        ctx.strokeRect(x - 1, y - 1, Math.max(inRow * s, 2) + 2, Math.max(s, 2) + 2);
        g += inRow;
        if ((g1 - g) / R > 256) break; // a long run: its first rows are enough to find it
      }
    };
    if (L.kind === 'map' && highlight.pos === L.m.pos) {
      let k = 0;
      for (const r of highlight.runs) {
        if (k++ >= 20000) break; // enough to see where they are
        box(m.start[r], m.start[r] + m.len[r], '#d0006f', 2);
      }
    }
    if (view.cursor >= 0 && view.cursor < L.n) {
      const [x, y] = blockXY(view.cursor);
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 2;
      ctx.strokeRect(x - 2, y - 2, Math.max(s, 3) + 4, Math.max(s, 3) + 4);
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 1;
      ctx.strokeRect(x - 3.5, y - 3.5, Math.max(s, 3) + 7, Math.max(s, 3) + 7);
    }
    // The geometry, for tests and tools that point at a block: canvas pixels of block b of
    // area a are ox + (b % R) * s, oy + (rows[a] + floor(b / R)) * s.
    canvas.dataset.geometry = JSON.stringify({ R, s, ox: view.ox, oy: view.oy, rows: view.rows, gutter: GUTTER });
    $('zoom-level').textContent = s >= 1 ? s.toFixed(s < 10 ? 1 : 0) + ' px per block'
      : 'one pixel = ' + count(Math.round(1 / (s * s))) + ' blocks';
  }

  // ------------------------------------------------------------- what a block is
  function describe(g) {
    const L = view.layer;
    if (!L || g < 0 || g >= L.n) return '';
    const lines = [];
    if (L.kind === 'map') {
      const m = L.m, r = runAt(m, g), a = areaOf(m, g);
      lines.push('block ' + where(m, g) + '  (area ' + (a + 1) + ', block ' + count(g - m.areas[a].first) + ')');
      lines.push(...runText(m, r));
    } else {
      const r = runAt(L, g);
      lines.push('block ' + where(L.m, g) + ': ' + DIFF_CLASSES[L.cls[r]]);
      if (L.oldRun[r] >= 0) lines.push('old: ' + runText(L.o, L.oldRun[r])[0]);
      else lines.push('old: past the end of its area');
      if (L.newRun[r] >= 0) lines.push('new: ' + runText(L.m, L.newRun[r])[0]);
      else lines.push('new: past the end of its area');
    }
    return lines.join('\n');
  }
  function runText(m, r) {
    const g0 = m.start[r], n = m.len[r], c = m.code[r];
    const out = [];
    if (c === FREE) {
      out.push('free run at ' + where(m, g0) + ', ' + count(n) + ' blocks' + bytesOf(m, n));
      if (r === m.largest) out.push('the largest free run');
    } else {
      const t = c === ORPHAN ? 'h' : TYPES[c];
      out.push('allocation at ' + where(m, g0) + ': ' + TYPE_NAMES[t] + ' (' + t + ')' +
        (c === ORPHAN ? ', tails with no head' : '') + ', ' + count(n) + ' blocks' + bytesOf(m, n));
      if (m.blockers.has(r)) out.push('splits the free memory: freeing it helps the verdict\'s size fit');
    }
    return out;
  }

  const tip = $('tip'), info = $('info');
  function showTip(g, x, y) {
    const text = describe(g);
    if (!text) { tip.hidden = true; return; }
    tip.textContent = text;
    tip.hidden = false;
    const w = canvas.getBoundingClientRect();
    const kx = canvas.width / w.width || 1;
    tip.style.left = Math.min(x / kx + 14, w.width - 260) + 'px';
    tip.style.top = (y / (canvas.height / w.height || 1) + 14) + 'px';
  }

  function canvasXY(ev) {
    const r = canvas.getBoundingClientRect();
    return [(ev.clientX - r.left) * canvas.width / r.width, (ev.clientY - r.top) * canvas.height / r.height];
  }
  let drag = null;
  canvas.addEventListener('pointerdown', (ev) => {
    const [x, y] = canvasXY(ev);
    drag = { x, y, ox: view.ox, oy: view.oy, moved: false };
    canvas.setPointerCapture(ev.pointerId);
  });
  canvas.addEventListener('pointermove', (ev) => {
    const [x, y] = canvasXY(ev);
    if (drag && (drag.moved || Math.abs(x - drag.x) + Math.abs(y - drag.y) > 3)) {
      drag.moved = true;
      canvas.classList.add('dragging');
      view.ox = drag.ox + x - drag.x;
      view.oy = drag.oy + y - drag.y;
      tip.hidden = true;
      draw();
      return;
    }
    const g = blockAt(x, y);
    view.hover = g;
    canvas.dataset.hover = g;
    showTip(g, x, y);
  });
  canvas.addEventListener('pointerup', (ev) => {
    if (drag && !drag.moved) {
      const [x, y] = canvasXY(ev);
      const g = blockAt(x, y);
      if (g >= 0) setCursor(g, false);
    }
    drag = null;
    canvas.classList.remove('dragging');
  });
  canvas.addEventListener('pointerleave', () => { tip.hidden = true; view.hover = -1; });
  canvas.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    const [x, y] = canvasXY(ev);
    zoomAt(ev.deltaY < 0 ? 1.25 : 0.8, x, y);
  }, { passive: false });

  function setCursor(g, pan) {
    const L = view.layer;
    if (!L || !L.n) return;
    view.cursor = Math.max(0, Math.min(L.n - 1, g));
    canvas.dataset.cursor = view.cursor;
    if (pan) {
      const [x, y] = blockXY(view.cursor);
      const s = Math.max(view.s, 1);
      if (x < GUTTER + 10 || x + s > canvas.width - 10) view.ox += (canvas.width + GUTTER) / 2 - x;
      if (y < 10 || y + s > canvas.height - 10) view.oy += canvas.height / 2 - y;
    }
    info.textContent = describe(view.cursor);
    draw();
  }
  canvas.addEventListener('focus', () => {
    if (view.cursor < 0) setCursor(0, true);
    else info.textContent = describe(view.cursor);
  });
  canvas.addEventListener('keydown', (ev) => {
    const L = view.layer;
    if (!L) return;
    const g = view.cursor < 0 ? 0 : view.cursor;
    const k = ev.key;
    let to = null;
    if (k === 'ArrowLeft') to = g - 1;
    else if (k === 'ArrowRight') to = g + 1;
    else if (k === 'ArrowUp') to = g - view.R;
    else if (k === 'ArrowDown') to = g + view.R;
    else if (k === 'PageUp') to = g - view.R * 16;
    else if (k === 'PageDown') to = g + view.R * 16;
    else if (k === 'Home') to = 0;
    else if (k === 'End') to = L.n - 1;
    else if (k === 'n' || k === 'p') {
      const r = runAt(L, g);
      let q = r;
      const isAlloc = (x) => (L.kind === 'map' ? L.m.code[x] !== FREE : L.cls[x] !== 0);
      do { q += k === 'n' ? 1 : -1; } while (q >= 0 && q < L.runs && !isAlloc(q));
      if (q >= 0 && q < L.runs) to = L.start[q];
    } else if (k === '+' || k === '=' || k === '-') {
      const [x, y] = blockXY(g);
      zoomAt(k === '-' ? 0.5 : 2, x, y);
      ev.preventDefault();
      return;
    } else if (k === '0') { fit(); draw(); ev.preventDefault(); return; }
    if (to === null) return;
    ev.preventDefault();
    setCursor(to, true);
  });
  $('zoom-in').addEventListener('click', () => zoomAt(2, (canvas.width + GUTTER) / 2, canvas.height / 2));
  $('zoom-out').addEventListener('click', () => zoomAt(0.5, (canvas.width + GUTTER) / 2, canvas.height / 2));
  $('zoom-fit').addEventListener('click', () => { fit(); draw(); });

  // Zoom so that blocks [g0, g1) fill a good part of the view.
  function zoomTo(g0, g1) {
    const n = Math.max(1, g1 - g0);
    const s = Math.max(Math.min(24, Math.sqrt(canvas.width * canvas.height / 6 / n)), minScale());
    view.s = s;
    const [x, y] = blockXY(g0);
    view.ox += (canvas.width + GUTTER) / 2 - x;
    view.oy += canvas.height / 2 - y;
    view.cursor = g0;
    canvas.dataset.cursor = g0;
    info.textContent = describe(g0);
    draw();
  }

  // ------------------------------------------------------------ the legend
  function legend(L) {
    const box = $('legend');
    box.replaceChildren();
    const item = (color, text) => {
      const sw = el('span', { class: 'swatch' });
      sw.style.background = color;
      box.append(el('span', {}, sw, text));
    };
    if (L.kind === 'diff') {
      DIFF_CLASSES.forEach((c) => item(pal['diff_' + c], c));
    } else {
      item(pal.free, 'free');
      const types = L.m.s.stats.whole ? L.m.s.stats.whole.types : {};
      for (const t of TYPES) if (types[t] && types[t].allocations) item(pal.types[t][0], t + ' ' + TYPE_NAMES[t]);
      if (L.m.largest >= 0) item(pal.largest, 'the largest free run');
      if (L.m.blockers.size) item(pal.blocker, 'what splits it: free these for the size asked');
    }
    if (L.kind === 'map') {
      box.append(el('span', { class: 'muted' }, 'zoomed out, a pixel shows how full its blocks are:'));
      [['low', '\u2264 25% used'], ['mid', '\u2264 50%'], ['high', '< 100%'], ['full', 'full']].forEach(([k, t]) => item(pal[k], t));
    } else {
      box.append(el('span', { class: 'muted' }, 'zoomed out, a pixel shows the commonest class of its blocks, a change counting four times'));
    }
  }

  // ------------------------------------------------------------ summary, verdict
  function showSummary(m) {
    const s = m.s;
    $('summary').textContent = s.summary;
    const v = s.stats.verdict;
    const box = $('verdict');
    box.replaceChildren();
    if (!v) return;
    const p = (...k) => box.append(el('p', {}, ...k));
    if (v.largest_free)
      p('Largest free run: ' + count(v.largest_free.blocks) + ' blocks' +
        (v.largest_free.bytes !== null ? ' = ' + size(v.largest_free.bytes) : '') +
        (v.largest_free.address ? ' at ' + v.largest_free.address : '') + ' (marked on the map).');
    if (v.need_bytes !== null) {
      p('For ' + count(v.need_bytes) + ' bytes (' + (v.need_source === 'log' ? 'the MemoryError at line ' + v.need_line : '--need') +
        '): ' + v.outcome.replace(/-/g, ' ') + '.');
      const w = v.windows[0];
      if (w) {
        p('What splits it: freeing ' + count(w.blocker_count) + ' allocation' + (w.blocker_count === 1 ? '' : 's') +
          ' (' + size(w.blocker_bytes) + ') would make a free run of ' + count(w.makes.blocks) + ' blocks at ' +
          (w.makes.address || 'block ' + w.makes.block) + '; they are marked on the map:');
        const ul = el('ul');
        for (const x of w.blockers.slice(0, 50)) {
          const a = el('a', { class: 'jump', href: '#', 'data-block': String(x.block), 'data-area': String(x.area) },
            (x.address || 'block ' + x.block) + '  ' + TYPE_NAMES[x.type] + '  ' + count(x.bytes) + ' bytes');
          a.addEventListener('click', (ev) => {
            ev.preventDefault();
            const g = m.areas[x.area - 1].first + x.block;
            zoomTo(g, g + x.blocks);
          });
          ul.append(el('li', {}, a));
        }
        box.append(ul);
      }
    } else {
      p('No size asked for (--need SIZE) and no MemoryError next to this snapshot.');
    }
  }

  // ------------------------------------------------------------ statistics
  function table(caption, head, rows, id) {
    const t = el('table', id ? { id } : {});
    t.append(el('caption', {}, caption));
    const tr = el('tr');
    for (const h of head) tr.append(el('th', { scope: 'col' }, h));
    t.append(el('thead', {}, tr));
    const tb = el('tbody');
    for (const r of rows) {
      const row = el('tr');
      r.forEach((c, i) => row.append(el(i ? 'td' : 'th', i ? {} : { scope: 'row' }, c === null || c === undefined ? '?' : c)));
      tb.append(row);
    }
    t.append(tb);
    return t;
  }
  function showStats(m) {
    const st = m.s.stats, box = $('stats');
    box.replaceChildren();
    const w = st.whole;
    if (!w) { box.append(el('p', {}, 'No figures for this snapshot.')); return; }
    const bb = (x) => [count(x.blocks), x.bytes === null ? '?' : count(x.bytes)];
    box.append(table('The whole heap (snapshot ' + m.s.index + ')', ['figure', 'blocks', 'bytes'], [
      ['total', ...bb(w.total)], ['used', ...bb(w.used)], ['free', ...bb(w.free)],
      ['largest allocation', ...bb(w.largest_allocation)],
      ['largest free run', ...bb(w.largest_free)],
      ['free above the top', ...bb(w.free_above_top)],
    ], 'stats-whole'));
    box.append(table('Counts', ['figure', 'value'], [
      ['allocations', count(w.allocations)], ['one-block allocations', count(w.one_block_allocations)],
      ['two-block allocations', count(w.two_block_allocations)], ['free runs', count(w.free_runs)],
      ['orphan tails', count(w.orphan_tails)], ['fragmentation', pct(w.fragmentation)],
    ], 'stats-counts'));
    box.append(table('By type', ['type', 'allocations', 'blocks', 'bytes'],
      TYPES.filter((t) => w.types[t]).map((t) => [t + ' ' + w.types[t].name, count(w.types[t].allocations),
        count(w.types[t].blocks), w.types[t].bytes === null ? '?' : count(w.types[t].bytes)]), 'stats-types'));
    if (st.areas && st.areas.length > 1)
      box.append(table('Areas', ['area', 'base', 'blocks', 'used', 'free', 'largest free'],
        st.areas.map((a) => [String(a.index), a.base || '?', count(a.total.blocks), count(a.used.blocks),
          count(a.free.blocks), count(a.largest_free.blocks)]), 'stats-areas'));
    histogram($('hist-free'), w.free_run_sizes, 'runs', 'free runs', 'hist-free-table');
    histogram($('hist-alloc'), w.allocation_sizes, 'allocations', 'allocations', 'hist-alloc-table');
  }
  function range(b) { return b.min_blocks === b.max_blocks ? count(b.min_blocks) : count(b.min_blocks) + '\u2013' + count(b.max_blocks); }
  function histogram(box, buckets, key, what, id) {
    box.replaceChildren();
    if (!buckets || !buckets.length) { box.append(el('p', { class: 'muted' }, 'none')); return; }
    const W = 640, H = 180, pad = 40, bw = Math.min(48, (W - pad) / buckets.length);
    const max = Math.max(...buckets.map((b) => b[key]));
    const g = svg('svg', { width: W, height: H + 40, viewBox: '0 0 ' + W + ' ' + (H + 40), role: 'img' });
    const title = svg('title');
    title.textContent = what + ' by size in blocks (power-of-two buckets)';
    g.append(title);
    const value = el('div', { class: 'chart-value' });
    buckets.forEach((b, i) => {
      const h = max ? Math.max(1, b[key] / max * H) : 0;
      const r = svg('rect', { class: 'bar', x: pad + i * bw + 2, y: H - h + 10, width: bw - 4, height: h, tabindex: '0' });
      const text = range(b) + ' blocks: ' + count(b[key]) + ' ' + what + ', ' + count(b.blocks) + ' blocks' +
        (b.bytes !== null ? ' = ' + size(b.bytes) : '');
      const t = svg('title');
      t.textContent = text;
      r.append(t);
      const show = () => { value.textContent = text; };
      r.addEventListener('mouseenter', show);
      r.addEventListener('focus', show);
      g.append(r);
      const lbl = svg('text', { class: 'axis', x: pad + i * bw + bw / 2, y: H + 24, 'text-anchor': 'middle' });
      lbl.textContent = b.min_blocks >= 1024 ? (b.min_blocks / 1024) + 'K' : String(b.min_blocks);
      g.append(lbl);
    });
    const ax = svg('text', { class: 'axis', x: 2, y: 18 });
    ax.textContent = count(max);
    g.append(ax);
    box.append(g, value);
    box.append(table(what + ' by size', ['blocks', key, 'blocks held', 'bytes'],
      buckets.map((b) => [range(b), count(b[key]), count(b.blocks), b.bytes === null ? '?' : count(b.bytes)]), id));
  }

  // ------------------------------------------------------------ timeline
  function showTimeline() {
    const T = D.timeline, box = $('charts');
    box.replaceChildren();
    if (!T) { box.append(el('p', { class: 'muted' }, 'One snapshot: no timeline.')); return; }
    const rows = T.rows;
    const series = [['used', 'used_bytes', size], ['free', 'free_bytes', size],
      ['largest free run', 'largest_free_bytes', size], ['fragmentation', 'fragmentation', pct]];
    for (const [name, key, fmt] of series) {
      const W = 420, H = 150, pad = 36;
      const vals = rows.map((r) => r[key]);
      const known = vals.filter((v) => v !== null);
      const max = key === 'fragmentation' ? 1 : Math.max(1, ...known);
      const wrap = el('div', { class: 'chart-box', 'data-series': key });
      const value = el('div', { class: 'chart-value' });
      const g = svg('svg', { width: W, height: H + 20, viewBox: '0 0 ' + W + ' ' + (H + 20), role: 'img' });
      const title = svg('title');
      title.textContent = name + ' per snapshot';
      g.append(title);
      for (const f of [0, 0.5, 1]) {
        const y = 8 + (1 - f) * H;
        g.append(svg('line', { class: 'gridline', x1: pad, x2: W - 4, y1: y, y2: y }));
        const t = svg('text', { class: 'axis', x: 0, y: y + 4 });
        t.textContent = key === 'fragmentation' ? (f * 100) + '%' : size(max * f).replace(' bytes', ' B');
        g.append(t);
      }
      const x = (i) => pad + 6 + (rows.length > 1 ? i * (W - pad - 16) / (rows.length - 1) : 0);
      const y = (v) => 8 + (1 - v / max) * H;
      let d = '';
      vals.forEach((v, i) => { if (v !== null) d += (d ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(v).toFixed(1); });
      g.append(svg('path', { class: 'line', d }));
      vals.forEach((v, i) => {
        if (v === null) return;
        const c = svg('circle', { class: 'dot', cx: x(i), cy: y(v), r: 4, tabindex: '0', 'data-row': String(i) });
        const text = '#' + rows[i].index + (rows[i].label ? ' ' + rows[i].label : '') + ': ' + name + ' ' + fmt(v);
        const t = svg('title');
        t.textContent = text;
        c.append(t);
        const show = () => { value.textContent = text; };
        c.addEventListener('mouseenter', show);
        c.addEventListener('focus', show);
        c.addEventListener('click', () => { setSnapshot(i); showView('map'); });
        c.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { setSnapshot(i); showView('map'); } });
        g.append(c);
      });
      wrap.append(el('div', { class: 'chart-title' }, name), g, value);
      box.append(wrap);
    }
    box.append(table('Per snapshot', ['snapshot', 'used', 'free', 'largest free', 'fragmentation', 'allocations'],
      rows.map((r) => ['#' + r.index + (r.label ? ' ' + r.label : ''), size(r.used_bytes), size(r.free_bytes),
        size(r.largest_free_bytes), pct(r.fragmentation), count(r.allocations)]), 'timeline-table'));
    suspects(T);
  }
  // The snapshot position of the last row with a whole map: where the suspects are.
  function lastWhole(T) {
    for (let i = T.rows.length - 1; i >= 0; i--) if (T.rows[i].map === 'whole') return i;
    return T.rows.length - 1;
  }
  function suspects(T) {
    const box = $('suspects'), S = T.suspects;
    box.replaceChildren();
    const pos = lastWhole(T);
    const link = (text, allocs) => {
      const a = el('a', { class: 'jump', href: '#' }, text);
      a.addEventListener('click', (ev) => { ev.preventDefault(); showAllocs(pos, allocs); });
      return a;
    };
    if (!S.growing_allocations.length && !S.growing_types.length && !S.survivors.length) {
      box.append(el('p', {}, 'No leak suspect over ' + S.steps + ' step' + (S.steps === 1 ? '' : 's') + '.'));
    }
    if (S.growing_types.length) {
      box.append(el('h4', {}, 'Types that grow steadily'));
      const ul = el('ul', { id: 'growing-types' });
      for (const t of S.growing_types) {
        const a = el('a', { class: 'jump', href: '#' }, t.type + ' ' + t.name + ': ' + count(t.first_count) + ' \u2192 ' +
          count(t.last_count) + ' allocations, ' + size(t.first_bytes) + ' \u2192 ' + size(t.last_bytes));
        a.addEventListener('click', async (ev) => {
          ev.preventDefault();
          // Every allocation of the type in the snapshot the suspects come from.
          const m = await model(pos), code = TYPES.indexOf(t.type), list = [];
          for (let r = 0; r < m.runs; r++) {
            if (m.code[r] !== code) continue;
            const ar = areaOf(m, m.start[r]);
            list.push({ area: ar + 1, block: m.start[r] - m.areas[ar].first, blocks: m.len[r] });
          }
          showAllocs(pos, list);
        });
        ul.append(el('li', {}, a));
      }
      box.append(ul);
    }
    if (S.growing_allocations.length) {
      box.append(el('h4', {}, 'Allocations that keep growing'));
      const ul = el('ul', { id: 'growing-allocations' });
      for (const x of S.growing_allocations)
        ul.append(el('li', {}, link((x.address || 'block ' + x.block) + ' ' + TYPE_NAMES[x.type] + ' ' + count(x.blocks) +
          ' blocks, since #' + x.since + ', grew ' + x.grew + ' times', [x])));
      box.append(ul);
    }
    if (S.survivor_groups.length) {
      box.append(el('h4', {}, 'Allocations that appeared and stayed'));
      const ul = el('ul', { id: 'survivors' });
      for (const grp of S.survivor_groups) {
        const list = S.survivors.filter((x) => x.since === grp.since);
        const kinds = Object.keys(grp.types).map((t) => count(grp.types[t][0]) + ' ' + TYPE_NAMES[t]).join(', ');
        ul.append(el('li', {}, link(count(grp.count) + ' allocations since #' + grp.since + ' (' + size(grp.bytes) + '): ' + kinds, list)));
      }
      box.append(ul);
    }
    const notes = $('notes');
    notes.replaceChildren();
    for (const n of T.notes) notes.append(el('p', { class: 'muted' }, n));
  }
  async function showAllocs(pos, allocs) {
    const m = await model(pos);
    highlight.runs = new Set(allocs.map((x) => runAt(m, m.areas[x.area - 1].first + x.block)));
    highlight.pos = pos;
    highlight.list = allocs;
    await setSnapshot(pos);
    showView('map');
    if (allocs.length) {
      const x = allocs[0], g = m.areas[x.area - 1].first + x.block;
      zoomTo(g, g + x.blocks);
    }
    $('status').textContent = 'Marked ' + allocs.length + ' allocation' + (allocs.length === 1 ? '' : 's') + ' of snapshot #' + snaps[pos].index + ' on the map (outlined).';
  }

  // ------------------------------------------------------------ views and snapshots
  const state = { view: 'map', pos: 0, old: 0, neu: 0 };
  async function setSnapshot(pos, quiet) {
    state.pos = pos;
    $('slider').value = String(pos + 1);
    const s = snaps[pos];
    $('slider-out').textContent = '#' + s.index + ' of ' + snaps.length + (s.label ? ': ' + s.label : '');
    document.body.dataset.snapshot = String(pos + 1);
    if (!quiet) await refresh();
  }
  async function refresh() {
    const diff = state.view === 'diff';
    $('diff-pick').hidden = !diff;
    $('diff-summary').hidden = !diff;
    const m = await model(diff ? state.neu : state.pos);
    if (diff) {
      const o = await model(state.old);
      if (!o.runs || !m.runs || o.bs !== m.bs) {
        $('diff-counts').textContent = !o.runs || !m.runs ? 'a snapshot without a map cannot be compared block by block'
          : 'the block sizes differ: the blocks cannot be aligned';
        layout(mapLayer(m), true);
      } else {
        const L = diffLayer(o, m);
        $('diff-counts').textContent = DIFF_CLASSES.map((c, i) => c + ' ' + count(L.counts[i])).join(', ') + ' blocks';
        $('diff-counts').dataset.counts = JSON.stringify(Object.fromEntries(DIFF_CLASSES.map((c, i) => [c, L.counts[i]])));
        layout(L, true);
      }
      diffText();
    } else {
      layout(m.runs ? mapLayer(m) : { kind: 'map', m, start: [], len: [], runs: 0, areas: [], n: 0 }, true);
    }
    legend(view.layer);
    showSummary(m);
    showStats(m);
    if (view.cursor >= view.layer.n) view.cursor = -1;
    if (!m.runs && !diff) $('status').textContent = 'Snapshot #' + m.s.index + ' has no map (' +
      (m.s.header_only ? 'mem_info() without an argument printed only the header' : 'the dump has no whole map') + '): its figures are below.';
    draw();
    if (view.cursor >= 0) info.textContent = describe(view.cursor);
  }
  function diffText() {
    const box = $('diff-text');
    box.replaceChildren();
    box.append(el('p', {}, 'From #' + snaps[state.old].index + (snaps[state.old].label ? ' (' + snaps[state.old].label + ')' : '') +
      ' to #' + snaps[state.neu].index + (snaps[state.neu].label ? ' (' + snaps[state.neu].label + ')' : '') + '.'));
    const d = D.diff;
    if (d && d.old - 1 === snaps[state.old].index - 1 && d.new === snaps[state.neu].index) {
      const doc = d.document;
      if (doc.largest_free && doc.largest_free.old && doc.largest_free.new)
        box.append(el('p', {}, 'Largest free run ' + size(doc.largest_free.old.bytes) + ' \u2192 ' + size(doc.largest_free.new.bytes) +
          '; fragmentation ' + pct(doc.fragmentation.old) + ' \u2192 ' + pct(doc.fragmentation.new) + '.'));
      for (const n of doc.notes || []) box.append(el('p', { class: 'muted' }, n));
    }
  }
  function showView(v) {
    state.view = v;
    for (const b of document.querySelectorAll('#views button')) b.setAttribute('aria-pressed', String(b.dataset.view === v));
    $('view-map').hidden = !(v === 'map' || v === 'diff');
    $('view-stats').hidden = v !== 'stats';
    $('view-timeline').hidden = v !== 'timeline';
    document.body.dataset.view = v;
    if (v === 'map' || v === 'diff') return refresh();
    if (v === 'timeline') showTimeline();
    return Promise.resolve();
  }
  for (const b of document.querySelectorAll('#views button')) b.addEventListener('click', () => showView(b.dataset.view));

  let timer = null;
  $('slider').addEventListener('input', () => setSnapshot(Number($('slider').value) - 1));
  $('play').addEventListener('click', () => {
    if (timer) { clearInterval(timer); timer = null; $('play').textContent = 'Play'; return; }
    if (state.pos === snaps.length - 1) setSnapshot(0);
    $('play').textContent = 'Pause';
    timer = setInterval(() => {
      if (state.pos + 1 >= snaps.length) { clearInterval(timer); timer = null; $('play').textContent = 'Play'; return; }
      setSnapshot(state.pos + 1);
    }, 800);
  });
  for (const id of ['diff-old', 'diff-new']) {
    const sel = $(id);
    snaps.forEach((s, i) => sel.append(el('option', { value: String(i) }, '#' + s.index + (s.label ? ' ' + s.label : ''))));
    sel.addEventListener('change', () => {
      state.old = Number($('diff-old').value);
      state.neu = Number($('diff-new').value);
      refresh();
    });
  }

  // ------------------------------------------------------------ start
  async function start() {
    const t0 = performance.now();
    $('title').textContent = 'mpheap' + (D.name ? ': ' + D.name : '');
    const multi = snaps.length > 1;
    $('player').hidden = !multi;
    for (const b of document.querySelectorAll('#views button'))
      if (!multi && (b.dataset.view === 'diff' || b.dataset.view === 'timeline')) b.disabled = true;
    $('slider').max = String(snaps.length);
    const pos = (i) => Math.max(0, snaps.findIndex((s) => s.index === i));
    state.pos = pos(D.view.snapshot);
    state.old = pos(D.view.old);
    state.neu = pos(D.view.new);
    $('diff-old').value = String(state.old);
    $('diff-new').value = String(state.neu);
    if (D.diagnostics.length) {
      $('diagnostics').hidden = false;
      for (const d of D.diagnostics) $('diag-list').append(el('li', { class: d.level === 'warning' ? 'warn' : '' }, 'line ' + d.line + ': ' + d.level + ': ' + d.message));
      if (D.diagnostics_total > D.diagnostics.length)
        $('diag-list').append(el('li', {}, '... and ' + count(D.diagnostics_total - D.diagnostics.length) + ' more'));
    }
    const kind = multi ? D.view.kind : 'map';
    // The timeline opens first: the map behind it is drawn all the same, for the switch.
    await setSnapshot(state.pos, kind !== 'timeline');
    await showView(kind);
    const ms = performance.now() - t0;
    $('status').textContent = 'Drawn in ' + ms.toFixed(0) + ' ms: ' + count(view.layer.n) + ' blocks, ' + count(view.layer.runs) + ' runs.';
    document.body.dataset.ready = 'true';
    document.body.dataset.drawMs = ms.toFixed(1);
    timing.start = ms;
    timing.since_navigation = performance.now();
    document.body.dataset.timing = JSON.stringify(timing);
  }
  start().catch((e) => {
    $('status').textContent = 'The report could not be drawn: ' + e.message;
    document.body.dataset.ready = 'error';
  });
})();
