// Breadth-first crawl of same-origin links, so new pages are checked without listing them.
import { BASE_URL, MAX_PAGES } from './env.mjs';

const SKIP_PATH = /^\/(static|api|language|healthz)(\/|$)/;
const SKIP_ANY = /(log|sign)[-_]?out/i;
const SKIP_EXT = /\.(pdf|csv|xlsx?|xml|json|jsonl|zip|txt|png|jpe?g|svg|ico)$/i;
const PER_PATTERN = Number(process.env.PUENTE_CRAWL_PER_PATTERN || 3);

/**
 * Normalise a link found on `from`; null when the crawl must not follow it: other origins,
 * /static/, /api/, /language/ (the switch is tested on its own; following it would change the
 * language of the crawl), /healthz, log-out links, `?lang=` (also switches), downloads.
 */
export function normalise(href, from = BASE_URL + '/', download = false) {
  let u;
  try {
    u = new URL(href, from);
  } catch {
    return null;
  }
  if (download) return null;
  if (u.origin !== new URL(BASE_URL).origin) return null;
  if (SKIP_PATH.test(u.pathname) || SKIP_ANY.test(u.pathname + u.search) || SKIP_EXT.test(u.pathname)) return null;
  if (u.searchParams.has('lang')) return null;
  u.hash = '';
  return u.toString();
}

/**
 * Pages that differ only by an ID (a student, a submission, a page number) share a pattern;
 * the crawl visits at most PER_PATTERN pages of each so that 300 student records do not use up
 * the page budget.
 */
export function pattern(url) {
  const u = new URL(url);
  const path = u.pathname
    .split('/')
    .map((seg) => (/\d/.test(seg) && seg.length >= 2) || /^[0-9a-f-]{16,}$/i.test(seg) ? ':id' : seg)
    .join('/');
  const keys = [...u.searchParams.keys()].sort().join('&');
  return keys ? `${path}?${keys}` : path;
}

/** Portal routes the server publishes in `GET /api/v1` (any array under a "*routes*"/"*pages*" key). */
export async function publishedRoutes() {
  try {
    const res = await fetch(BASE_URL + '/api/v1', { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) return [];
    const json = await res.json();
    const out = [];
    const walk = (v, key = '') => {
      if (Array.isArray(v) && /routes|pages/i.test(key)) {
        for (const x of v) {
          const p = typeof x === 'string' ? x : x && (x.path || x.href);
          if (typeof p === 'string' && p.startsWith('/') && !p.includes('{') && !p.includes(':')) out.push(p);
        }
      } else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) walk(x, k);
      }
    };
    walk(json);
    return out;
  } catch {
    return [];
  }
}

/**
 * Crawl from `seeds` (paths). `visit(url, from)` loads and checks one page and returns
 * { finalUrl, links: [{ href, download }] }. Returns the visited URLs in order.
 */
export async function crawl({ seeds, visit, max = MAX_PAGES }) {
  const queue = [];
  const seen = new Set();
  const perPattern = new Map();
  const visited = [];
  const enqueue = (url, from) => {
    if (!url || seen.has(url)) return;
    const p = pattern(url);
    const n = perPattern.get(p) || 0;
    if (n >= PER_PATTERN) return;
    perPattern.set(p, n + 1);
    seen.add(url);
    queue.push({ url, from });
  };
  for (const s of seeds) enqueue(normalise(s), '(seed)');
  while (queue.length && visited.length < max) {
    const { url, from } = queue.shift();
    const { finalUrl, links } = await visit(url, from);
    visited.push(url);
    if (finalUrl && finalUrl !== url) seen.add(finalUrl);
    for (const l of links) enqueue(normalise(l.href, finalUrl || url, l.download), url);
  }
  return { visited, truncated: queue.length > 0 };
}
