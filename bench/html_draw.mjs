// The HTML report's draw time in headless Chromium (bench/run.sh): open REPORT from disk N
// times, each in a fresh page, and take the time from navigation start to the first frame
// after the page says it has drawn its map (body[data-ready]). Prints one line:
//   median MS min MS max MS script MS runs N
// (script: the page's own start-to-drawn time, median). Uses tests/browser's playwright-core
// and Debian's chromium ($MPH_CHROMIUM, default /usr/bin/chromium).
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'tests', 'browser', 'package.json'));
const { chromium } = require('playwright-core');
const [file, n = '5'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/html_draw.mjs REPORT.html [N]');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.MPH_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'],
});
const total = [], script = [];
try {
  for (let i = 0; i < Number(n); i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    await page.goto(pathToFileURL(path.resolve(file)).href);
    await page.waitForFunction(() => document.body && document.body.dataset.ready, null, { timeout: 60000 });
    if ((await page.evaluate(() => document.body.dataset.ready)) !== 'true')
      throw new Error('the report did not draw: ' + (await page.textContent('#status')));
    total.push(await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(performance.now())))));
    script.push(Number(await page.evaluate(() => document.body.dataset.drawMs)));
    await context.close();
  }
} finally {
  await browser.close();
}
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[(s.length - 1) >> 1]; };
console.log(`median ${median(total).toFixed(0)} min ${Math.min(...total).toFixed(0)} max ${Math.max(...total).toFixed(0)} script ${median(script).toFixed(0)} runs ${total.length}`);
