// The HTML report in a real browser (Debian's chromium through playwright-core): opened
// from disk, no request leaving the page, hover and keyboard against `mpheap stats --json`,
// the tables against the same document, the slider, the diff view and the timeline on a
// log made now on the virtual board, and input strings that stay text.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  REPO, artifact, fmt, hoverBlock, launch, mpheap, mpheapJson, num, openReport, skipReason, tableRows,
} from './lib.mjs';

const reason = await skipReason();
if (reason) console.log(`# browser tests skipped: ${reason}`);
const T = mkdtempSync(path.join(tmpdir(), 'mpheap-browser-'));
const FRAG = path.join(REPO, 'tests/data/samples/u32-frag-256k.txt');
const NEED = '128K'; // more than its largest free run (97 KiB): the verdict lists blockers

let browser;
before(async () => { if (!reason) browser = await launch(); });
after(async () => { if (browser) await browser.close(); });

const typeName = (stats, t) => stats.whole.types[t].name;
function allocText(stats, x) {
  return `allocation at ${x.address}: ${typeName(stats, x.type)} (${x.type}), ${fmt(x.blocks)} blocks = ${fmt(x.bytes)} bytes`;
}

describe('one dump: u32-frag-256k.txt --need ' + NEED, { skip: reason || false }, () => {
  let page, seen, stats;
  const out = path.join(T, 'frag.html');
  before(async () => {
    mpheap('report', '--need', NEED, '-o', out, FRAG);
    stats = mpheapJson('stats', '--json', '--need', NEED, FRAG);
    ({ page, seen } = await openReport(browser, out));
  });
  after(async () => {
    if (page) { await page.screenshot({ path: artifact('frag-map.png'), fullPage: true }); await page.close(); }
  });

  test('a Content-Security-Policy that allows no remote load, and no request leaves the page', async () => {
    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    assert.match(csp, /^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]{43}='; style-src 'sha256-[A-Za-z0-9+/]{43}='; img-src data: blob:/);
    await page.click('button[data-view="stats"]');
    await page.hover('#hist-free svg');
    await page.click('button[data-view="map"]');
    assert.deepEqual(seen.requests, []);
    assert.deepEqual(await page.evaluate(() => window.__violations), []);
    assert.deepEqual(seen.errors, []);
  });

  test('hover on the blockers the verdict names shows their address, type and size', async () => {
    const blockers = stats.verdict.windows[0].blockers;
    assert.ok(blockers.length >= 1);
    for (const x of blockers.slice(0, 4)) {
      const mid = Math.floor(x.blocks / 2);
      const tip = await hoverBlock(page, x.area, x.block + mid);
      const addr = '0x' + (BigInt(x.address) + BigInt(mid * stats.block_size)).toString(16);
      assert.equal(tip.split('\n')[0], `block ${addr}  (area ${x.area}, block ${fmt(x.block + mid)})`);
      assert.equal(tip.split('\n')[1], allocText(stats, x));
      assert.match(tip, /splits the free memory/);
    }
  });

  test('hover on the largest free run shows its start and size', async () => {
    const lf = stats.whole.largest_free;
    const tip = await hoverBlock(page, lf.area, lf.block + lf.blocks - 1);
    assert.equal(tip.split('\n')[1], `free run at ${lf.address}, ${fmt(lf.blocks)} blocks = ${fmt(lf.bytes)} bytes`);
    assert.equal(tip.split('\n')[2], 'the largest free run');
  });

  test('keyboard: focus, arrows and n/p move block by block and allocation by allocation', async () => {
    const x = stats.verdict.windows[0].blockers[0];
    await hoverBlock(page, x.area, x.block);
    await page.mouse.down();
    await page.mouse.up(); // a click puts the cursor on the block
    assert.match(await page.textContent('#info'), new RegExp('^block ' + x.address + ' '));
    await page.focus('#map');
    await page.keyboard.press('ArrowRight');
    const next = '0x' + (BigInt(x.address) + BigInt(stats.block_size)).toString(16);
    assert.match(await page.textContent('#info'), new RegExp('^block ' + next + ' '));
    await page.keyboard.press('ArrowLeft');
    assert.equal((await page.textContent('#info')).split('\n')[1], allocText(stats, x));
    // n: the next allocation after the blocker, which starts right after it or after a free run
    await page.keyboard.press('n');
    const info = await page.textContent('#info');
    assert.match(info.split('\n')[1], /^allocation at 0x[0-9a-f]+: /);
    const at = BigInt(info.split('\n')[1].split(' ')[2].replace(':', ''));
    assert.ok(at >= BigInt(x.address) + BigInt(x.bytes));
    await page.keyboard.press('p');
    assert.equal((await page.textContent('#info')).split('\n')[1], allocText(stats, x));
    await page.keyboard.press('Home');
    const first = '0x' + BigInt(stats.areas[0].base).toString(16);
    assert.match(await page.textContent('#info'), new RegExp('^block ' + first + ' '));
  });

  test('zoom in to single blocks and out to the whole heap', async () => {
    const before_ = JSON.parse(await page.getAttribute('#map', 'data-geometry'));
    await page.click('#zoom-in');
    await page.click('#zoom-in');
    const zoomed = JSON.parse(await page.getAttribute('#map', 'data-geometry'));
    assert.ok(zoomed.s > before_.s * 3);
    assert.match(await page.textContent('#zoom-level'), /px per block/);
    await page.screenshot({ path: artifact('frag-zoomed.png') });
    await page.click('#zoom-fit');
    assert.equal(JSON.parse(await page.getAttribute('#map', 'data-geometry')).s, before_.s);
  });

  test('the summary and verdict are the terminal\'s', async () => {
    const summary = await page.textContent('#summary');
    assert.match(summary, new RegExp('used\\s+' + fmt(stats.whole.used.bytes) + ' bytes'));
    const verdict = await page.textContent('#verdict');
    assert.match(verdict, new RegExp('For ' + fmt(stats.verdict.need_bytes) + ' bytes \\(--need\\): ' + stats.verdict.outcome.replace(/-/g, ' ')));
    assert.match(verdict, new RegExp('freeing ' + stats.verdict.windows[0].blocker_count + ' allocation'));
  });

  test('the statistics tables equal `mpheap stats --json`', async () => {
    await page.click('button[data-view="stats"]');
    const w = stats.whole;
    const whole = Object.fromEntries((await tableRows(page, 'stats-whole')).map((r) => [r[0], [num(r[1]), num(r[2])]]));
    assert.deepEqual(whole.total, [w.total.blocks, w.total.bytes]);
    assert.deepEqual(whole.used, [w.used.blocks, w.used.bytes]);
    assert.deepEqual(whole.free, [w.free.blocks, w.free.bytes]);
    assert.deepEqual(whole['largest free run'], [w.largest_free.blocks, w.largest_free.bytes]);
    assert.deepEqual(whole['largest allocation'], [w.largest_allocation.blocks, w.largest_allocation.bytes]);
    const counts = Object.fromEntries((await tableRows(page, 'stats-counts')).map((r) => [r[0], r[1]]));
    assert.equal(num(counts.allocations), w.allocations);
    assert.equal(num(counts['free runs']), w.free_runs);
    assert.equal(counts.fragmentation, (w.fragmentation * 100).toFixed(1) + '%');
    const types = await tableRows(page, 'stats-types');
    assert.equal(types.length, Object.keys(w.types).length);
    for (const r of types) {
      const t = w.types[r[0].split(' ')[0]];
      assert.deepEqual([r[0].slice(2), num(r[1]), num(r[2]), num(r[3])], [t.name, t.allocations, t.blocks, t.bytes]);
    }
    for (const [id, list, key] of [['hist-free-table', w.free_run_sizes, 'runs'], ['hist-alloc-table', w.allocation_sizes, 'allocations']]) {
      const rows = await tableRows(page, id);
      assert.equal(rows.length, list.length);
      rows.forEach((r, i) => {
        const b = list[i];
        assert.equal(r[0], b.min_blocks === b.max_blocks ? fmt(b.min_blocks) : fmt(b.min_blocks) + '\u2013' + fmt(b.max_blocks));
        assert.deepEqual([num(r[1]), num(r[2]), num(r[3])], [b[key], b.blocks, b.bytes]);
      });
      // the chart: one bar per bucket, the tallest for the largest count
      const heights = await page.$$eval(`#${id.replace('-table', '')} rect.bar`, (rs) => rs.map((r) => Number(r.getAttribute('height'))));
      assert.equal(heights.length, list.length);
      const imax = list.reduce((m, b, i) => (b[key] > list[m][key] ? i : m), 0);
      assert.equal(Math.max(...heights), heights[imax]);
    }
    await page.screenshot({ path: artifact('frag-stats.png'), fullPage: true });
    await page.click('button[data-view="map"]');
  });
});

