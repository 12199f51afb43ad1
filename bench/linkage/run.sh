#!/usr/bin/env bash
# Record-linkage benchmark: Puente (`puente link`) vs Splink (DuckDB) on the same inputs,
# plus Puente's online figures. See bench/linkage/README.md.
#
#   bench/linkage/run.sh [--quick] [--no-splink] [--no-online] [--only NAME[,NAME..]]
#
# --quick skips the 1M-record set. Env: CARGO_TARGET_DIR (default /tmp/target-linkbench),
# BENCH_DATA (default /tmp/puente-linkbench; generated inputs are cached there),
# SPLINK_TIMEOUT (seconds per Splink run, default 1800).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/target-linkbench}
DATA=${BENCH_DATA:-/tmp/puente-linkbench}
SPLINK_TIMEOUT=${SPLINK_TIMEOUT:-1800}
QUICK=0 SPLINK=1 ONLINE=1 ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --no-splink) SPLINK=0 ;;
    --no-online) ONLINE=0 ;;
    --only) ONLY=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
# synthetic sets: name and number of children (`puente generate --students`), about
# 2.59 records per child, so these give ~200k and ~1M records
SYNTH=("synth200k:77200" "synth1m:386000")
[ "$QUICK" = 1 ] && SYNTH=("synth200k:77200")

PY=$HERE/.venv/bin/python
if [ ! -x "$PY" ]; then
  python3 -m venv "$HERE/.venv"
  "$HERE/.venv/bin/pip" install -q splink recordlinkage
fi
echo "== building puente (release)" >&2
(cd "$ROOT" && cargo build -q --release -p puente-cli && cargo build -q --release -p puente-linkage --example bench_link)
PUENTE=$CARGO_TARGET_DIR/release/puente
mkdir -p "$DATA"

want() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }

# ---- inputs (cached)
if [ ! -f "$DATA/febrl4/records.csv" ]; then
  "$PY" "$HERE/prep_febrl.py" "$DATA"
fi
datasets=(febrl3 febrl4)
for s in "${SYNTH[@]}"; do
  name=${s%%:*} kids=${s##*:}
  want "$name" || continue
  if [ ! -f "$DATA/$name/records.csv" ]; then
    echo "== generating $name ($kids children)" >&2
    rm -rf "$DATA/$name.gen"
    "$PUENTE" generate --students "$kids" --seed 7 --out "$DATA/$name.gen" >&2
    "$PY" "$HERE/prep_synth.py" "$DATA/$name.gen" "$DATA/$name" >&2
    rm -rf "$DATA/$name.gen"
  fi
  datasets+=("$name")
done

RES=$DATA/results.jsonl
: > "$RES"
# run ENGINE DATASET CMD...: wall time and peak RSS from /usr/bin/time -v, then scores
run() {
  local engine=$1 ds=$2; shift 2
  local out=$DATA/$ds/$engine.clusters.csv tv=$DATA/$ds/$engine.time
  echo "== $engine on $ds" >&2
  local rc=0
  /usr/bin/time -v -o "$tv" "$@" >&2 || rc=$?
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$tv")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
  if [ "$rc" = 0 ] && [ -f "$out" ]; then
    scores=$("$PY" "$HERE/evaluate.py" "$DATA/$ds/truth.csv" "$out")
  else
    scores='{"error": "exit '"$rc"'"}'
  fi
  echo "{\"dataset\": \"$ds\", \"engine\": \"$engine\", \"wall_s\": $wall, \"peak_kb\": ${rss:-0}, \"scores\": $scores}" >> "$RES"
  tail -n1 "$RES" >&2
}

for ds in "${datasets[@]}"; do
  want "$ds" || continue
  rm -f "$DATA/$ds/"*.clusters.csv
  run puente "$ds" "$PUENTE" link --input "$DATA/$ds/records.csv" --output "$DATA/$ds/puente.clusters.csv"
  if [ "$SPLINK" = 1 ]; then
    run splink "$ds" timeout "$SPLINK_TIMEOUT" "$PY" "$HERE/splink_run.py" "$DATA/$ds/records.csv" "$DATA/$ds/splink.clusters.csv"
  fi
done

ONLINE_LINE=""
if [ "$ONLINE" = 1 ]; then
  echo "== online: bench_link 200000 --online" >&2
  ONLINE_LINE=$("$CARGO_TARGET_DIR/release/examples/bench_link" 200000 --online --no-batch | grep '^online' || true)
fi
"$PY" "$HERE/report.py" "$RES" "$ONLINE_LINE"
