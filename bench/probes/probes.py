#!/usr/bin/env python3
"""Hostile-input probes against a running Puente server (bench/probes/run.sh starts it).

  probes.py --url URL --db DB --email E --password P --secret S [--login-email E2]
            [--mfa-email E3 --mfa-secret S3] --token TOKEN [--xss-msix ID --xss-submission ID]
            [--parts injection,xss,oversize] [--no-2g]

* injection: a small sqlmap written out. Every search parameter of GET /search and
  GET /api/v1/students, and the login and TOTP form fields, get classic SQL injection payloads
  (quotes, tautologies, UNION SELECT, stacked DROP TABLE, comments, boolean pairs, time-based
  pg_sleep/randomblob). Checks: no 5xx, no SQL or driver error text in the body, each boolean
  pair answers the same results, no time-based delay (> 3 s over the slowest baseline), nobody
  signed in by an injected login, and the database keeps all its tables and rows.
* xss: the student submitted by run.sh carries markup in every free-text field. The search
  results, the record page, the submission report page (rejected values are shown) and the PDF
  (pdftotext) must show it literally: no unescaped `<script>alert` or `<img src=x`, the escaped
  form present, `{{7*7}}` / `#{7*7}` never evaluated to 49. Reflected input (the search form
  echoes its fields) is checked too.
* oversize: bodies over the limits to the login form, search and the submission API: 413 (or
  another 4xx), never 5xx, and the server keeps serving.

Prints PASS/FAIL/NOTE lines; exits 1 when anything FAILed. Standard library only, loopback only.
"""
import argparse
import html
import http.client
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "load"))
from load import Session, csrf_of, sign_in, totp  # noqa: E402

FAILS = []
PASSES = [0]


def ok(msg):
    PASSES[0] += 1
    print("PASS " + msg, flush=True)


def bad(msg):
    FAILS.append(msg)
    print("FAIL " + msg, flush=True)


def note(msg):
    print("NOTE " + msg, flush=True)


def check(cond, msg, why=""):
    if cond:
        ok(msg)
    else:
        bad(msg + (": " + why if why else ""))
    return cond


# Database and driver error text (SQLite, PostgreSQL, sqlx) and crash text. Echoed payloads are
# removed from the body before matching, so `pg_sleep` in a reflected form field does not count.
SQL_ERRORS = re.compile(
    r"SQLSTATE|syntax error|unrecognized token|unterminated quoted|near \"[^\"]*\": syntax|"
    r"no such (table|column|function)|(column|relation|function) \"?[\w.]+\"? does not exist|"
    r"sqlx|error returned from database|database error|SqliteError|PgDatabaseError|"
    r"sqlite3?_|SQLITE_|ERROR: |at character \d+|panicked at|stack backtrace|internal error",
    re.I,
)

PAYLOADS = [
    "'", "''", '"', "\\", "\\'", "`", "')", "'))", "';", "' --", "' #", "'/*", "*/", "-- ", "/*",
    "' OR '1'='1", "' OR 1=1 --", "\" OR \"1\"=\"1", " OR 1=1", "') OR ('1'='1",
    "' UNION SELECT NULL --", "' UNION SELECT NULL,NULL,NULL --",
    "' UNION SELECT name, sql FROM sqlite_master --",
    "' UNION SELECT table_name, NULL FROM information_schema.tables --",
    "'; DROP TABLE children; --", "'; DROP TABLE users; --", "1; DROP TABLE state_records",
    "'; UPDATE users SET role = 'system_admin'; --",
    "%", "_", "%' --", "%00", "' AND extractvalue(1,concat(0x7e,version())) --",
    "' AND 1=CAST((SELECT version()) AS int) --", "' AND sqlite_version()=sqlite_version() --",
]
PAIRS = [
    ("' AND 1=1 --", "' AND 1=2 --"),
    ("' AND '1'='1", "' AND '1'='2"),
    (" AND 1=1", " AND 1=2"),
    ("' OR '1'='1' --", "' OR '1'='2' --"),
    ("\" AND \"1\"=\"1", "\" AND \"1\"=\"2"),
    (") AND (1=1", ") AND (1=2"),
]
TIMED = [
    "'; SELECT pg_sleep(5); --",
    "' AND 1=(SELECT 1 FROM pg_sleep(5)) --",
    "' || pg_sleep(5) || '",
    "' AND 1=LIKE('ABCDEFG',UPPER(HEX(RANDOMBLOB(300000000/2)))) --",
    "' || randomblob(300000000) || '",
    "'; WAITFOR DELAY '0:0:5' --",
]
DELAY = 3.0


