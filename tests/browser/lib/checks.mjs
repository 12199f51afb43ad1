// Per-page checks: axe-core (WCAG 2.1 A/AA), phone overflow, console/CSP errors, screenshots.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { SCREENSHOTS } from './env.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Run axe-core in the page. The source goes in through page.evaluate (DevTools protocol), so the
 * page's CSP (`script-src 'self'`) does not block it and stays enforced for the page itself.
 * Returns the violations as [{ id, impact, help, helpUrl, nodes: [{ target, summary }] }].
 */
export async function runAxe(page) {
  const hasAxe = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!hasAxe) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async (tags) => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.map(String), summary: n.failureSummary || '', html: n.html })),
    }));
  }, AXE_TAGS);
  return result;
}

export function formatAxe(violations, url) {
  const lines = [];
  for (const v of violations) {
    lines.push(`axe ${v.id} [${v.impact}] ${v.help} (${v.helpUrl}) on ${url}`);
    for (const n of v.nodes) {
      lines.push(`    target: ${n.target.join(' ')}`);
      lines.push(`      html: ${n.html.replace(/\s+/g, ' ').slice(0, 200)}`);
      if (n.summary) lines.push(`      ${n.summary.replace(/\n\s*/g, ' | ').slice(0, 300)}`);
    }
  }
  return lines;
}

/**
 * Horizontal overflow at the current viewport: null if none, else the widths and the elements
 * that stick out on the right (deepest first, at most 5).
 */
export async function horizontalOverflow(page) {
  return page.evaluate(() => {
    const doc = document.documentElement;
    const inner = window.innerWidth;
    if (doc.scrollWidth <= inner) return null;
    const sticksOut = (el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.right > inner + 0.5;
    };
    const describe = (el) => {
      const id = el.id ? `#${el.id}` : '';
      const cls = el.classList.length ? '.' + [...el.classList].map((c) => c.replace(/:/g, '\\:')).join('.') : '';
      const r = el.getBoundingClientRect();
      return `${el.tagName.toLowerCase()}${id}${cls} (right edge ${Math.round(r.right)}px)`;
    };
    // The outermost elements that stick out while their parent does not: where it starts.
    const culprits = new Set();
    for (const el of document.body.querySelectorAll('*')) {
      if (sticksOut(el) && el.parentElement && !sticksOut(el.parentElement)) {
        const chain = [];
        for (let p = el.parentElement; p && p !== document.body && chain.length < 3; p = p.parentElement) chain.unshift(describe(p).replace(/ \(.*/, ''));
        culprits.add(`${chain.join(' > ')} > ${describe(el)}`);
      }
      if (culprits.size >= 5) break;
    }
    return { scrollWidth: doc.scrollWidth, innerWidth: inner, culprits: [...culprits] };
  });
}

/** `/` -> `home`, `/students/12?tab=x` -> `students-12--tab-x` (safe file name part). */
export function slug(url) {
  const u = new URL(url);
  let s = u.pathname.replace(/^\/+|\/+$/g, '').replace(/[^A-Za-z0-9._-]+/g, '-') || 'home';
  if (u.search) s += '--' + u.search.slice(1).replace(/[^A-Za-z0-9._-]+/g, '-');
  return s.slice(0, 100);
}

/** Full-page screenshot to `<SCREENSHOTS>/<name>-<desktop|phone>-<lang>.png`. */
export async function screenshot(page, name, width, lang) {
  const file = path.join(SCREENSHOTS, `${name}-${width}-${lang}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Watch a page for console errors (CSP violations are reported there), uncaught exceptions,
 * failed requests and sub-resources answering >= 400. Returns a function that drains the list.
 */
export function watchErrors(page) {
  let errors = [];
  page.on('console', (m) => {
    // "Failed to load resource" repeats what the response listener reports, without the URL.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught exception: ${e.message}`));
  page.on('requestfailed', (r) => {
    const f = r.failure();
    // A navigation we abort on purpose (downloads) is not a page problem.
    if (f && f.errorText === 'net::ERR_ABORTED' && r.isNavigationRequest()) return;
    errors.push(`request failed: ${r.url()} (${f ? f.errorText : '?'})`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && r.request().resourceType() !== 'document') {
      errors.push(`sub-resource ${r.url()} answered ${r.status()}`);
    }
  });
  return () => {
    const out = errors;
    errors = [];
    return out;
  };
}
