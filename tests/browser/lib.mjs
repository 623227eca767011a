// Helpers of the browser tests: Debian's chromium driven by playwright-core, mpheap run as
// the CLI tests run it ($MPHEAP, else build/mpheap), screenshots kept under
// $MPH_BUILD/artifacts/browser/.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '..', '..');
export const MPHEAP = path.resolve(REPO, process.env.MPHEAP || path.join(process.env.MPH_BUILD || 'build', 'mpheap'));
export const ARTIFACTS = path.resolve(REPO, process.env.MPH_BUILD || 'build', 'artifacts', 'browser');
export const CHROMIUM = process.env.MPH_CHROMIUM || '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null when they can. */
export async function skipReason() {
  if (!existsSync(CHROMIUM)) return `no chromium at ${CHROMIUM} (Debian: apt-get install chromium)`;
  if (!existsSync(MPHEAP)) return `no mpheap binary at ${MPHEAP} (make first)`;
  try {
    await import('playwright-core');
  } catch {
    return 'playwright-core is not installed (npm ci --prefix tests/browser)';
  }
  return null;
}

export async function launch() {
  const { chromium } = await import('playwright-core');
  // --no-sandbox: the tests run as root in containers, where chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
}

/** Run mpheap; returns stdout (throws with stderr on a non-zero exit). */
export function mpheap(...args) {
  const r = spawnSync(MPHEAP, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`mpheap ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}
export const mpheapJson = (...args) => JSON.parse(mpheap(...args));

export function artifact(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

/**
 * Open a report from disk in a new page. Records every request that is not the report
 * itself (and aborts it), dialogs, CSP violations, page errors and console errors.
 */
export async function openReport(browser, file, viewport = { width: 1280, height: 1100 }) {
  const page = await browser.newPage({ viewport });
  const url = pathToFileURL(file).href;
  const seen = { requests: [], dialogs: [], errors: [] };
  page.on('request', (r) => { if (r.url() !== url) seen.requests.push(r.url()); });
  await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  page.on('dialog', (d) => { seen.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => seen.errors.push('pageerror: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') seen.errors.push('console: ' + m.text()); });
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
  });
  await page.goto(url);
  await page.waitForFunction(() => document.body && document.body.dataset.ready, null, { timeout: 30000 });
  const ready = await page.evaluate(() => document.body.dataset.ready);
  if (ready !== 'true') throw new Error('the report did not draw: ' + (await page.textContent('#status')));
  return { page, seen, url };
}

/** Move the mouse over block `block` of area `area` (1-based, as the JSON documents say). */
export async function hoverBlock(page, area, block) {
  const g = JSON.parse(await page.getAttribute('#map', 'data-geometry'));
  const x = g.ox + ((block % g.R) + 0.5) * g.s;
  const y = g.oy + (g.rows[area - 1] + Math.floor(block / g.R) + 0.5) * g.s;
  const box = await page.locator('#map').boundingBox();
  const size = await page.evaluate(() => [document.getElementById('map').width, document.getElementById('map').height]);
  await page.mouse.move(box.x + x * box.width / size[0], box.y + y * box.height / size[1]);
  return page.textContent('#tip');
}

/** A table's body rows as arrays of cell texts. */
export function tableRows(page, id) {
  return page.$$eval(`#${id} tbody tr`, (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
}

export const num = (text) => Number(String(text).replace(/,/g, ''));
export const fmt = (n) => Number(n).toLocaleString('en-US');

export function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', ...opts });
}
