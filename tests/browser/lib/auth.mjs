// Signing in, for the logged-in crawl. Everything login-specific is in `login()`.
import crypto from 'node:crypto';
import { BASE_URL, demoAccounts } from './env.mjs';
import { clickAndLoad, closeQuietly } from './browser.mjs';

export const LOGIN_PATH = '/login';

/** Whether the portal has a login page yet (GET /login answers 200). */
export async function loginPageExists() {
  try {
    const res = await fetch(BASE_URL + LOGIN_PATH, { redirect: 'manual', signal: AbortSignal.timeout(30_000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) from a base32 secret. */
export function totp(secretBase32, now = Date.now(), step = 30, digits = 6) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretBase32.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 1000 / step)));
  const h = crypto.createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  const code = ((h.readUInt32BE(o) & 0x7fffffff) % 10 ** digits).toString();
  return code.padStart(digits, '0');
}

/**
 * The account the logged-in crawl uses: the one that sees the most children's pages (data administrator if
 * listed), from what `puente demo` printed. null when the demo output has no accounts.
 */
export function crawlAccount() {
  const demo = demoAccounts();
  if (!demo) return null;
  const pick =
    demo.accounts.find((a) => /data admin/i.test(a.role)) ||
    demo.accounts.find((a) => /system admin/i.test(a.role)) ||
    demo.accounts.find((a) => /admin/i.test(a.role)) ||
    demo.accounts[0];
  return { ...pick, password: demo.password };
}

/**
 * Sign `context` in as `account` ({ email, password, totpSecret }) through the login form.
 * Returns { ok: true } or { ok: false, reason }.
 *
 * TODO(auth): this fills the form by the usual field names/types; when the /login page lands,
 * adjust the selectors (and the TOTP step: same form or a second page) if it differs.
 */
export async function login(context, account) {
  const page = await context.newPage();
  try {
    await page.goto(BASE_URL + LOGIN_PATH);
    const email = page.locator('input[type=email], input[name=email], input[autocomplete=username]').first();
    const password = page.locator('input[type=password]').first();
    if (!(await email.count()) || !(await password.count())) return { ok: false, reason: 'no e-mail/password fields on /login' };
    await email.fill(account.email);
    await password.fill(account.password);
    const otpSelector = 'input[autocomplete=one-time-code], input[name*=totp i], input[name*=otp i], input[name*=code i]';
    const fillOtp = async () => {
      const otp = page.locator(otpSelector).first();
      if (!(await otp.count())) return true;
      if (!account.totpSecret) return false;
      await otp.fill(totp(account.totpSecret));
      return true;
    };
    if (!(await fillOtp())) return { ok: false, reason: 'the login form asks for a TOTP code and the demo output prints no TOTP secret' };
    await clickAndLoad(page, page.locator('form:has(input[type=password]) [type=submit]').first());
    // A second step for the TOTP code.
    if (await page.locator(otpSelector).count()) {
      if (!(await fillOtp())) return { ok: false, reason: 'TOTP step needs a secret the demo output does not print' };
      await clickAndLoad(page, page.locator('form [type=submit]').first());
    }
    if (new URL(page.url()).pathname === LOGIN_PATH) return { ok: false, reason: `still on ${LOGIN_PATH} after submitting (wrong credentials or form)` };
    return { ok: true };
  } finally {
    await closeQuietly(page);
  }
}
