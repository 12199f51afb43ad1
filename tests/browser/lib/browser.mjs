// Headless Debian Chromium through playwright-core.
import { chromium } from 'playwright-core';

export const EXECUTABLE = process.env.PUENTE_CHROMIUM || '/usr/bin/chromium';

// Flags from shared/reference/stack.md. The fresh --user-data-dir is the one playwright-core
// creates itself for every launch() (a new temporary profile, deleted on close): it refuses a
// --user-data-dir in `args`.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 375, height: 812 };

export async function launch() {
  return chromium.launch({ executablePath: EXECUTABLE, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A fresh context (own cookies). CSP stays enforced (axe is injected through the DevTools
 * protocol, which CSP does not govern), so CSP violations show up as console errors.
 */
export async function newContext(browser, { lang = 'en', javaScriptEnabled = true } = {}) {
  return browser.newContext({
    viewport: DESKTOP,
    locale: lang === 'es' ? 'es-US' : 'en-US',
    javaScriptEnabled,
    deviceScaleFactor: 1,
  });
}

/**
 * Clicks `locator` (a plain form submit or link) and waits until the page it leads to has
 * loaded. `Promise.all([page.waitForLoadState('load'), click])` does not: the current document
 * is already loaded, so it resolves at once and the next step runs during the navigation (a
 * page closed then can leave Chromium never answering `Target.closeTarget`).
 */
export async function clickAndLoad(page, locator, timeout = 30_000) {
  const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout });
  await locator.click();
  await navigated;
  await page.waitForLoadState('load');
}

/**
 * Closes a page, context or browser, giving up after `ms`: a Chromium that stops answering a
 * close must not hang the test file (what is left is killed with the browser process).
 */
export async function closeQuietly(target, ms = 10_000) {
  if (!target) return;
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    const r = await Promise.race([target.close().then(() => 'closed'), late]);
    if (r === 'timeout') console.error(`[browser] close did not answer within ${ms} ms; going on`);
  } catch {
    // Already closed.
  } finally {
    clearTimeout(timer);
  }
}
