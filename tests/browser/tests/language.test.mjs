// Language: the switch in the header (with and without JavaScript), <html lang>, Spanish labels,
// Accept-Language negotiation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, closeQuietly } from '../lib/browser.mjs';
import { BASE_URL, fluentMessages } from '../lib/env.mjs';
import { loginPageExists, crawlAccount, login } from '../lib/auth.mjs';

// Navigation labels from the Fluent files (nav-* messages that are not aria labels); fall back to
// the labels of the first release if the files move.
function navLabels(lang) {
  const m = fluentMessages(lang);
  const labels = Object.entries(m)
    .filter(([k]) => k.startsWith('nav-') && !k.startsWith('nav-label'))
    .map(([, v]) => v);
  if (labels.length) return labels;
  return lang === 'es' ? ['Buscar', 'Avisos', 'Informes'] : ['Search', 'Notices', 'Reports'];
}
const ES = navLabels('es');
const EN = navLabels('en');
const ES_ONLY = ES.filter((l) => !EN.includes(l));
const EN_ONLY = EN.filter((l) => !ES.includes(l));

let browser;
let account = null;
before(async () => {
  browser = await launch();
  if (await loginPageExists()) account = crawlAccount();
});

/**
 * A context signed in as the demo account the crawl uses (the navigation only lists the task
 * sections a signed-in user may open), on a page that account can open.
 */
async function context_(opts) {
  const ctx = await newContext(browser, opts);
  if (account) {
    const r = await login(ctx, account);
    assert.ok(r.ok, `could not sign in as ${account.email}: ${r.reason}`);
  }
  return ctx;
}
const PAGE = '/reports';
after(async () => {
  await closeQuietly(browser);
});

async function primaryNavText(page) {
  return page.locator('header nav, nav.usa-nav').first().textContent();
}

/** Click the header's language switch and check the page that comes back. */
async function switchAndCheck(page, to) {
  const from = new URL(page.url()).pathname;
  const link = page.locator(`header a[href^="/language/${to}"]`).first();
  assert.equal(await link.count(), 1, `no language switch to "${to}" in the header`);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/language/')), link.click()]);
  assert.equal(new URL(page.url()).pathname, from, 'the switch returns to the same page');
  assert.equal(await page.getAttribute('html', 'lang'), to);
  const nav = await primaryNavText(page);
  const want = to === 'es' ? ES_ONLY : EN_ONLY;
  const unwanted = to === 'es' ? EN_ONLY : ES_ONLY;
  assert.ok(want.some((l) => nav.includes(l)), `no ${to} navigation label (${want.join(', ')}) in: ${nav.replace(/\s+/g, ' ')}`);
  const leftovers = unwanted.filter((l) => nav.includes(l));
  assert.deepEqual(leftovers, [], `labels of the other language left in the navigation`);
}

for (const js of [true, false]) {
  test(`language switch ${js ? 'with' : 'without'} JavaScript (en -> es -> en, stays on the page)`, async () => {
    const context = await context_({ lang: 'en', javaScriptEnabled: js });
    try {
      const page = await context.newPage();
      await page.goto(`${BASE_URL}${PAGE}`);
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      await switchAndCheck(page, 'es');
      // The choice sticks (cookie) on the next page.
      await page.goto(`${BASE_URL}/`);
      assert.equal(await page.getAttribute('html', 'lang'), 'es');
      const title = await page.title();
      assert.ok(title.length > 0, 'empty <title>');
      await page.goto(`${BASE_URL}${PAGE}`);
      await switchAndCheck(page, 'en');
    } finally {
      await closeQuietly(context);
    }
  });
}

test('without JavaScript the footer language switch works at phone width (header menu is closed)', async () => {
  const context = await context_({ lang: 'en', javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await page.setViewportSize({ width: 375, height: 812 });
    await page.goto(`${BASE_URL}${PAGE}`);
    const visible = page.locator('a[href^="/language/es"]:visible').first();
    assert.equal(await visible.count(), 1, 'no visible link to Spanish at 375px without JS');
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/language/')), visible.click()]);
    assert.equal(new URL(page.url()).pathname, PAGE);
    assert.equal(await page.getAttribute('html', 'lang'), 'es');
  } finally {
    await closeQuietly(context);
  }
});

test('Accept-Language: es gives Spanish pages', async () => {
  const context = await context_({ lang: 'es' });
  try {
    const page = await context.newPage();
    await page.goto(`${BASE_URL}/`);
    assert.equal(await page.getAttribute('html', 'lang'), 'es');
    const nav = await primaryNavText(page);
    assert.ok(ES_ONLY.some((l) => nav.includes(l)), `no Spanish navigation label in: ${nav.replace(/\s+/g, ' ')}`);
  } finally {
    await closeQuietly(context);
  }
});

test('the language switch only returns to local paths', async () => {
  const res = await fetch(`${BASE_URL}/language/es?next=https://example.com/`, { redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  const loc = res.headers.get('location') || '';
  assert.ok(res.status >= 300 && res.status < 400, `status ${res.status}`);
  assert.ok(loc.startsWith('/') && !loc.startsWith('//'), `redirects to ${loc}`);
});
