// The Consolidated Student Record Report: sign in, search a child, open the record, choose the
// language and purpose in the form, download the PDF (a real download event), check the file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { launch, newContext, closeQuietly, clickAndLoad } from '../lib/browser.mjs';
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

// Common surnames of the synthetic demo families; the first that finds a child is used.
const SURNAMES = ['García', 'Hernández', 'López', 'Martínez', 'González', 'Rodríguez', 'Pérez', 'Sánchez'];

test('a record downloads as a PDF in Spanish from the record page', async () => {
  assert.ok(account, 'the demo output lists no account to sign in with');
  const ctx = await newContext(browser, { lang: 'es' });
  try {
    const r = await login(ctx, account);
    assert.ok(r.ok, `could not sign in as ${account.email}: ${r.reason}`);
    const page = await ctx.newPage();

    // Search through the form, as a user would.
    let found = false;
    for (const surname of SURNAMES) {
      await page.goto(BASE_URL + '/search');
      await page.locator('input[name=last_name]').fill(surname);
      // With JavaScript, htmx swaps the results in place: wait for them, not for a page load.
      await page.locator('main form [type=submit]').first().click();
      try {
        await page.locator('main a[href^="/students/"]').first().waitFor({ timeout: 15_000 });
        found = true;
        break;
      } catch {
        // no child with this surname: try the next one
      }
    }
    assert.ok(found, `no child found for any of ${SURNAMES.join(', ')}`);
    await clickAndLoad(page, page.locator('main a[href^="/students/"]').first());
    const msix = new URL(page.url()).pathname.split('/').pop();
    assert.match(msix, /^\d{12}$/);

    // The form: Spanish, purpose "family moving".
    // USWDS radios are drawn by their labels (the inputs sit off-screen): click the labels.
    await page.locator('label[for="pdf-lang-es"]').click();
    await page.locator('label[for="pdf-purpose-family-moving"]').click();
    assert.ok(await page.locator('#pdf-lang-es').isChecked());
    assert.ok(await page.locator('#pdf-purpose-family-moving').isChecked());
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#print-report [type=submit]').click(),
    ]);
    assert.equal(download.suggestedFilename(), `msix-${msix}-record-es.pdf`);
    const file = await download.path();
    const bytes = await fs.readFile(file);
    assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.ok(bytes.length > 10_000, `only ${bytes.length} bytes`);
  } finally {
    await closeQuietly(ctx);
  }
});
