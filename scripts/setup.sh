#!/usr/bin/env bash
# Install scratchdl and everything it needs on a fresh machine.
#   bash scripts/setup.sh          the package, its runtime dependencies and its default data
#   bash scripts/setup.sh --test   also the test oracles (PyTorch, Keras) and test-only data
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian data packages: Fashion-MNIST (the default real data set of several applications).
debian_packages=(dataset-fashion-mnist)
missing=()
for package in "${debian_packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
    sudo_cmd=""
    [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

pip_install() { python3 -m pip install --quiet --disable-pip-version-check "$@"; }

if [[ "${1:-}" == "--test" ]]; then
    pip_install -e '.[test]'
else
    pip_install -e .
fi
