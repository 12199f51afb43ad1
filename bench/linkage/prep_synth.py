"""Convert `puente generate` output (per-state .jsonl + truth.csv) to `puente link` input CSV + truth.

record_id = STATE:state_student_id; entity = truth child. Usage: prep_synth.py GEN_DIR OUT_DIR
"""
import csv
import glob
import json
import os
import re
import sys

COLS = ["record_id", "reporting_state", "state_student_id", "first_name", "middle_name", "last_name_1",
        "last_name_2", "sex", "birth_date", "birth_city", "birth_state", "birth_country",
        "parent1_first_name", "parent1_last_name", "parent2_first_name", "parent2_last_name",
        "multiple_birth_flag"]
DEMO = COLS[3:16]


def s(v):
    return "" if v is None else str(v).strip()


def date(v):
    v = s(v)
    if re.fullmatch(r"\d{8}", v):
        return f"{v[:4]}-{v[4:6]}-{v[6:]}"
    return v


gen, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
child = {}
with open(os.path.join(gen, "truth.csv"), newline="") as f:
    for r in csv.DictReader(f):
        child[(r["state"], r["state_student_id"])] = r["child"]
n = 0
with open(os.path.join(out, "records.csv"), "w", newline="") as fo, open(
    os.path.join(out, "truth.csv"), "w", newline=""
) as ft:
    w, tw = csv.writer(fo), csv.writer(ft)
    w.writerow(COLS)
    tw.writerow(["record_id", "entity"])
    for path in sorted(glob.glob(os.path.join(gen, "*.jsonl"))):
        with open(path) as f:
            next(f)  # header line
            for line in f:
                st = json.loads(line)["student"]
                d = st.get("demographics") or {}
                state, ssid = s(st.get("reporting_state")), s(st.get("state_student_id"))
                rid = f"{state}:{ssid}"
                row = [rid, state, ssid] + [date(d.get(k)) if k == "birth_date" else s(d.get(k)) for k in DEMO]
                row.append(s(d.get("multiple_birth_flag")))
                w.writerow(row)
                tw.writerow([rid, child.get((state, ssid), "?" + rid)])
                n += 1
print(f"{out}: {n} records")
