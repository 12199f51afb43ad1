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