describe('a log made now on the virtual board', { skip: reason || false }, () => {
  const LABEL_BITS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(2)>'];
  let page, seen, log, out, tl, n;
  before(async () => {
    // Five dumps of a program that keeps more each step, each under a marker whose label
    // holds markup; captured with --listen from one run on the virtual board.
    const prog = path.join(T, 'grow.py');
    writeFileSync(prog, [
      'import micropython',
      'keep = []',
      'for step in range(5):',
      '    for i in range(12):',
      '        keep.append(bytearray(40 + step * 8))',
      '    keep.append([step] * (8 + step * 4))',
      `    print("=== mpheap: step %d ${LABEL_BITS.join(' ').replace(/"/g, '\\"')} ===" % (step + 1))`,
      '    micropython.mem_info(1)',
      '',
    ].join('\n'));
    log = path.join(T, 'grow.log');
    mpheap('capture', '--port', 'sim:64K', '--listen', '--run', prog, '-q', '-o', log);
    out = path.join(T, 'grow.html');
    mpheap('report', '-o', out, log);
    tl = mpheapJson('timeline', '--json', log);
    n = tl.rows.length;
    ({ page, seen } = await openReport(browser, out));
  });
  after(async () => { if (page) await page.close(); });

  test('the log has five snapshots and the page a slider over them, on the last', async () => {
    assert.equal(n, 5);
    assert.equal(await page.getAttribute('#slider', 'max'), '5');
    assert.equal(await page.evaluate(() => document.body.dataset.snapshot), '5');
  });

  test('labels with markup stay text: no element, no script, no dialog', async () => {
    const out_ = await page.textContent('#slider-out');
    for (const bit of LABEL_BITS) assert.ok(out_.includes(bit), out_);
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(await page.locator('script').count(), 2); // the JSON island and the page's script
    const options = await page.$$eval('#diff-old option', (os) => os.map((o) => o.textContent));
    assert.ok(options.every((o) => o.includes(LABEL_BITS[1])));
    assert.deepEqual(seen.dialogs, []);
    assert.deepEqual(await page.evaluate(() => window.__violations), []);
    const island = readFileSync(out, 'utf8');
    const data = island.slice(island.indexOf('id="mpheap-data">'), island.indexOf('</script>', island.indexOf('id="mpheap-data">')));
    assert.ok(!data.slice(17).includes('<'), 'a raw < inside the JSON island');
    assert.ok(data.includes('\\u003cscript\\u003ealert(1)\\u003c/script\\u003e'));
  });

  test('the slider steps through the snapshots; each shows its own figures', async () => {
    await page.focus('#slider');
    await page.keyboard.press('Home');
    for (let i = 1; i <= n; i++) {
      if (i > 1) await page.keyboard.press('ArrowRight');
      await page.waitForFunction((k) => document.body.dataset.snapshot === String(k), i);
      const st = mpheapJson('stats', '--json', '-s', String(i), log);
      assert.match(await page.textContent('#summary'), new RegExp('used\\s+' + fmt(st.whole.used.bytes) + ' bytes'));
      assert.match(await page.textContent('#slider-out'), new RegExp('^#' + i + ' of 5: '));
      if (i === 1) await page.screenshot({ path: artifact('live-snapshot1.png') });
    }
  });

  test('play steps from the first snapshot to the last', async () => {
    await page.focus('#slider');
    await page.keyboard.press('Home');
    await page.waitForFunction(() => document.body.dataset.snapshot === '1');
    await page.evaluate(() => {
      window.__seen = [];
      new MutationObserver(() => window.__seen.push(document.body.dataset.snapshot))
        .observe(document.body, { attributes: true, attributeFilter: ['data-snapshot'] });
    });
    await page.click('#play');
    await page.waitForFunction(() => document.body.dataset.snapshot === '5' && document.getElementById('play').textContent === 'Play', null, { timeout: 15000 });
    assert.deepEqual(await page.evaluate(() => [...new Set(window.__seen)]), ['2', '3', '4', '5']);
  });

  test('the diff view of any two snapshots counts blocks as `mpheap diff --json` does', async () => {
    await page.click('button[data-view="diff"]');
    for (const [a, b] of [[1, 5], [2, 3], [4, 5]]) {
      await page.selectOption('#diff-old', String(a - 1));
      await page.selectOption('#diff-new', String(b - 1));
      await page.waitForFunction(([x, y]) => {
        const t = document.querySelector('#diff-text p');
        return t && t.textContent.startsWith('From #' + x + ' ') && t.textContent.includes(' to #' + y + ' ');
      }, [a, b]);
      const counts = JSON.parse(await page.getAttribute('#diff-counts', 'data-counts'));
      const d = mpheapJson('diff', '--json', '--from', String(a), '--to', String(b), log);
      const { free, kept, freed, allocated, reused } = d.blocks;
      assert.deepEqual(counts, { free, kept, freed, allocated, reused }, `diff ${a} -> ${b}`);
    }
    // a block allocated since: the tooltip says what was there and what is there now
    const grown = tl.suspects.survivors.find((x) => x.since === 5) || tl.suspects.survivors.at(-1);
    await page.selectOption('#diff-old', '0');
    await page.selectOption('#diff-new', '4');
    await page.waitForFunction(() => document.querySelector('#diff-text p').textContent.startsWith('From #1 '));
    const tip = await hoverBlock(page, grown.area, grown.block);
    assert.match(tip.split('\n')[0], new RegExp('^block ' + grown.address + ': allocated$'));
    assert.match(tip.split('\n')[2], new RegExp('^new: allocation at ' + grown.address + ': '));
    await page.screenshot({ path: artifact('live-diff.png'), fullPage: true });
  });

  test('the timeline: four charts with a point per snapshot, hover, and the table', async () => {
    await page.click('button[data-view="timeline"]');
    const series = await page.$$eval('#charts .chart-box', (bs) => bs.map((b) => [b.dataset.series, b.querySelectorAll('circle').length]));
    assert.deepEqual(series, [['used_bytes', n], ['free_bytes', n], ['largest_free_bytes', n], ['fragmentation', n]]);
    await page.hover('#charts .chart-box[data-series="used_bytes"] circle[data-row="2"]');
    const v = await page.textContent('#charts .chart-box[data-series="used_bytes"] .chart-value');
    assert.ok(v.startsWith('#3 ' + tl.rows[2].label + ': used '), v);
    const rows = await tableRows(page, 'timeline-table');
    assert.deepEqual(rows.map((r) => num(r[5])), tl.rows.map((r) => r.allocations));
    // the charts' points climb as used memory does
    const ys = await page.$$eval('#charts .chart-box[data-series="used_bytes"] circle', (cs) => cs.map((c) => Number(c.getAttribute('cy'))));
    tl.rows.forEach((r, i) => { if (i && r.used_bytes > tl.rows[i - 1].used_bytes) assert.ok(ys[i] < ys[i - 1]); });
    await page.screenshot({ path: artifact('live-timeline.png'), fullPage: true });
  });

  test('leak suspects link to their allocations on the map', async () => {
    await page.click('button[data-view="timeline"]');
    const types = await page.$$eval('#growing-types li', (ls) => ls.map((l) => l.textContent.split(' ')[0]));
    assert.deepEqual(types, tl.suspects.growing_types.map((t) => t.type));
    // a growing type marks every allocation of it in the last snapshot
    const t0 = tl.suspects.growing_types[0];
    await page.click('#growing-types li:first-child a');
    await page.waitForFunction(() => document.body.dataset.view === 'map');
    assert.match(await page.textContent('#status'), new RegExp('^Marked ' + tl.rows[n - 1].types[t0.type][0] + ' allocations of snapshot #' + n));
    await page.click('button[data-view="timeline"]');
    const groups = tl.suspects.survivor_groups;
    assert.ok(groups.length >= 1);
    await page.click('#survivors li:first-child a');
    await page.waitForFunction(() => document.body.dataset.view === 'map');
    const first = tl.suspects.survivors.filter((x) => x.since === groups[0].since)[0];
    assert.equal(await page.evaluate(() => document.body.dataset.snapshot), String(n));
    assert.match(await page.textContent('#status'), new RegExp('^Marked ' + groups[0].count + ' allocations of snapshot #' + n));
    const last = mpheapJson('stats', '--json', log);
    assert.equal((await page.textContent('#info')).split('\n')[1], allocText(last, first));
    await page.screenshot({ path: artifact('live-suspects.png'), fullPage: true });
    assert.deepEqual(seen.requests, []);
    assert.deepEqual(seen.errors, []);
  });
});

