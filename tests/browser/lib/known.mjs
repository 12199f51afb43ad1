// Known issues (known-issues.txt): reported, not failing.
import fs from 'node:fs';
import path from 'node:path';
import { HERE } from './env.mjs';

export const KNOWN = (() => {
  if (process.env.PUENTE_BROWSER_STRICT) return [];
  const file = path.join(HERE, 'known-issues.txt');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'))
    .map((l) => {
      const [id, re, why] = l.split(' | ').map((s) => (s || '').trim());
      return { id, re: new RegExp(re), why };
    });
})();

/** Split problems into { failing, known: [{ id, problem }] }. */
export function triage(problems) {
  const failing = [];
  const known = [];
  for (const p of problems) {
    const k = KNOWN.find((k) => k.re.test(p));
    if (k) known.push({ id: k.id, problem: p });
    else failing.push(p);
  }
  return { failing, known };
}
