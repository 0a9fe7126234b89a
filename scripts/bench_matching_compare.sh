#!/usr/bin/env bash
# Run `shaml bench matching` on a baseline checkout and on this one, one after the other in the
# same run, so the two tables sit side by side on the same machine load.
#   scripts/bench_matching_compare.sh BASELINE_DIR RECORDS [EXHAUSTIVE_SAMPLE]
# BASELINE_DIR: a plain copy of the baseline commit (e.g. `git archive <commit> | tar -x -C DIR`).
# The two runs see different machine load; on a shared machine prefer
# `shaml bench matching --records N --compare BASELINE_DIR`, which times both sides (and a
# control) in separate processes on the same queries interleaved in rounds.
set -euo pipefail
base=$1; records=$2; sample=${3:-20}
here=$(cd "$(dirname "$0")/.." && pwd)
py=$here/.venv/bin/python
for side in baseline current; do
  src=$here; [ "$side" = baseline ] && src=$base
  echo "== $side ($src) records=$records"
  (cd "$src" && PYTHONPATH="$src" "$py" -c "from shaml.cli import main; main()" \
      bench matching --records "$records" --exhaustive-sample "$sample")
done
