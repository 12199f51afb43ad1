"""Score clusters against truth: pairwise (pairs implied by clusters) and B-cubed P/R/F1.

Usage: evaluate.py truth.csv clusters.csv   (truth: record_id,entity; clusters: record_id,cluster_id)
Prints one JSON object.
"""
import csv
import json
import sys
from collections import Counter, defaultdict


def load(path, col):
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        return {row["record_id"]: row[col] for row in r}


def prf(p, r):
    return (2 * p * r / (p + r)) if p + r else 0.0


truth = load(sys.argv[1], "entity")
pred = load(sys.argv[2], "cluster_id")
ids = list(truth)
missing = sum(1 for i in ids if i not in pred)
# records missing from the output are singletons
pred = {i: pred.get(i, "__missing__" + i) for i in ids}
joint = Counter((truth[i], pred[i]) for i in ids)
t_size = Counter(truth[i] for i in ids)
p_size = Counter(pred[i] for i in ids)
c2 = lambda n: n * (n - 1) // 2
tp = sum(c2(n) for n in joint.values())
t_pairs = sum(c2(n) for n in t_size.values())
p_pairs = sum(c2(n) for n in p_size.values())
P = tp / p_pairs if p_pairs else 1.0
R = tp / t_pairs if t_pairs else 1.0
# B-cubed
bp = sum(n * n / p_size[c] for (t, c), n in joint.items()) / len(ids)
br = sum(n * n / t_size[t] for (t, c), n in joint.items()) / len(ids)
print(json.dumps({
    "records": len(ids), "missing": missing,
    "pair_p": round(P, 4), "pair_r": round(R, 4), "pair_f1": round(prf(P, R), 4),
    "b3_p": round(bp, 4), "b3_r": round(br, 4), "b3_f1": round(prf(bp, br), 4),
}))