describe('a file name with markup; show, diff and timeline -o', { skip: reason || false }, () => {
  test('the file name stays text in the title and the heading', async () => {
    const name = path.join(T, '"><img src=x onerror=alert(3)><script>alert(4)<script>.txt');
    copyFileSync(FRAG, name);
    const out = path.join(T, 'name.html');
    mpheap('show', '-o', out, name);
    const { page, seen } = await openReport(browser, out);
    assert.equal(await page.title(), 'mpheap: ' + name);
    assert.equal(await page.textContent('#title'), 'mpheap: ' + name);
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(await page.locator('script').count(), 2);
    assert.deepEqual(seen.dialogs, []);
    await page.close();
  });

  test('diff -o x.html opens on the diff of the two snapshots asked for', async () => {
    const log = path.join(REPO, 'tests/data/samples/seq-leak-5snapshots.txt');
    const out = path.join(T, 'diff.html');
    mpheap('diff', '--from', '2', '--to', '4', '-o', out, log);
    const { page, seen } = await openReport(browser, out);
    assert.equal(await page.evaluate(() => document.body.dataset.view), 'diff');
    assert.deepEqual([await page.inputValue('#diff-old'), await page.inputValue('#diff-new')], ['1', '3']);
    const d = mpheapJson('diff', '--json', '--from', '2', '--to', '4', log);
    const counts = JSON.parse(await page.getAttribute('#diff-counts', 'data-counts'));
    const { free, kept, freed, allocated, reused } = d.blocks;
    assert.deepEqual(counts, { free, kept, freed, allocated, reused });
    const text = await page.textContent('#diff-text');
    assert.ok(text.includes('fragmentation ' + (d.fragmentation.old * 100).toFixed(1) + '% \u2192 ' + (d.fragmentation.new * 100).toFixed(1) + '%'), text);
    assert.deepEqual(seen.errors, []);
    await page.screenshot({ path: artifact('diff-o.png'), fullPage: true });
    await page.close();
  });

  test('timeline -o x.html opens on the timeline', async () => {
    const log = path.join(REPO, 'tests/data/samples/seq-leak-5snapshots.txt');
    const out = path.join(T, 'timeline.html');
    mpheap('timeline', '-o', out, log);
    const { page, seen } = await openReport(browser, out);
    assert.equal(await page.evaluate(() => document.body.dataset.view), 'timeline');
    assert.equal(await page.locator('#charts .chart-box').count(), 4);
    assert.equal(await page.isVisible('#view-map'), false);
    assert.deepEqual(seen.errors, []);
    await page.close();
  });

  test('show -o x.html opens on the snapshot asked for', async () => {
    const out = path.join(T, 'show2.html');
    mpheap('show', '-s', '2', '-o', out, path.join(REPO, 'tests/data/samples/seq-leak-5snapshots.txt'));
    assert.ok(statSync(out).size > 1000);
    const { page } = await openReport(browser, out);
    assert.equal(await page.evaluate(() => document.body.dataset.snapshot), '2');
    await page.close();
  });
});

