// One crawl of the portal in one language (anonymous or signed in), checking every page.
import { BASE_URL, report } from './env.mjs';
import { DESKTOP, PHONE, closeQuietly } from './browser.mjs';
import { crawl, publishedRoutes } from './crawl.mjs';
import { triage } from './known.mjs';
import { runAxe, formatAxe, horizontalOverflow, slug, screenshot, watchErrors } from './checks.mjs';

/** Switch `context` to `lang` the way a user without JS does: the /language link. */
export async function setLanguage(context, lang) {
  const page = await context.newPage();
  try {
    const res = await page.goto(`${BASE_URL}/language/${lang}?next=/`);
    const got = await page.getAttribute('html', 'lang');
    if (!res || res.status() !== 200 || got !== lang) throw new Error(`/language/${lang} did not switch (status ${res && res.status()}, html lang ${got})`);
  } finally {
    await closeQuietly(page);
  }
}

/**
 * Crawl and check. `t` is the node:test context (each page becomes a subtest); `variant` names
 * the crawl ('anonymous', 'signed-in') and prefixes screenshots unless anonymous.
 * Returns { pages: [{ url, finalUrl, status, problems }], truncated }.
 */
export async function checkPortal(t, context, { lang, variant }) {
  const desktop = await context.newPage();
  const phone = await context.newPage();
  await desktop.setViewportSize(DESKTOP);
  await phone.setViewportSize(PHONE);
  const desktopErrors = watchErrors(desktop);
  const phoneErrors = watchErrors(phone);
  const prefix = variant === 'anonymous' ? '' : `${variant}-`;
  const checked = new Set();
  const pages = [];

  const checkOne = async (url, from, expectStatus = 200, shotName = null) => {
    const problems = [];
    let res = null;
    try {
      res = await desktop.goto(url, { waitUntil: 'load' });
    } catch (e) {
      problems.push(`navigation failed: ${e.message.split('\n')[0]}`);
    }
    const finalUrl = desktop.url();
    const status = res ? res.status() : 0;
    const type = (res && res.headers()['content-type']) || '';
    if (res && !type.includes('text/html')) {
      // Not a portal page (a download, JSON): only its status matters.
      if (status >= 400) problems.push(`HTTP ${status} for a ${type} link (linked from ${from})`);
      desktopErrors();
      return { finalUrl, links: [], page: { url, finalUrl, status, problems, html: false } };
    }
    if (checked.has(finalUrl)) {
      desktopErrors();
      return { finalUrl, links: [], page: null };
    }
    checked.add(finalUrl);
    if (res && status !== expectStatus) problems.push(`HTTP ${status}, expected ${expectStatus} (linked from ${from})`);

    let links = [];
    if (res) {
      const htmlLang = await desktop.getAttribute('html', 'lang');
      if (htmlLang !== lang) problems.push(`<html lang="${htmlLang}">, expected "${lang}"`);
      const viewport = await desktop.locator('meta[name=viewport]').getAttribute('content').catch(() => null);
      if (!viewport || !/width=device-width/.test(viewport)) problems.push('no <meta name="viewport" content="width=device-width, ...">');
      const h1 = await desktop.locator('h1').count();
      if (h1 !== 1) problems.push(`${h1} <h1> elements, expected exactly one`);
      links = await desktop.$$eval('a[href]', (as) => as.map((a) => ({ href: a.href, download: a.hasAttribute('download') })));

      const name = prefix + (shotName || slug(finalUrl));
      const desktopAxe = await runAxe(desktop);
      problems.push(...formatAxe(desktopAxe, `${finalUrl} at ${DESKTOP.width}px`));
      await screenshot(desktop, name, 'desktop', lang);
      problems.push(...desktopErrors().map((e) => `${e} (at ${DESKTOP.width}px)`));

      await phone.goto(finalUrl, { waitUntil: 'load' });
      const overflow = await horizontalOverflow(phone);
      if (overflow) {
        problems.push(
          `horizontal overflow at ${PHONE.width}px: scrollWidth ${overflow.scrollWidth} > innerWidth ${overflow.innerWidth}; ` +
            `sticking out: ${overflow.culprits.join(', ')}`,
        );
      }
      const seen = new Set(desktopAxe.flatMap((v) => v.nodes.map((n) => v.id + n.target.join(' '))));
      const phoneAxe = (await runAxe(phone))
        .map((v) => ({ ...v, nodes: v.nodes.filter((n) => !seen.has(v.id + n.target.join(' '))) }))
        .filter((v) => v.nodes.length);
      problems.push(...formatAxe(phoneAxe, `${finalUrl} at ${PHONE.width}px`));
      await screenshot(phone, name, 'phone', lang);
      problems.push(...phoneErrors().map((e) => `${e} (at ${PHONE.width}px)`));
    }
    return { finalUrl, links, page: { url, finalUrl, status, problems, html: true } };
  };

  const record = async (url, result) => {
    if (!result.page) return;
    pages.push(result.page);
    const { problems, finalUrl } = result.page;
    const label = `${variant} ${lang} ${new URL(url).pathname}${new URL(url).search}` + (finalUrl !== url ? ` -> ${new URL(finalUrl).pathname}` : '');
    const { failing, known } = triage(problems);
    result.page.failing = failing;
    result.page.known = known;
    if (failing.length) report(`FAIL ${label}`, ...failing.map((p) => `  ${p}`), '');
    for (const k of known) report(`KNOWN ${k.id} ${label}`);
    await t.test(label, (tt) => {
      for (const k of known) tt.diagnostic(`KNOWN ${k.id} (known-issues.txt, not failing): ${k.problem}`);
      if (failing.length) {
        // No stack trace: the message says everything.
        const e = new Error(`${failing.length} problem(s) on ${url}:\n  ${failing.join('\n  ')}`);
        e.stack = e.message;
        throw e;
      }
    });
  };

  // A search with results, so the crawl reaches consolidated records (signed in; anonymous
  // users are sent to the login page).
  const seeds = ['/', '/search?last_name=Garcia', ...(await publishedRoutes())];
  const { truncated } = await crawl({
    seeds,
    visit: async (url, from) => {
      const r = await checkOne(url, from);
      await record(url, r);
      return r;
    },
  });
  // The not-found page is a portal page too, but no link leads to it.
  const missing = `${BASE_URL}/no-such-page-${Date.now()}`;
  await record(missing, await checkOne(missing, '(not-found check)', 404, 'not-found'));

  await closeQuietly(desktop);
  await closeQuietly(phone);
  return { pages, truncated };
}