def strip_echo(body, payload):
    """The body without the payload's own echoes: in form fields (HTML-escaped) and in links
    (URL-encoded once or twice, as in the language switcher's `next=`)."""
    text = html.unescape(body).replace(payload, "")
    for _ in range(2):
        text = urllib.parse.unquote_plus(text).replace(payload, "")
    return text.replace(json.dumps(payload)[1:-1], "")


class Client(Session):
    """A Session with a chosen loopback source address (the login throttle counts per address)."""

    def __init__(self, host, port, source="127.0.0.1"):
        self.source = source
        super().__init__(host, port)
        self.conn = self._conn()

    def _conn(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=60,
                                          source_address=(self.source, 0))

    def request(self, method, path, body=None, headers=None):
        try:
            return super().request(method, path, body, headers)
        finally:
            # Session reconnects without our source address; keep it.
            if self.conn.source_address != (self.source, 0):
                self.conn = self._conn()

    def timed(self, method, path, body=None, headers=None):
        t0 = time.perf_counter()
        st, loc, text = self.request(method, path, body, headers)
        return st, loc, text, time.perf_counter() - t0


def ids_html(page):
    return re.findall(r'href="/students/(\d{12})"', page)


def ids_json(text):
    try:
        return [r["summary"]["msix_id"] for r in json.loads(text)["results"]]
    except (ValueError, KeyError, TypeError):
        return None


# ---------------------------------------------------------------- injection

