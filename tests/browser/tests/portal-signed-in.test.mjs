// The same crawl as portal-anonymous, signed in as the demo system administrator, once the
// portal has a /login page. Skipped (with the reason) until then.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, closeQuietly } from '../lib/browser.mjs';
import { checkPortal, setLanguage } from '../lib/portal.mjs';
import { LANGS, report } from '../lib/env.mjs';
import { loginPageExists, crawlAccount, login } from '../lib/auth.mjs';

let browser;
let skip = false;
let account = null;
before(async () => {
  if (!(await loginPageExists())) {
    skip = 'GET /login does not answer 200 yet: signed-in crawl skipped';
    return;
  }
  account = crawlAccount();
  if (!account) {
    skip = '/login exists but no demo account could be read from the `puente demo` output (PUENTE_DEMO_LOG)';
    return;
  }
  browser = await launch();
});
after(async () => {
  await closeQuietly(browser);
});

for (const lang of LANGS) {
  test(`signed-in crawl (${lang})`, async (t) => {
    if (skip) {
      report(`signed-in ${lang}: skipped: ${skip}`);
      return t.skip(skip);
    }
    const context = await newContext(browser, { lang: 'en' });
    try {
      const r = await login(context, account);
      assert.ok(r.ok, `could not sign in as ${account.email}: ${r.reason}`);
      await setLanguage(context, lang);
      const { pages, truncated } = await checkPortal(t, context, { lang, variant: 'signed-in' });
      const html = pages.filter((p) => p.html);
      const bad = pages.filter((p) => p.failing && p.failing.length);
      const known = pages.filter((p) => p.known && p.known.length);
      const line = `signed-in (${account.email}) ${lang}: ${html.length} pages checked, ${bad.length} failing, ${known.length} with known issues${truncated ? ' (crawl limit reached)' : ''}`;
      t.diagnostic(line);
      report(line);
    } finally {
      await closeQuietly(context);
    }
  });
}