describe('the overview: zoomed out, a pixel shows how full its blocks are', { skip: reason || false }, () => {
  test('every pixel has the level of the blocks under it, as the page\'s geometry places them', async () => {
    // 262,144 blocks of 16 bytes, made here: allocations of 1-40 blocks of every type and
    // free runs of 1-60 blocks, from a fixed seed, and one free run of 5,000 blocks.
    let seed = 12345;
    const rand = (k) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % k; };
    const N = 262144, cells = [];
    while (cells.length < N) {
      if (cells.length > 100000 && cells.length < 100100) cells.push(...'.'.repeat(5000));
      const n = 1 + rand(40);
      cells.push('TLDSAFBMhm'[rand(10)], ...'='.repeat(n - 1));
      cells.push(...'.'.repeat(1 + rand(60)));
    }
    cells.length = N;
    const text = ['GC memory layout; from 10000:'];
    for (let r = 0; r < N / 64; r++) text.push((r * 64 * 16).toString(16).padStart(8, '0') + ': ' + cells.slice(r * 64, r * 64 + 64).join(''));
    const dump = path.join(T, 'overview.txt'), out = path.join(T, 'overview.html');
    writeFileSync(dump, text.join('\n') + '\n');
    mpheap('report', '-o', out, dump);
    const lf = mpheapJson('stats', '--json', dump).whole.largest_free;
    const { page, seen } = await openReport(browser, out);
    await page.click('#zoom-out');
    const g = JSON.parse(await page.getAttribute('#map', 'data-geometry'));
    assert.ok(g.s < 1, 'not zoomed out: ' + g.s);
    assert.match(await page.textContent('#zoom-level'), /^one pixel = /);
    const pal = await page.evaluate(() => JSON.parse(document.getElementById('mpheap-data').textContent).palette);
    const W = await page.evaluate(() => document.getElementById('map').width);
    const H = await page.evaluate(() => document.getElementById('map').height);
    const px = await page.evaluate(() => {
      const c = document.getElementById('map');
      return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
    });
    // The blocks of each pixel, placed as the page says it places them.
    const used = new Float64Array(W * H), tot = new Float64Array(W * H), inLargest = new Uint8Array(W * H);
    for (let b = 0; b < N; b++) {
      const x = Math.floor(g.ox + (b % g.R) * g.s), y = Math.floor(g.oy + (g.rows[0] + Math.floor(b / g.R)) * g.s);
      if (x < g.gutter || x >= W || y < 0 || y >= H) continue;
      tot[y * W + x]++;
      if (cells[b] !== '.') used[y * W + x]++;
      if (b >= lf.block && b < lf.block + lf.blocks) inLargest[y * W + x] = 1;
    }
    const hex = (i) => '#' + [px[4 * i], px[4 * i + 1], px[4 * i + 2]].map((v) => v.toString(16).padStart(2, '0')).join('');
    let checked = 0;
    for (let i = 0; i < W * H; i++) {
      if (!tot[i]) continue;
      const t = tot[i], u = used[i];
      const want = inLargest[i] && u === 0 ? pal.largest : u === 0 ? pal.free : u * 4 <= t ? pal.low
        : u * 2 <= t ? pal.mid : u < t ? pal.high : pal.full;
      if (hex(i) !== want) assert.fail(`pixel ${i % W},${Math.floor(i / W)}: ${hex(i)}, want ${want} (${u} of ${t} blocks used)`);
      checked++;
    }
    assert.ok(checked > 50000, 'only ' + checked + ' pixels');
    assert.deepEqual(seen.errors, []);
    await page.screenshot({ path: artifact('overview.png') });
    await page.close();
  });
});

