// Search with and without JavaScript: the same form gives the same results; with JavaScript,
// htmx updates the results in place (no full page load), keeps the URL, and the CSP reports
// no violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, closeQuietly } from '../lib/browser.mjs';
import { BASE_URL } from '../lib/env.mjs';
import { loginPageExists, crawlAccount, login } from '../lib/auth.mjs';

let browser;
let account = null;
before(async () => {
  browser = await launch();
  if (await loginPageExists()) account = crawlAccount();
});
after(async () => {
  await closeQuietly(browser);
});

async function signedIn(opts) {
  const ctx = await newContext(browser, opts);
  const r = await login(ctx, account);
  assert.ok(r.ok, `could not sign in as ${account?.email}: ${r.reason}`);
  return ctx;
}

/** Searches by a surname that the page's first result (if any) will contain. */
async function search(page) {
  await page.fill('#last_name', 'Garcia');
  await page.click('#search-area button[type=submit]');
}

test('search updates in place with JavaScript', async (t) => {
  if (!account) return t.skip('no demo account');
  const ctx = await signedIn();
  const page = await ctx.newPage();
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(BASE_URL + '/search');
  await page.waitForFunction(() => typeof window.htmx === 'object');
  await page.evaluate(() => {
    window.__sameDocument = true;
  });
  await search(page);
  await page.waitForSelector('#results-heading');
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was reloaded');
  assert.match(page.url(), /\/search\?.*last_name=Garcia/, 'URL not updated');
  assert.equal(await page.locator('#search-area').count(), 1);
  assert.equal(await page.inputValue('#last_name'), 'Garcia');
  assert.deepEqual(problems, [], 'console errors (CSP?)');
  await closeQuietly(ctx);
});

test('search works without JavaScript', async (t) => {
  if (!account) return t.skip('no demo account');
  const ctx = await signedIn({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await page.goto(BASE_URL + '/search');
  await Promise.all([page.waitForURL(/last_name=Garcia/), search(page)]);
  await page.waitForSelector('#results-heading');
  assert.equal(await page.inputValue('#last_name'), 'Garcia');
  await closeQuietly(ctx);
});
