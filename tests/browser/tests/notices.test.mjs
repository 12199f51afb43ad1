// A move notice end to end: a Texas primary user sends one from a child's record (the form at
// phone width is saved as a screenshot), the California data administrator signs in, finds it in
// the Notices inbox and acknowledges it. Works without JavaScript-only features: plain forms.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, newContext, PHONE, closeQuietly, clickAndLoad } from '../lib/browser.mjs';
import { BASE_URL, SCREENSHOTS, demoAccounts, report } from '../lib/env.mjs';
import { loginPageExists, login } from '../lib/auth.mjs';

let browser;
let skip = false;
let sender = null;
let receiver = null;
before(async () => {
  if (!(await loginPageExists())) {
    skip = 'GET /login does not answer 200: notices test skipped';
    return;
  }
  const demo = demoAccounts();
  if (!demo) {
    skip = 'no demo accounts in the `puente demo` output (PUENTE_DEMO_LOG)';
    return;
  }
  const pick = (re) => demo.accounts.find((a) => re.test(a.email));
  sender = pick(/^primary\.user@/);
  receiver = pick(/^data\.administrator\.ca@/);
  if (!sender || !receiver) {
    skip = 'the demo output lists no primary user or no California data administrator';
    return;
  }
  sender = { ...sender, password: demo.password };
  receiver = { ...receiver, password: demo.password };
  browser = await launch();
});
after(async () => {
  await closeQuietly(browser);
});

test('send a move notice, sign in as the receiver, acknowledge it', async (t) => {
  if (skip) {
    report(`notices: skipped: ${skip}`);
    return t.skip(skip);
  }
  // The sender: a child's record, then "Send a move notice".
  const ctx = await newContext(browser, { lang: 'en' });
  let noticeUrl;
  try {
    const r = await login(ctx, sender);
    assert.ok(r.ok, `could not sign in as ${sender.email}: ${r.reason}`);
    const page = await ctx.newPage();
    await page.goto(BASE_URL + '/search?last_name=Garcia');
    const first = page.locator('main a[href^="/students/"]').first();
    assert.ok(await first.count(), 'the search finds a child');
    await clickAndLoad(page, first);
    const link = page.locator('a[href$="/move-notice"]').first();
    assert.ok(await link.count(), 'the record links to the move notice form');
    await page.setViewportSize(PHONE);
    await clickAndLoad(page, link);
    assert.equal(await page.locator('h1').innerText(), 'Send a move notice');
    // Phone width: no horizontal overflow; screenshot of the form.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the form overflows by ${overflow}px at 375 px`);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'notices-move-form-375.png'), fullPage: true });

    // Submitting without a state: the error is next to the field.
    await page.locator('#to_state').evaluate((el) => el.removeAttribute('required'));
    await clickAndLoad(page, page.locator('form.usa-form button[type=submit]'));
    assert.ok(await page.locator('#to_state-error').isVisible(), 'error next to the state field');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'notices-move-form-errors-375.png'), fullPage: true });

    await page.selectOption('#to_state', 'CA');
    await page.fill('#to_district', '0612345');
    await page.fill('#comments', 'The family follows the lettuce harvest to Salinas.');
    await clickAndLoad(page, page.locator('form.usa-form button[type=submit]'));
    assert.match(new URL(page.url()).pathname, /^\/notices\/[0-9a-f-]{36}$/, 'redirected to the notice');
    noticeUrl = page.url();
    assert.equal(await page.locator('#acknowledge').count(), 0, 'the sender cannot acknowledge');
  } finally {
    await closeQuietly(ctx);
  }

  // The receiver: California's data administrator.
  const ctx2 = await newContext(browser, { lang: 'en' });
  try {
    const r = await login(ctx2, receiver);
    assert.ok(r.ok, `could not sign in as ${receiver.email}: ${r.reason}`);
    const page = await ctx2.newPage();
    await page.goto(BASE_URL + '/notices');
    assert.equal(await page.locator('h1').innerText(), 'Notices');
    const id = new URL(noticeUrl).pathname;
    const row = page.locator(`a[href="${id}"]`);
    assert.equal(await row.count(), 1, 'the notice is in the receiver\'s inbox');
    await clickAndLoad(page, row);
    await clickAndLoad(page, page.locator('#acknowledge'));
    assert.equal(new URL(page.url()).pathname, id);
    assert.equal(await page.locator('#acknowledge').count(), 0, 'acknowledged once');
    const text = await page.locator('main').innerText();
    assert.match(text, /Acknowledged/);
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'notices-acknowledged-375.png'), fullPage: true });
    report('notices: move notice sent from a record, received and acknowledged in CA');
  } finally {
    await closeQuietly(ctx2);
  }
});
