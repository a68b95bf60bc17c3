#!/usr/bin/env bash
# Refactoring guard for the release binary: explores every shipped spec (and the 3-frame
# bench spec) on each engine it runs on, with 1 and 2 threads, and compares states,
# transitions, depth and verdict with scripts/golden-counts.txt (recorded before the
# reshaping of issue #10). The debug-build test GoldenRunTests guards the small specs and
# the traces in `make test`; this script covers the sizes only a release build finishes.
#
#   scripts/golden-counts.sh                 compare (exit 1 on any difference)
#   scripts/golden-counts.sh --record        write scripts/golden-counts.txt anew
#   scripts/golden-counts.sh --with-4-frames also the 4-frame bench spec (about 4 minutes)
#   MMUCHECK=path/to/mmucheck scripts/...    another binary (default .build/release/mmucheck)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${MMUCHECK:-.build/release/mmucheck}
record=0; four=0
for a in "$@"; do
  case "$a" in
    --record) record=1 ;;
    --with-4-frames) four=1 ;;
    *) echo "golden-counts.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done
[ -x "$bin" ] || { echo "golden-counts.sh: no binary at $bin (run 'make build' first)" >&2; exit 2; }
runs=(
  "specs/hypervisor-small.yaml --engine fast"
  "specs/hypervisor-small.yaml --engine fast --threads 2"
  "specs/hypervisor-small.yaml --engine spec"
  "specs/hypervisor-small.yaml --engine fast --no-symmetry --no-merge-stale-types"
  "specs/quick/hypervisor-tiny.yaml --engine spec"
  "specs/quick/hypervisor-3-level.yaml --engine fast"
  "specs/guest-pae.yaml"
  "specs/guest-pte-updates.yaml"
  "specs/guest-balloon.yaml"
  "specs/guest-kernel-mappings.yaml"
  "specs/guest-two-mms.yaml"
  "specs/guest-mprotect.yaml"
  "specs/bench/hypervisor-3-frames.yaml --engine fast --threads 2"
)
[ $four -eq 1 ] && runs+=("specs/bench/hypervisor-4-frames.yaml --threads 2")
out=$(mktemp); trap 'rm -f "$out"' EXIT
for r in "${runs[@]}"; do
  # shellcheck disable=SC2086
  json=$("$bin" explore $r --format json --quiet || true)
  line=$(printf '%s' "$json" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("states %d transitions %d depth %d %s engine %s" % (d["distinctStates"], d["transitions"], d["depth"], d["verdict"], d["engine"]))')
  echo "$r: $line" | tee -a "$out"
done
golden=scripts/golden-counts.txt
if [ $record -eq 1 ]; then
  if [ $four -eq 1 ]; then cp "$out" "$golden"; else
    # keep a recorded 4-frame line
    { cat "$out"; grep -F 'hypervisor-4-frames' "$golden" 2>/dev/null || true; } > "$golden.new"; mv "$golden.new" "$golden"
  fi
  echo "recorded $golden"; exit 0
fi
expected=$(grep -vF 'hypervisor-4-frames' "$golden"; [ $four -eq 1 ] && grep -F 'hypervisor-4-frames' "$golden" || true)
if diff <(printf '%s\n' "$expected") "$out"; then echo "golden counts: identical (${#runs[@]} runs)"; else echo "golden counts: DIFFERENT" >&2; exit 1; fi