def injection(a, s, host, port):
    print("== a. SQL injection probe (search parameters, login and TOTP forms)", flush=True)
    base = base_values(a.db)
    tables_before, counts_before = db_shape(a.db)
    endpoints = [("GET /search", "/search?", ids_html), ("GET /api/v1/students", "/api/v1/students?", ids_json)]
    total = slow = 0
    worst = 0.0
    for label, prefix, ids_of in endpoints:
        # Baseline: the slowest of a few honest searches.
        baseline = 0.0
        for field in ("last_name", "first_name", "birth_city"):
            st, _, body, dt = s.timed("GET", prefix + urllib.parse.urlencode({field: base[field]}))
            baseline = max(baseline, dt)
            if st != 200:
                bad(f"{label} baseline ?{field}= answered {st}")
        fivexx, leaks, pair_diffs, delays = [], [], [], []
        pairs_with_results = 0
        # Each parameter's honest value alone finds the child: an injectable TRUE condition would
        # keep those results and the FALSE one drop them.
        found = [f for f, v in base.items()
                 if base["msix_id"] in (ids_of(s.request("GET", prefix + urllib.parse.urlencode({f: v}))[2]) or [])]
        note(f"{label}: the honest value alone finds the child for {len(found)} of {len(base)} parameters ({', '.join(found)})")
        for field, value in base.items():
            tries = [(p, value + p) for p in PAYLOADS] + [(p, p) for p in PAYLOADS[:12]]
            for p, v in tries:
                st, _, body, dt = s.timed("GET", prefix + urllib.parse.urlencode({field: v}))
                total += 1
                worst = max(worst, dt)
                if st >= 500:
                    fivexx.append(f"{field}={v!r}: {st}")
                m = SQL_ERRORS.search(strip_echo(body, v))
                if m:
                    leaks.append(f"{field}={v!r}: {m.group(0)!r}")
            for t, f in PAIRS:
                r = []
                for p in (t, f):
                    v = value + p
                    st, _, body, dt = s.timed("GET", prefix + urllib.parse.urlencode({field: v}))
                    total += 1
                    if st >= 500:
                        fivexx.append(f"{field}={v!r}: {st}")
                    m = SQL_ERRORS.search(strip_echo(body, v))
                    if m:
                        leaks.append(f"{field}={v!r}: {m.group(0)!r}")
                    r.append((st, ids_of(body)))
                pairs_with_results += bool(r[0][1])
                if r[0] != r[1]:
                    pair_diffs.append(f"{field}: {t!r} -> {r[0][0]} {r[0][1]} vs {f!r} -> {r[1][0]} {r[1][1]}")
            for p in TIMED:
                for v in (value + p, p):
                    st, _, body, dt = s.timed("GET", prefix + urllib.parse.urlencode({field: v}))
                    total += 1
                    if dt > baseline + DELAY:
                        # Once more, so that a busy machine is not taken for an injection.
                        st, _, body, dt = s.timed("GET", prefix + urllib.parse.urlencode({field: v}))
                        total += 1
                        if dt > baseline + DELAY:
                            delays.append(f"{field}={v!r}: {dt:.1f} s (baseline {baseline:.2f} s)")
                        slow += 1
                    if st >= 500:
                        fivexx.append(f"{field}={v!r}: {st}")
        n = len(base)
        check(not fivexx, f"{label}: {n} parameters x {len(PAYLOADS) + 12} payloads: no 5xx", "; ".join(fivexx[:5]))
        check(not leaks, f"{label}: no SQL or driver error text in any answer", "; ".join(leaks[:5]))
        check(not pair_diffs, f"{label}: {len(PAIRS)} boolean pairs per parameter answer identical results "
              f"({pairs_with_results} of {len(PAIRS) * n} pairs with results)", "; ".join(pair_diffs[:3]))
        check(not delays, f"{label}: {len(TIMED) * 2} time-based payloads per parameter: no delay over baseline {baseline:.2f} s + {DELAY:.0f} s", "; ".join(delays[:3]))

    # Login form: email, password and next fields. A fresh loopback source address every 10
    # attempts keeps the per-address throttle (20 failures / 15 min) out of the way, so each
    # payload reaches the account lookup.
    fivexx, leaks, signed_in, delays, statuses = [], [], [], [], {}
    attempts = [0]

    def login(fields):
        src = f"127.0.{10 + attempts[0] // 2500}.{1 + (attempts[0] // 10) % 250}"
        attempts[0] += 1
        c = Client(host, port, src)
        _, _, page = c.request("GET", "/login")
        form = {"_csrf": csrf_of(page), "next": "/", "email": "nobody@example.test", "password": "x" * 12}
        form.update(fields)
        t0 = time.perf_counter()
        st, loc, body = c.form("/login", form)
        return st, loc or "", body, time.perf_counter() - t0

    login_baseline = max(login({})[3] for _ in range(3))
    values = PAYLOADS + [t for pair in PAIRS for t in pair] + TIMED
    for field in ("email", "password", "next"):
        for p in values:
            for v in ([p, a.login_email + p] if field == "email" else [p]):
                st, loc, body, dt = login({field: v})
                statuses[st] = statuses.get(st, 0) + 1
                if st >= 500:
                    fivexx.append(f"{field}={v!r}: {st}")
                if "/login/mfa" in loc or "/login/enroll" in loc or "puente_session" in body:
                    signed_in.append(f"{field}={v!r} -> {st} {loc}")
                m = SQL_ERRORS.search(strip_echo(body, v))
                if m:
                    leaks.append(f"{field}={v!r}: {m.group(0)!r}")
                if p in TIMED and dt > login_baseline + DELAY:
                    delays.append(f"{field}={v!r}: {dt:.1f} s")
    # The classic bypass: the real address commented out after the quote, any password.
    for v in (a.login_email + "' --", a.login_email + "'/*", a.login_email + "' OR '1'='1"):
        st, loc, body, _ = login({"email": v, "password": "' OR '1'='1"})
        if "/login/mfa" in loc or "/login/enroll" in loc:
            signed_in.append(f"email={v!r} -> {st} {loc}")
    check(not fivexx, f"POST /login: {attempts[0]} injected attempts, no 5xx (answers: {dict(sorted(statuses.items()))})", "; ".join(fivexx[:5]))
    check(not signed_in, "POST /login: no injected e-mail or password reaches the TOTP step", "; ".join(signed_in[:5]))
    check(not leaks, "POST /login: no SQL or driver error text", "; ".join(leaks[:5]))
    check(not delays, f"POST /login: no time-based delay (baseline {login_baseline:.2f} s)", "; ".join(delays[:3]))

    # TOTP form: a real password step, then injected codes (the account may lock: still no 5xx).
    if a.mfa_email:
        c = Client(host, port, "127.0.9.1")
        _, _, page = c.request("GET", "/login")
        st, loc, _ = c.form("/login", {"_csrf": csrf_of(page), "next": "/", "email": a.mfa_email, "password": a.password})
        if st in (302, 303) and loc and "mfa" in loc:
            fivexx, leaks, passed = [], [], []
            for v in ["' OR '1'='1", "000000' OR '1'='1", "1 OR 1=1", "' UNION SELECT NULL --", "'; DROP TABLE sessions; --",
                      "' AND 1=(SELECT 1 FROM pg_sleep(5)) --"]:
                _, _, page = c.request("GET", loc)
                t0 = time.perf_counter()
                st, loc2, body = c.form("/login/mfa", {"_csrf": csrf_of(page), "next": "/", "code": v})
                dt = time.perf_counter() - t0
                if st >= 500:
                    fivexx.append(f"code={v!r}: {st}")
                if st in (302, 303) and loc2 and not loc2.startswith("/login"):
                    passed.append(f"code={v!r} -> {loc2}")
                m = SQL_ERRORS.search(strip_echo(body, v))
                if m:
                    leaks.append(f"code={v!r}: {m.group(0)!r}")
                if dt > login_baseline + DELAY:
                    fivexx.append(f"code={v!r}: {dt:.1f} s")
            check(not fivexx and not leaks and not passed,
                  "POST /login/mfa: injected codes: no 5xx, no delay, no SQL text, not signed in",
                  "; ".join(fivexx + leaks + passed))
        else:
            bad(f"TOTP probe: the password step for {a.mfa_email} answered {st} {loc}")

    tables_after, counts_after = db_shape(a.db)
    check(tables_before == tables_after, f"database keeps all {len(tables_before)} tables",
          f"missing {sorted(tables_before - tables_after)}, new {sorted(tables_after - tables_before)}")
    check(counts_before == counts_after, f"children, state records, users and submissions unchanged {counts_after}",
          f"before {counts_before}")
    note(f"injection: {total} search requests, slowest {worst:.2f} s; {attempts[0]} login attempts")


