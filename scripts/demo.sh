#!/usr/bin/env bash
# Installs and runs the demo on a fresh machine: one traced request, printed as a span tree.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v pnpm >/dev/null 2>&1 || npm install --global --no-audit --no-fund pnpm@10 >/dev/null
bash scripts/services.sh
pnpm install --frozen-lockfile
pnpm build
pnpm demo
