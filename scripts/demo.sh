#!/usr/bin/env bash
# `make demo`: the database, the 2,500-row synthetic registry, the Rasa model (trained on the first run),
# Redis (the one at SHAML_REDIS_URL, or a private one), then Rasa, the action server, the web service and
# the worker under one supervisor. It prints the simulator and console URLs and an admin password.
# Ctrl-C stops every process.
set -euo pipefail
cd "$(dirname "$0")/.."
export SHAML_DEMO=${SHAML_DEMO:-true}
exec .venv/bin/shaml demo