def base_values(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    row = con.execute(
        "SELECT first_name, middle_name, last_name_1, birth_date, sex, state_student_id, msix_id, "
        "parent1_first_name, birth_city, reporting_state FROM state_records "
        "WHERE middle_name IS NOT NULL AND middle_name <> '' AND birth_city IS NOT NULL AND birth_city <> '' "
        "AND parent1_first_name IS NOT NULL AND parent1_first_name <> '' LIMIT 1").fetchone()
    con.close()
    keys = ["first_name", "middle_name", "last_name", "birth_date", "sex", "state_student_id", "msix_id",
            "parent_name", "birth_city", "state"]
    return dict(zip(keys, [str(v) for v in row]))


def db_shape(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    counts = tuple(con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                   for t in ("children", "state_records", "users", "submissions"))
    con.close()
    return tables, counts


# ---------------------------------------------------------------- XSS

# Markup as markup: a tag the payload opened, an attribute it broke out of, a template it evaluated.
# (`onerror=alert` alone is harmless text once `<` and `"` are escaped.)
RAW = re.compile(r"<script>alert|<img src=x|<svg/onload|<iframe src=javascript|<i>9</i>|"
                 r"x\" autofocus onfocus|x' autofocus onfocus|a49b|c49d", re.I)


def xss(a, s):
    print("== b. XSS probes (markup in every free-text field of a submitted student)", flush=True)
    with open(a.xss_payloads, encoding="utf-8") as f:
        carried = json.load(f)  # {field: payload} of the accepted student, {field: payload} rejected
    accepted, rejected = carried["accepted"], carried["rejected"]

    def shown(page, payloads):
        text = html.unescape(page)
        return sorted(k for k, v in payloads.items() if v in text)

    def page_check(label, st, page, payloads, need):
        if not check(st == 200, f"{label}: HTTP 200", f"HTTP {st}"):
            return
        m = RAW.search(page)
        check(not m, f"{label}: no unescaped markup", f"found {m.group(0)!r}" if m else "")
        seen = shown(page, payloads)
        check(len(seen) >= need, f"{label}: {len(seen)} of {len(payloads)} carried fields shown, escaped",
              f"only {seen}")
        return seen

    # Search results (HTML and the htmx fragment).
    q = urllib.parse.urlencode({"first_name": carried["first_name"], "last_name": carried["last_name"]})
    st, _, page = s.request("GET", "/search?" + q)
    page_check("search results", st, page, accepted, 1)
    check(a.xss_msix in ids_html(page), "search results list the carrier student", a.xss_msix)
    st, _, page = s.request("GET", "/search?" + q, headers={"HX-Request": "true"})
    page_check("search results (htmx fragment)", st, page, accepted, 1)
    # Reflected: the search form echoes what was typed.
    reflected = {"birth_city": '"><img src=x onerror=alert(1)>', "first_name": "<script>alert(1)</script>",
                 "last_name": "'><svg/onload=alert(1)>", "parent_name": "a{{7*7}}b",
                 "middle_name": 'x" autofocus onfocus="alert(1)', "state_student_id": "x' autofocus onfocus='alert(1)"}
    st, _, page = s.request("GET", "/search?" + urllib.parse.urlencode(reflected))
    check(st < 500 and not RAW.search(page), f"search form echo of markup (HTTP {st}): no unescaped markup",
          RAW.search(page).group(0) if RAW.search(page) else "")
    # Record page.
    st, _, page = s.request("GET", f"/students/{a.xss_msix}")
    seen = page_check("record page", st, page, accepted, 5)
    if seen:
        note("record page shows (escaped): " + ", ".join(seen))
        missing = sorted(set(accepted) - set(seen))
        if missing:
            note("record page does not show: " + ", ".join(missing))
    # Submission report page (the state's data administrator): the rejected student's offending
    # values (markup in the names).
    if a.xss_submission and a.admin_email:
        adm = Client(s.host, s.port, "127.0.7.1")
        sign_in(adm, a.admin_email, a.password, a.admin_secret)
        st, _, page = adm.request("GET", f"/submissions/{a.xss_submission}")
        if st == 200:
            seen = page_check("submission report page", st, page, rejected, 1)
            if seen:
                note("submission report shows (escaped): " + ", ".join(seen))
        else:
            note(f"submission report page answered {st} for this user (not checked)")
    # PDF.
    st, _, _ = s.request("GET", f"/students/{a.xss_msix}/report.pdf?lang=en&purpose=parent-request")
    if st in (200,):
        pdf_check(a, s)
    else:
        bad(f"PDF report: HTTP {st}")
    note("e-mails carry no record data by design (crates/app/src/mail.rs: a link to sign in, never the "
         "child's record or name), so there is no e-mail to probe")


def pdf_check(a, s):
    # Session.request decodes as text; fetch the bytes again on a raw connection with the cookies.
    conn = http.client.HTTPConnection(s.host, s.port, timeout=120)
    conn.request("GET", f"/students/{a.xss_msix}/report.pdf?lang=en&purpose=parent-request",
                 headers={"Cookie": "; ".join(f"{k}={v}" for k, v in s.cookies.items())})
    r = conn.getresponse()
    data = r.read()
    check(r.status == 200 and data.startswith(b"%PDF"), "PDF report: HTTP 200, a PDF", f"HTTP {r.status}")
    path = os.path.join(a.tmp, "xss.pdf")
    with open(path, "wb") as f:
        f.write(data)
    try:
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", path, "-"], capture_output=True, text=True,
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        bad(f"pdftotext: {e}")
        return
    flat = re.sub(r"\s+", "", text)
    with open(a.xss_payloads, encoding="utf-8") as f:
        accepted = json.load(f)["accepted"]
    seen = sorted(k for k, v in accepted.items() if re.sub(r"\s+", "", v) in flat)
    check(len(seen) >= 5, f"PDF report: {len(seen)} of {len(accepted)} carried fields printed literally",
          f"only {seen}")
    note("PDF prints literally: " + ", ".join(seen))
    check("a49b" not in flat, "PDF report: {{7*7}} and #{7*7} not evaluated")
    for frag in ("#set", "$x$", "\\"):
        check(frag in text, f"PDF report: {frag!r} printed literally")


# ---------------------------------------------------------------- oversize

def oversize(a, s, host, port):
    print("== c. oversized requests", flush=True)

    def alive(label):
        st, _, _ = s.request("GET", "/healthz")
        st2, _, page = s.request("GET", "/search?" + urllib.parse.urlencode({"last_name": "garcia"}))
        check(st == 200 and st2 == 200, f"server still serving after {label} (healthz {st}, search {st2})")

    def raw(method, path, body, headers):
        conn = http.client.HTTPConnection(host, port, timeout=120)
        h = {"Cookie": "; ".join(f"{k}={v}" for k, v in s.cookies.items())}
        h.update(headers)
        t0 = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=h)
        except OSError as e:  # the server may answer and close before the body is sent
            note(f"{method} {path}: sending stopped: {e.__class__.__name__}")
        try:
            r = conn.getresponse()
            data = r.read()
            return r.status, r.getheader("Content-Type") or "", data.decode("utf-8", "replace"), time.perf_counter() - t0
        except (OSError, http.client.HTTPException) as e:
            return 0, "", str(e), time.perf_counter() - t0
        finally:
            conn.close()

    big = b"email=a%40b.test&password=" + b"x" * (3 * 1024 * 1024)
    # The login form with the pre-session CSRF cookie (the middleware reads the body for _csrf).
    c = Client(host, port, "127.0.8.1")
    _, _, page = c.request("GET", "/login")
    token = csrf_of(page)
    cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
    for label, path, hdr in [
        ("POST /login, 3 MiB form (CSRF token in the body)", "/login", {}),
        ("POST /login, 3 MiB form (CSRF token in the header)", "/login", {"X-CSRF-Token": token}),
    ]:
        h = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        h.update(hdr)
        conn = http.client.HTTPConnection(host, port, timeout=60)
        try:
            conn.request("POST", path, body=b"_csrf=" + urllib.parse.quote(token).encode() + b"&" + big, headers=h)
            r = conn.getresponse()
            st, body = r.status, r.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as e:
            st, body = 0, str(e)
        check(st == 413, f"{label}: 413", f"HTTP {st} {body[:120]!r}")
    alive("the oversized login forms")
    for label, method, path, body, hdr in [
        ("POST /search, 3 MiB body", "POST", "/search", big, {"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": s.csrf}),
        ("GET /search with a 3 MiB body", "GET", "/search?last_name=garcia", big, {"Content-Type": "application/x-www-form-urlencoded"}),
        ("GET /search, 60 KB query value", "GET", "/search?" + urllib.parse.urlencode({"last_name": "g" * 60000}), None, {}),
        ("GET /search, 1 MiB query string", "GET", "/search?" + urllib.parse.urlencode({"last_name": "g" * (1 << 20)}), None, {}),
        ("GET /api/v1/students, 60 KB query value", "GET", "/api/v1/students?" + urllib.parse.urlencode({"first_name": "a" * 60000}), None, {}),
        ("POST /api/v1/students, 3 MiB body", "POST", "/api/v1/students", big, {"Content-Type": "application/json"}),
    ]:
        st, ctype, text, dt = raw(method, path, body, hdr)
        check(400 <= st < 500 or st == 200, f"{label}: HTTP {st} in {dt:.1f} s (a 4xx, or 200 for a bounded search; never 5xx)",
              text[:120])
    alive("the oversized searches")
    if a.no_2g:
        note("submission API over 2 GiB skipped (--no-2g)")
        return
    # The submission API: 2 GiB + 1 MiB streamed (chunked) with a state token.
    limit = 2 * 1024 * 1024 * 1024
    chunk = b"x" * (1 << 20)

    def body():
        for _ in range(limit // len(chunk) + 1):
            yield chunk

    conn = http.client.HTTPConnection(host, port, timeout=300)
    t0 = time.perf_counter()
    try:
        conn.request("POST", "/api/v1/submissions?file_name=huge.jsonl", body=body(), encode_chunked=True,
                     headers={"Authorization": f"Bearer {a.token}", "Content-Type": "application/octet-stream"})
    except OSError as e:
        note(f"2 GiB upload: sending stopped: {e.__class__.__name__}")
    try:
        r = conn.getresponse()
        st, ctype, text = r.status, r.getheader("Content-Type") or "", r.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as e:
        st, ctype, text = 0, "", str(e)
    dt = time.perf_counter() - t0
    code = ""
    try:
        code = json.loads(text).get("code", "")
    except ValueError:
        pass
    check(st == 413 and ctype.startswith("application/problem+json") and code == "payload_too_large",
          f"POST /api/v1/submissions, 2 GiB + 1 MiB: 413 problem+json code={code} in {dt:.1f} s",
          f"HTTP {st} {ctype} {text[:160]!r}")
    alive("the 2 GiB upload")


def main():
    ap = argparse.ArgumentParser()
    for k in ("url", "db", "email", "password", "secret", "token", "tmp"):
        ap.add_argument("--" + k, required=True)
    ap.add_argument("--login-email", required=True)
    ap.add_argument("--mfa-email", default="")
    ap.add_argument("--xss-msix", default="")
    ap.add_argument("--xss-submission", default="")
    ap.add_argument("--admin-email", default="", help="a data administrator of the submitting state")
    ap.add_argument("--admin-secret", default="")
    ap.add_argument("--xss-payloads", default="")
    ap.add_argument("--parts", default="injection,xss,oversize")
    ap.add_argument("--no-2g", action="store_true")
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.url)
    host, port = u.hostname, u.port
    s = Client(host, port)
    sign_in(s, a.email, a.password, a.secret)
    _, _, page = s.request("GET", "/search")
    m = re.search(r'name="_csrf" value="([^"]*)"', page) or re.search(r'csrf[^"]*"\s*content="([^"]*)"', page)
    s.csrf = html.unescape(m.group(1)) if m else ""
    parts = a.parts.split(",")
    if "injection" in parts:
        injection(a, s, host, port)
    if "xss" in parts:
        xss(a, s)
    if "oversize" in parts:
        oversize(a, s, host, port)
    print(f"probes: {PASSES[0]} passed, {len(FAILS)} failed", flush=True)
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
