// Where the server is, where artifacts go, and what `puente demo` printed.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const REPO = path.resolve(HERE, '..', '..');

export const BASE_URL = (process.env.PUENTE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const ARTIFACTS = path.resolve(REPO, process.env.PUENTE_ARTIFACTS || 'ci-artifacts');
export const SCREENSHOTS = path.join(ARTIFACTS, 'screenshots');
export const REPORT = path.join(ARTIFACTS, 'browser-report.txt');
export const MAX_PAGES = Number(process.env.PUENTE_MAX_PAGES || 200);
export const LANGS = ['en', 'es'];

fs.mkdirSync(SCREENSHOTS, { recursive: true });

/** Append lines to the shared report (several test files append to it). */
export function report(...lines) {
  fs.appendFileSync(REPORT, lines.join('\n') + '\n');
}

/**
 * The demo accounts printed by `puente demo`:
 *   Demo accounts (demo only; password for all: SECRET):
 *     secondary.user@demo.puente.test  Secondary user (search, view, print)
 * plus, if the demo ever prints them, TOTP secrets on an account line or on a following line
 * (`totp: BASE32`, `TOTP secret BASE32`, `otpauth://totp/...?secret=BASE32`).
 * Returns { password, accounts: [{ email, role, totpSecret }] } or null when unknown.
 */
export function demoAccounts() {
  const file = process.env.PUENTE_DEMO_LOG;
  if (!file || !fs.existsSync(file)) return null;
  const text = fs.readFileSync(file, 'utf8');
  const pw = text.match(/password(?: for all)?\s*:\s*(\S+?)\)?:?\s*$/im);
  const accounts = [];
  let last = null;
  for (const line of text.split('\n')) {
    const email = line.match(/^\s+([^\s@]+@[^\s@]+\.[^\s@]+)\s+(.*)$/);
    const secret =
      line.match(/otpauth:\/\/totp\/[^\s]*[?&]secret=([A-Z2-7]+=*)/i) ||
      line.match(/\btotp(?:[ _-]?secret)?\s*[:=]?\s*([A-Z2-7]{16,}=*)/i);
    if (email) {
      last = { email: email[1], role: email[2].trim(), totpSecret: secret ? secret[1].toUpperCase() : null };
      accounts.push(last);
    } else if (secret && last && !last.totpSecret) {
      last.totpSecret = secret[1].toUpperCase();
    }
  }
  if (!pw || accounts.length === 0) return null;
  return { password: pw[1], accounts };
}

/** Parse `id = value` lines of a Fluent file (enough for simple messages). */
export function fluentMessages(lang) {
  const file = path.join(REPO, 'crates', 'web', 'locales', lang, 'main.ftl');
  const out = {};
  if (!fs.existsSync(file)) return out;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^([a-zA-Z][\w-]*)\s*=\s*(.+)$/);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}