describe('every readable dump of tests/data (samples, variants, malformed)', { skip: reason || false }, () => {
  test('draws, and opens every view, without an error or a request', async () => {
    const { readdirSync } = await import('node:fs');
    const files = [];
    const walk = (d) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory() && e.name !== 'canon') walk(p); // canon/: 22 more of one kind
        else if (e.name.endsWith('.txt')) files.push(p);
      }
    };
    for (const d of ['samples', 'variants', 'malformed']) walk(path.join(REPO, 'tests/data', d));
    let opened = 0;
    for (const f of files.sort()) {
      const out = path.join(T, 'each.html');
      try { mpheap('report', '-o', out, f); } catch { continue; } // malformed on purpose: no page
      const { page, seen } = await openReport(browser, out);
      for (const v of ['stats', 'timeline', 'diff', 'map']) {
        const b = page.locator(`button[data-view="${v}"]`);
        if (await b.isEnabled()) {
          await b.click();
          await page.waitForFunction((k) => document.body.dataset.view === k, v);
        }
      }
      await page.focus('#map');
      await page.keyboard.press('End');
      await page.keyboard.press('p');
      assert.deepEqual([seen.errors, seen.requests], [[], []], f);
      await page.close();
      opened++;
    }
    assert.ok(opened >= 70, `only ${opened} of ${files.length} dumps opened`);
  });
});
