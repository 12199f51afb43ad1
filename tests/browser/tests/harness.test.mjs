// The harness checks itself: axe finds a planted violation, the overflow check finds planted
// overflow, the crawl filter skips what it must, TOTP matches RFC 6238, and the portal's CSP is
// really enforced while axe still runs (so the crawl tests pages as users get them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, PHONE, closeQuietly } from '../lib/browser.mjs';
import { runAxe, horizontalOverflow, slug } from '../lib/checks.mjs';
import { normalise, pattern } from '../lib/crawl.mjs';
import { totp } from '../lib/auth.mjs';
import { BASE_URL } from '../lib/env.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await closeQuietly(browser);
});

test('axe reports a planted violation (image-alt, color-contrast)', async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.setContent(
      '<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>t</h1>' +
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">' +
        '<p style="color:#ccc;background:#fff">low contrast</p></main></body></html>',
    );
    const ids = (await runAxe(page)).map((v) => v.id);
    assert.ok(ids.includes('image-alt'), `axe found: ${ids.join(', ')}`);
    assert.ok(ids.includes('color-contrast'), `axe found: ${ids.join(', ')}`);
  } finally {
    await closeQuietly(context);
  }
});

test('the overflow check finds a planted wide element at phone width', async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.setViewportSize(PHONE);
    await page.setContent('<!doctype html><html><body><div><div id="wide" style="width:500px">x</div></div></body></html>');
    const o = await horizontalOverflow(page);
    assert.ok(o && o.scrollWidth > o.innerWidth);
    assert.match(o.culprits.join(' '), /div#wide/);
    await page.setContent('<!doctype html><html><body><div style="width:100px">x</div></body></html>');
    assert.equal(await horizontalOverflow(page), null);
  } finally {
    await closeQuietly(context);
  }
});

test('axe runs on portal pages while their CSP stays enforced', async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const messages = [];
    page.on('console', (m) => messages.push(m.text()));
    await page.goto(BASE_URL + '/');
    // An inline script must be refused by the page's CSP ...
    await page.addScriptTag({ content: 'window.__inlineRan = true;' }).catch(() => {});
    assert.notEqual(await page.evaluate(() => window.__inlineRan), true, 'an inline script ran: no CSP on the portal?');
    // ... and axe (injected through the DevTools protocol) still runs.
    assert.ok(Array.isArray(await runAxe(page)));
  } finally {
    await closeQuietly(context);
  }
});

test('crawl filter: same origin only, no static/api/language/logout/downloads, no fragments', () => {
  const from = BASE_URL + '/search';
  assert.equal(normalise('/reports#x', from), BASE_URL + '/reports');
  assert.equal(normalise('?page=2', from), BASE_URL + '/search?page=2');
  for (const href of [
    'https://example.com/',
    '/static/css/app.css',
    '/api/v1',
    '/language/es?next=/',
    '/logout',
    '/account/sign-out',
    '/search?lang=es',
    '/reports/r1.pdf',
    'mailto:a@b.c',
    'javascript:void(0)',
  ]) {
    assert.equal(normalise(href, from), null, href);
  }
  assert.equal(normalise('/reports', from, true), null, 'download links are skipped');
  assert.equal(pattern(BASE_URL + '/students/123456789012?tab=courses'), '/students/:id?tab');
  assert.equal(pattern(BASE_URL + '/students/0190f3c2-7d4e-7a1b-9c3d-112233445566'), '/students/:id');
  assert.equal(slug(BASE_URL + '/'), 'home');
  assert.equal(slug(BASE_URL + '/students/12?tab=x'), 'students-12--tab-x');
});

test('TOTP matches the RFC 6238 SHA-1 test vector', () => {
  // Secret "12345678901234567890" in base32; at T=59 s the 8-digit code is 94287082.
  assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59_000, 30, 8), '94287082');
  assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 1111111109_000, 30, 8), '07081804');
});
