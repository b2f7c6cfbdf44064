#!/usr/bin/env bash
# Install scratchdl and everything it needs on a fresh machine.
#   bash scripts/setup.sh          the package and its runtime dependencies
#   bash scripts/setup.sh --test   also the test oracles (PyTorch, Keras) and the data packages
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true

if [[ "${1:-}" == "--test" ]]; then
    python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
else
    python3 -m pip install --quiet --disable-pip-version-check -e .
fi
