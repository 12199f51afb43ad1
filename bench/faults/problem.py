#!/usr/bin/env python3
"""Checks one HTTP answer saved by curl (-D HEADERS -o BODY) against the API error contract
(docs/errors.md): application/problem+json, a stable `code`, no internal error text.

Usage: problem.py HEADERS BODY [--status 503[,507...]] [--code unavailable[,internal...]]

Prints one line (`HTTP 503 problem+json code=unavailable title="service unavailable"`) and exits 0
when the answer has one of the expected statuses and codes and leaks nothing; otherwise prints
why and exits 1. Also used for plain-text answers (/healthz) with --any-type.
"""
import argparse
import json
import re
import sys

# Text that must never reach a client: database and driver messages, SQL, file paths, OS errors.
LEAKS = re.compile(
    r"sqlx|sqlite|postgres|SQLSTATE|error returned from database|database error|\(code: \d+\)|"
    r"os error|No space left|database or disk is full|connection refused|pool timed out|PoolTimedOut|"
    r"\bSELECT\b|\bINSERT\b|\bUPDATE\b|\bDELETE FROM\b|relation \"|syntax error|panicked|"
    r"/tmp/|/var/|/home/|/root/|\.rs:\d+|\.db\b",
    re.I,
)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("headers")
    ap.add_argument("body")
    ap.add_argument("--status", default="")
    ap.add_argument("--code", default="")
    ap.add_argument("--any-type", action="store_true", help="do not require problem+json")
    a = ap.parse_args()
    with open(a.headers, encoding="latin-1") as f:
        head = f.read()
    with open(a.body, "rb") as f:
        body = f.read().decode("utf-8", "replace")
    # The last status line (curl -D keeps 100 Continue and redirects).
    statuses = re.findall(r"^HTTP/[\d.]+ (\d{3})", head, re.M)
    status = statuses[-1] if statuses else "000"
    ctype = ""
    for line in head.splitlines():
        if line.lower().startswith("content-type:"):
            ctype = line.split(":", 1)[1].strip()
    problems = []
    code = title = ""
    if a.status and status not in a.status.split(","):
        problems.append(f"status {status}, expected {a.status}")
    if not a.any_type:
        if not ctype.startswith("application/problem+json"):
            problems.append(f"content type {ctype!r}, expected application/problem+json")
        try:
            doc = json.loads(body)
            code, title = str(doc.get("code", "")), str(doc.get("title", ""))
            if str(doc.get("status")) != status:
                problems.append(f"body status {doc.get('status')} differs from HTTP {status}")
        except (ValueError, AttributeError):
            problems.append("body is not a JSON object")
        if a.code and code not in a.code.split(","):
            problems.append(f"code {code!r}, expected {a.code}")
    m = LEAKS.search(body)
    if m:
        problems.append(f"internal text in the body: {m.group(0)!r}")
    shown = f'code={code} title="{title}"' if code or title else f"body={body[:80]!r}"
    print(f"HTTP {status} {ctype.split(';')[0] or '-'} {shown}" + ("" if not problems else ": " + "; ".join(problems)))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
