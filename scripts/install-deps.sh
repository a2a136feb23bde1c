#!/usr/bin/env bash
# install-deps.sh : install every Debian 12 package lmc builds, tests and benchmarks with
# (DESIGN.md §7), then register oclgrind's OpenCL ICD, which Debian's package ships without
# registering, and give the Python tests the PyPI packages Debian lacks (safetensors) in a venv
# that sees Debian's own (torch, numpy): ${XDG_CACHE_HOME:-$HOME/.cache}/lmc/venv, or
# $LMC_PY_VENV. Safe to run again (a venv that already imports them is left alone). Runs
# apt-get through sudo when not already root.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo
  libclblast-dev
  libflac-dev libpng-dev zlib1g-dev liblzma-dev libzstd-dev
  libgtest-dev
  oclgrind clang libclang-rt-14-dev
  gzip xz-utils flac zstd
  libopenmpi-dev openmpi-bin
  curl unzip groff-base
  python3-torch python3-numpy python3-venv
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# oclgrind: register its ICD so the OpenCL loader lists it as a platform.
icd_lib=/usr/lib/oclgrind/liboclgrind-rt-icd.so
if [ -f "$icd_lib" ] && [ ! -f /etc/OpenCL/vendors/oclgrind.icd ]; then
  echo "install-deps: registering oclgrind's OpenCL ICD"
  as_root mkdir -p /etc/OpenCL/vendors
  echo "$icd_lib" | as_root tee /etc/OpenCL/vendors/oclgrind.icd >/dev/null
fi
# PyPI packages for the Python tests (test/model/safetensors_interop.py): Debian 12 has no
# python3-safetensors and refuses `pip install` into the system interpreter (PEP 668), so a venv
# with the system site packages (Debian's torch and numpy stay visible) holds them.
venv=${LMC_PY_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/lmc/venv}
pypi_packages=(safetensors)
imports=$(IFS=,; echo "${pypi_packages[*]}")
if ! "$venv/bin/python3" -c "import $imports" >/dev/null 2>&1; then
  echo "install-deps: creating $venv with ${pypi_packages[*]}"
  mkdir -p "$(dirname "$venv")"
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check "${pypi_packages[@]}"
  "$venv/bin/python3" -c "import $imports"
fi
echo "install-deps: all dependencies present"
