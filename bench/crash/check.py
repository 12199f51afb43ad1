#!/usr/bin/env python3
"""Consistency check of a Puente database against the state file that was (partly) uploaded.

Usage: check.py --db URL --file STATE.jsonl [--complete N]

Checks, after any crash:
  * no student is half-written: every state record of the file's state that is in the database
    has exactly as many alternate IDs, qualifying moves, enrollments, courses and assessments as
    the file gives that student;
  * no student is duplicated: one state record per (state, state student ID), and every child row
    belongs to an existing state record and child;
  * at most one submission row per file content.
With --complete N: exactly N of the file's students are present (the accepted count of the final
report), each once.
Exits 1 with the problems listed, 0 when consistent. Prints no personal data (IDs only).
"""
import argparse
import json
import sqlite3
import subprocess
import sys

CHILD_TABLES = {
    "alternate_ids": "alternate_ids",
    "qualifying_moves": "qualifying_moves",
    "enrollments": "enrollments",
    "courses": "courses",
    "assessments": "assessments",
}


def query(db, sql):
    if db.startswith("postgres://") or db.startswith("postgresql://"):
        out = subprocess.run(
            ["psql", db, "-AtF", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True, capture_output=True, text=True,
        ).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]
    path = db[len("sqlite://"):] if db.startswith("sqlite://") else db
    path = path.split("?")[0]
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return [tuple(str(c) for c in row) for row in con.execute(sql)]
    finally:
        con.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--complete", type=int)
    a = ap.parse_args()

    expected = {}
    state = None
    with open(a.file, encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            if "header" in obj:
                state = obj["header"]["submitting_state"]
                continue
            s = obj["student"]
            expected[s["state_student_id"]] = {k: len(s.get(k) or []) for k in CHILD_TABLES}
    problems = []

    recs = query(a.db, f"SELECT id, state_student_id, child_id FROM state_records WHERE reporting_state = '{state}'")
    seen = {}
    for rid, ssid, _child in recs:
        if ssid in seen:
            problems.append(f"duplicate state record {state}/{ssid}")
        seen[ssid] = rid
    counts = {}
    for table in CHILD_TABLES.values():
        for rid, n in query(a.db, f"SELECT state_record_id, COUNT(*) FROM {table} GROUP BY state_record_id"):
            counts.setdefault(rid, {})[table] = int(n)
    for ssid, rid in seen.items():
        want = expected.get(ssid)
        if want is None:
            continue
        have = counts.get(rid, {})
        for key, table in CHILD_TABLES.items():
            if have.get(table, 0) != want[key]:
                problems.append(f"half-written student {state}/{ssid}: {table} {have.get(table, 0)} of {want[key]}")
    for table in CHILD_TABLES.values():
        orphans = query(a.db, f"SELECT COUNT(*) FROM {table} t LEFT JOIN state_records r ON r.id = t.state_record_id WHERE r.id IS NULL")
        if int(orphans[0][0]) != 0:
            problems.append(f"{orphans[0][0]} {table} rows without their state record")
    orphans = query(a.db, "SELECT COUNT(*) FROM state_records r LEFT JOIN children c ON c.id = r.child_id WHERE c.id IS NULL")
    if int(orphans[0][0]) != 0:
        problems.append(f"{orphans[0][0]} state records without their child")
    dup_subs = query(a.db, "SELECT state, content_hash, COUNT(*) FROM submissions GROUP BY state, content_hash HAVING COUNT(*) > 1")
    for st, h, n in dup_subs:
        problems.append(f"{n} submission rows for one file of {st} ({h[:12]})")
    present = sum(1 for ssid in seen if ssid in expected)
    if a.complete is not None and present != a.complete:
        problems.append(f"{present} of the file's students present, the report accepted {a.complete}")

    print(f"check: {len(seen)} {state} state records, {present} from this file, {len(problems)} problems")
    for p in problems[:50]:
        print("  " + p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
