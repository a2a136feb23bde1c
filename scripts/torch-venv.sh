#!/usr/bin/env bash
# torch-venv.sh : create (once) the virtualenv holding a current PyTorch 2.x CPU build from PyPI,
# the peer `lmc bench train` measures itself against (docs/performance.md). Debian's python3-torch
# is 1.13, without fused scaled_dot_product_attention or torch.compile, so it makes a weak peer.
#
# The venv lives at ${LMC_TORCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/lmc/torch-venv}; the bench
# looks there first. Safe to run again: an existing venv whose torch imports is left as it is.
# PyPI's torch wheel pulls ~3 GB of CUDA libraries even for CPU use, so this is a one-off
# developer step, never part of CI. `python3 -m venv` needs Debian's python3-venv.
#
# Usage: scripts/torch-venv.sh            create or check the venv, print its python
#        scripts/torch-venv.sh --print    print where the venv's python is (or would be) and exit
set -euo pipefail

venv="${LMC_TORCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/lmc/torch-venv}"
py="$venv/bin/python"

if [ "${1:-}" = "--print" ]; then
  echo "$py"
  exit 0
fi

# Debian's interpreter, so the venv's base is the system one the rest of the toolchain uses.
base=/usr/bin/python3
[ -x "$base" ] || base="$(command -v python3)"

if [ -x "$py" ] && "$py" -c 'import torch, sys; sys.exit(0 if int(torch.__version__.split(".")[0]) >= 2 else 1)' 2>/dev/null; then
  echo "torch-venv: $("$py" -c 'import torch; print("torch", torch.__version__)') already in $venv"
  echo "$py"
  exit 0
fi

if ! "$base" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "torch-venv: $base lacks venv/ensurepip; install Debian's python3-venv" >&2
  exit 1
fi

mkdir -p "$(dirname "$venv")"
if [ ! -x "$py" ]; then
  echo "torch-venv: creating $venv"
  "$base" -m venv "$venv"
fi
"$py" -m pip install --quiet --upgrade pip
# torch's own dependencies (typing_extensions, sympy, networkx, jinja2, fsspec, filelock) come
# with it; numpy only silences torch's warning at import.
echo "torch-venv: installing torch (a large download, once)"
"$py" -m pip install --progress-bar off torch numpy
"$py" -c 'import torch; print("torch-venv: torch", torch.__version__, "in", "'"$venv"'")'
echo "$py"
