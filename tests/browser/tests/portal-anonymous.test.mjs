// Crawl the portal without signing in, in English and in Spanish; every page gets axe-core
// (WCAG 2.1 A/AA) at desktop and phone widths, a phone overflow check, console/CSP checks and
// screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, closeQuietly } from '../lib/browser.mjs';
import { checkPortal, setLanguage } from '../lib/portal.mjs';
import { LANGS, report } from '../lib/env.mjs';

let browser;
const crawled = {};
before(async () => {
  browser = await launch();
});
after(async () => {
  await closeQuietly(browser);
});

for (const lang of LANGS) {
  test(`anonymous crawl (${lang})`, async (t) => {
    const context = await newContext(browser, { lang: 'en' });
    try {
      await setLanguage(context, lang);
      const { pages, truncated } = await checkPortal(t, context, { lang, variant: 'anonymous' });
      const html = pages.filter((p) => p.html);
      const bad = pages.filter((p) => p.failing && p.failing.length);
      const known = pages.filter((p) => p.known && p.known.length);
      crawled[lang] = new Set(html.map((p) => new URL(p.finalUrl).pathname).filter((p) => !p.startsWith('/no-such-page-')));
      const line = `anonymous ${lang}: ${html.length} pages checked, ${bad.length} failing, ${known.length} with known issues${truncated ? ' (crawl limit reached)' : ''}`;
      t.diagnostic(line);
      report(line);
      assert.ok(html.length >= 2, 'the crawl found almost nothing: is the portal up?');
    } finally {
      await closeQuietly(context);
    }
  });
}

test('the same pages are reachable in English and Spanish', () => {
  if (!crawled.en || !crawled.es) return;
  const onlyEn = [...crawled.en].filter((p) => !crawled.es.has(p));
  const onlyEs = [...crawled.es].filter((p) => !crawled.en.has(p));
  assert.deepEqual({ onlyEn, onlyEs }, { onlyEn: [], onlyEs: [] });
});
