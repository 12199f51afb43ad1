#!/usr/bin/env python3
"""Mixed load on a running Puente server: N signed-in counselor sessions searching and opening
records while state systems upload files; then the audit and data checks.

Standard library only (threads + http.client keep-alive per session). Loopback only.
"""
import argparse
import base64
import hashlib
import hmac
import html
import http.client
import json
import random
import re
import os
import struct
import subprocess
import sys
import threading
import time
import urllib.parse

# One database reader for both batteries.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crash"))
from check import query  # noqa: E402


def totp(secret, now=None):
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((now or time.time()) // 30)
    h = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = h[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


class Session:
    """One browser-like session: cookies and a keep-alive connection."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.cookies = {}
        self.conn = http.client.HTTPConnection(host, port, timeout=60)

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt == 1:
                    raise
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                value = rest.split(";", 1)[0]
                if "Max-Age=0" in v or value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
        return r.status, r.getheader("Location"), data.decode("utf-8", "replace")

    def form(self, path, fields):
        body = urllib.parse.urlencode(fields)
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})


def csrf_of(page):
    m = re.search(r'name="_csrf" value="([^"]*)"', page)
    return html.unescape(m.group(1)) if m else ""


def sign_in(s, email, password, secret):
    _, _, page = s.request("GET", "/login")
    st, loc, page = s.form("/login", {"_csrf": csrf_of(page), "next": "/", "email": email, "password": password})
    if st not in (302, 303) or not loc or "mfa" not in loc:
        raise RuntimeError(f"password step answered {st} {loc}")
    _, _, page = s.request("GET", loc)
    st, loc, _ = s.form("/login/mfa", {"_csrf": csrf_of(page), "next": "/", "code": totp(secret)})
    if st not in (302, 303):
        raise RuntimeError(f"TOTP step answered {st}")


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--email", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--names", required=True, help="JSON Lines files whose students are searched for")
    ap.add_argument("--upload", action="append", default=[], help="STATE:TOKEN:FILE")
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.url)
    host, port = u.hostname, u.port

    names = []
    for path in a.names.split(","):
        with open(path, encoding="utf-8") as f:
            for line in f:
                obj = json.loads(line)
                if "student" in obj:
                    d = obj["student"]["demographics"]
                    if d.get("first_name") and d.get("last_name_1"):
                        names.append((d["first_name"], d["last_name_1"]))
    if not names:
        sys.exit("no names to search for")

    user_id = query(a.db, f"SELECT id FROM users WHERE email = '{a.email}'")[0][0]
    views_before = int(query(a.db, f"SELECT COUNT(*) FROM audit_events WHERE action = 'record.view' AND actor = '{user_id}'")[0][0])

    sessions = []
    for _ in range(a.users):
        s = Session(host, port)
        sign_in(s, a.email, a.password, a.secret)
        sessions.append(s)
    print(f"load: {a.users} sessions signed in as {a.email}; {len(a.upload)} uploads; {a.seconds} s")

    lock = threading.Lock()
    lat = {"search": [], "record": []}
    errors = {"search": 0, "record": 0}
    views_ok = [0]
    deadline = time.time() + a.seconds

    def counselor(s, seed):
        rng = random.Random(seed)
        while time.time() < deadline:
            first, last = rng.choice(names)
            q = urllib.parse.urlencode({"first_name": first, "last_name": last})
            t0 = time.perf_counter()
            try:
                st, _, page = s.request("GET", "/search?" + q)
            except Exception:
                st, page = 0, ""
            dt = (time.perf_counter() - t0) * 1000
            with lock:
                lat["search"].append(dt)
                if st != 200:
                    errors["search"] += 1
            ids = re.findall(r'href="/students/(\d{12})"', page)
            if not ids:
                continue
            t0 = time.perf_counter()
            try:
                st, _, _ = s.request("GET", f"/students/{ids[0]}")
            except Exception:
                st = 0
            dt = (time.perf_counter() - t0) * 1000
            with lock:
                lat["record"].append(dt)
                if st == 200:
                    views_ok[0] += 1
                else:
                    errors["record"] += 1

    results = {}

    def uploader(spec):
        state, token, path = spec.split(":", 2)
        with open(path, "rb") as f:
            body = f.read()
        conn = http.client.HTTPConnection(host, port, timeout=3600)
        t0 = time.perf_counter()
        conn.request("POST", "/api/v1/submissions?file_name=" + urllib.parse.quote(path.rsplit("/", 1)[-1]),
                     body=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"})
        r = conn.getresponse()
        data = r.read()
        secs = time.perf_counter() - t0
        try:
            accepted = json.loads(data)["submission"]["accepted"]
        except Exception:
            accepted = None
        results[state] = (r.status, accepted, secs, path)

    threads = [threading.Thread(target=counselor, args=(s, i)) for i, s in enumerate(sessions)]
    ups = [threading.Thread(target=uploader, args=(spec,)) for spec in a.upload]
    started = time.time()
    for t in threads + ups:
        t.start()
    for t in threads:
        t.join()
    for t in ups:
        t.join()
    elapsed = time.time() - started

    ok = True
    for kind in ("search", "record"):
        n = len(lat[kind])
        print(f"{kind:7} {n:7d} requests  {n / elapsed:7.1f}/s  p50 {pct(lat[kind], 50):7.1f} ms  "
              f"p99 {pct(lat[kind], 99):7.1f} ms  errors {errors[kind]}")
        if errors[kind]:
            ok = False
    for state, (status, accepted, secs, path) in sorted(results.items()):
        print(f"upload {state}: HTTP {status}, {accepted} accepted, {secs:.1f} s")
        if status not in (200, 201) or accepted is None:
            ok = False
            continue
        chk = subprocess.run([sys.executable, "bench/crash/check.py", "--db", a.db, "--file", path,
                              "--complete", str(accepted)], capture_output=True, text=True)
        print("  " + chk.stdout.strip().replace("\n", "\n  "))
        if chk.returncode != 0:
            ok = False
    views_after = int(query(a.db, f"SELECT COUNT(*) FROM audit_events WHERE action = 'record.view' AND actor = '{user_id}'")[0][0])
    audited = views_after - views_before
    print(f"audit: {audited} record.view events for {views_ok[0]} record views served")
    if audited != views_ok[0]:
        ok = False
    print("load battery " + ("passed" if ok else "FAILED"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
