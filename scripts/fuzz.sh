#!/usr/bin/env bash
# Fuzz every parser and normaliser (fuzz/fuzz_targets) with libFuzzer through cargo fuzz, for a
# bounded time each, and print executions and crashes per target.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET=60] [TARGET...]
#
# cargo fuzz needs nightly-only compiler flags (sanitizers); the one toolchain here is stable,
# so RUSTC_BOOTSTRAP=1 enables them for this build only. Seeds: docs/schema/examples (all
# formats); the corpus grows under fuzz/corpus/ (not committed). A crash leaves its input in
# fuzz/artifacts/<target>/ and makes this script exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(interchange_read validate names dates_ids linkage)
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install --locked cargo-fuzz --quiet
fi
export RUSTC_BOOTSTRAP=1
# Own target dir: sanitizer builds must not mix with the normal ones.
export CARGO_TARGET_DIR=${PUENTE_FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-target}-fuzz}
status=0
summary=""
for t in "${targets[@]}"; do
    corpus="fuzz/corpus/$t"
    mkdir -p "$corpus" "fuzz/artifacts/$t"
    case "$t" in
        interchange_read | validate) cp -n docs/schema/examples/submission.* "$corpus"/ 2>/dev/null || true ;;
        names) printf 'José Hernández-López' >"$corpus/seed-name"; printf 'McDonald de la Cruz' >"$corpus/seed-name2" ;;
        dates_ids) printf '2010-03-14' >"$corpus/seed-date"; printf '123456789018' >"$corpus/seed-msix" ;;
        linkage) printf 'TX|T1|José|Luis|Hernández|López|M|2010-03-14|Weslaco|Juan|Hernández|\x1eMI|M1|JOSE||HERNANDEZ LOPEZ||M|2010-14-03' >"$corpus/seed-pair" ;;
    esac
    log="$(mktemp)"
    if (cd fuzz && cargo fuzz run --release "$t" "../$corpus" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -timeout=10 \
        -artifact_prefix="artifacts/$t/") >"$log" 2>&1; then
        result="ok"
    else
        result="CRASH (input in fuzz/artifacts/$t/)"
        status=1
        tail -40 "$log"
    fi
    runs="$(grep -o 'Done [0-9]* runs' "$log" | tail -n1 | grep -o '[0-9]*' || echo '?')"
    summary+="$(printf '%-18s %12s executions in %ss: %s' "$t" "$runs" "$seconds" "$result")"$'\n'
    rm -f "$log"
done
echo "=== fuzzing ==="
printf '%s' "$summary"
exit $status
