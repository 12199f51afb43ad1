"""Print the benchmark table (markdown) from results.jsonl and the online line."""
import json
import re
import sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
online = sys.argv[2] if len(sys.argv) > 2 else ""
by = {(r["dataset"], r["engine"]): r for r in rows}
print("| dataset | records | engine | pair P | pair R | pair F1 | B3 P | B3 R | B3 F1 | wall s | peak MB | Puente/Splink time |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    s = r["scores"]
    ratio = ""
    if r["engine"] == "puente" and (r["dataset"], "splink") in by:
        sp = by[(r["dataset"], "splink")]
        if "error" not in sp["scores"] and sp["wall_s"]:
            ratio = f"{r['wall_s'] / sp['wall_s']:.3f}"
    if "error" in s:
        print(f"| {r['dataset']} | | {r['engine']} | {s['error']} | | | | | | {r['wall_s']:.1f} | {r['peak_kb'] / 1024:.0f} | |")
        continue
    print(f"| {r['dataset']} | {s['records']} | {r['engine']} | {s['pair_p']:.4f} | {s['pair_r']:.4f} | {s['pair_f1']:.4f} "
          f"| {s['b3_p']:.4f} | {s['b3_r']:.4f} | {s['b3_f1']:.4f} | {r['wall_s']:.2f} | {r['peak_kb'] / 1024:.0f} | {ratio} |")
if online:
    g = lambda k: (re.search(k + r"=([0-9.]+)", online) or [None, "?"])[1]
    print()
    print(f"Online (200k children indexed): p50 {g('p50')} ms, p99 {g('p99')} ms, top-1 {g('top1_rank')}, "
          f"attached correctly {g('attach_correct')}, wrong attach {g('wrong_attach')}, "
          f"new children wrongly attached {g('new_wrongly_attached')}")
    print(f"  raw: {online}")
