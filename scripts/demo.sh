#!/usr/bin/env bash
# `make demo`, as far as Shaml exists today: database, the 2,500-row synthetic registry, the doctor,
# and the matcher answering example family searches. The demo issue adds Rasa, the gateway and the console.
set -euo pipefail
cd "$(dirname "$0")/.."
export SHAML_DEMO=${SHAML_DEMO:-true}
shaml=.venv/bin/shaml

echo "== 1. database (SQLite under var/ unless SHAML_DATABASE_URL says otherwise)"
$shaml db upgrade
echo
echo "== 2. the synthetic sample registry (2,500 invented people; no real person is in it)"
$shaml import data/sample/registry.csv --source sample
echo
echo "== 3. what answers"
$shaml doctor || true
echo
echo "== 4. families searching (offline matcher; the bot never shows these candidates to a family)"
mkdir -p var/demo
$shaml match --registry data/sample/registry.csv --queries data/sample/demo_queries.jsonl --out var/demo/results.jsonl
.venv/bin/python scripts/show_results.py data/sample/demo_queries.jsonl var/demo/results.jsonl data/sample/registry.csv
