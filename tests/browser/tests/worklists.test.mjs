// Worklists end to end: the demo data administrator (TX) opens a possible duplicate from the
// worklist, answers "same child" keeping the candidate's MSIX ID (with JavaScript: htmx updates the
// item in place); the merge then waits for a second data administrator, who finds the validation
// item in their own worklist and approves it without JavaScript (plain forms); the merged MSIX ID
// then leads to the surviving one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, newContext, PHONE, closeQuietly, clickAndLoad } from '../lib/browser.mjs';
import { BASE_URL, SCREENSHOTS, demoAccounts, report } from '../lib/env.mjs';
import { loginPageExists, login } from '../lib/auth.mjs';

let browser;
let skip = false;
let first = null;
let second = null;
let third = null;
before(async () => {
  if (!(await loginPageExists())) {
    skip = 'GET /login does not answer 200: worklists test skipped';
    return;
  }
  const demo = demoAccounts();
  if (!demo) {
    skip = 'no demo accounts in the `puente demo` output (PUENTE_DEMO_LOG)';
    return;
  }
  const pick = (re) => demo.accounts.find((a) => re.test(a.email));
  first = pick(/^data\.administrator@/);
  second = pick(/^data\.administrator\.2@/);
  if (!first || !second) {
    skip = 'the demo output lists no first or no second data administrator';
    return;
  }
  first = { ...first, password: demo.password };
  second = { ...second, password: demo.password };
  // The validation item goes where the surviving child's latest enrollment is: Texas (the second
  // TX administrator) or, for a child last enrolled in California, the CA administrator.
  third = pick(/^data\.administrator\.ca@/);
  if (third) third = { ...third, password: demo.password };
  browser = await launch();
});
after(async () => {
  await closeQuietly(browser);
});

const submitIn = (page, action, answer) =>
  page.locator(`form[action="${action}"]:has(input[name="answer"][value="${answer}"]) button[type=submit]`);

test('a data administrator resolves a near match and another validates the merge', async (t) => {
  if (skip) {
    report(`worklists: skipped: ${skip}`);
    return t.skip(skip);
  }
  let survivor;
  let merged;
  const ctx = await newContext(browser, { lang: 'en' });
  try {
    const r = await login(ctx, first);
    assert.ok(r.ok, `could not sign in as ${first.email}: ${r.reason}`);
    const page = await ctx.newPage();
    await page.goto(BASE_URL + '/worklists');
    assert.match(await page.locator('h1').innerText(), /^Worklist/);
    const item = page.locator('main tbody tr th a', { hasText: 'Possible duplicate' }).first();
    assert.ok(await item.count(), 'the demo worklist has a possible duplicate');
    await clickAndLoad(page, item);
    const itemPath = new URL(page.url()).pathname;
    assert.match(itemPath, /^\/worklists\/[0-9a-f-]{36}$/);
    const text = await page.locator('main').innerText();
    assert.match(text, /Records side by side/);
    assert.match(text, /Agreement and weight of each field/);

    // Same child; the MSIX ID of the item's own (new) child survives: its records are where the
    // item was assigned (Texas), so the validation item stays in Texas too.
    const ownHref = await page.locator('#wl-area .puente-facts a[href^="/students/"]').first().getAttribute('href');
    survivor = ownHref.split('/')[2];
    const candidate = page.locator('input[name="candidate"]').first();
    const candidateMsix = await candidate.getAttribute('value');
    // USWDS radios are drawn by their labels (the inputs sit off-screen): click the labels.
    await page.locator(`label[for="${await candidate.getAttribute('id')}"]`).click();
    await page.locator('label[for="master-new"]').click();
    assert.ok(await candidate.isChecked());
    assert.ok(await page.locator('#master-new').isChecked());
    await page.fill('#note-same', 'Same parents and birth city on both COEs.');
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'worklists-near-match-375.png'), fullPage: true });
    const action = `${itemPath}/resolve`;
    // JavaScript is on: htmx posts the form and swaps the item area in place (no page load).
    await page.evaluate(() => { window.__sameDocument = true; });
    await submitIn(page, action, 'same').click();
    await page.locator('#wl-area').getByText('Recorded: same child').waitFor({ timeout: 30_000 });
    assert.equal(await page.evaluate(() => window.__sameDocument === true), true, 'updated in place by htmx');
    assert.equal(new URL(page.url()).pathname, itemPath);
    // The candidate is the record merged into the survivor.
    merged = candidateMsix;
    assert.ok(merged && merged !== survivor);

    // The initiator cannot validate their own merge.
    await page.goto(BASE_URL + '/worklists');
    const own = page.locator('main tbody tr', { hasText: 'Validate a merge' })
      .filter({ hasText: new RegExp(`${survivor}|${merged}`) });
    if (await own.count()) {
      await clickAndLoad(page, own.first().locator('th a'));
      assert.equal(await page.locator('button[name="decision"]').count(), 0, 'no approve button for the initiator');
    }
  } finally {
    await closeQuietly(ctx);
  }

  // A second data administrator validates, without JavaScript: plain forms.
  let validated = false;
  const seen = [];
  for (const validator of [second, third].filter(Boolean)) {
    const ctx2 = await newContext(browser, { lang: 'en', javaScriptEnabled: false });
    try {
      const r = await login(ctx2, validator);
      assert.ok(r.ok, `could not sign in as ${validator.email}: ${r.reason}`);
      const page = await ctx2.newPage();
      await page.goto(BASE_URL + '/worklists');
      // The validation item names the merge's records: the survivor and the merged one.
      const row = page.locator('main tbody tr', { hasText: 'Validate a merge' })
        .filter({ hasText: new RegExp(`${survivor}|${merged}`) });
      if ((await row.count()) !== 1) {
        seen.push(`${validator.email}: ${(await page.locator('main tbody tr').allInnerTexts()).join(' | ')}`);
        continue;
      }
      await clickAndLoad(page, row.locator('th a'));
      assert.match(await page.locator('main').innerText(), /Merge MSIX ID/);
      await page.fill('#validate-note', 'Checked against the COE.');
      await Promise.all([
        page.waitForLoadState('load'),
        page.locator('button[name="decision"][value="approve"]').click(),
      ]);
      assert.match(await page.locator('main').innerText(), /Approved: the change has been applied/);
      await page.setViewportSize(PHONE);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'worklists-merge-approved-375.png'), fullPage: true });

      // The merged MSIX ID now leads to the survivor's record.
      await page.goto(`${BASE_URL}/students/${merged}`);
      assert.equal(new URL(page.url()).pathname, `/students/${survivor}`);
      report(`worklists: near match resolved by ${first.email}, merge validated by ${validator.email}`);
      validated = true;
      break;
    } finally {
      await closeQuietly(ctx2);
    }
  }
  assert.ok(validated, `no second data administrator has the validation item: ${seen.join(' || ')}`);
});
