#!/usr/bin/env bash
# gpu-check.sh : the checks to run on a machine with a GPU, in one go, each step under a time
# limit inside a total budget, its output in one log and its --json results in one file.
#
#   scripts/gpu-check.sh [SELECTOR]      default SELECTOR: nvidia (see 'lmc devices')
#   BUDGET=seconds (default 400) caps the whole run; OUT=folder (default /tmp/lmc-gpu-check)
#
# What it shows, in order of value:
#  1. the device is seen and passes the exactness probe (lmc devices --check);
#  2. the same .lmc bytes as cpu-ref's for 4 KiB of README.md (two windows: cpu-ref is slow) with
#     200k-x2 and 200k, and cpu-ref's files decode on the GPU to their input (cross-device
#     determinism, DESIGN.md §3);
#  3. the golden files decode and re-encode to the same bytes on it (test_golden);
#  4. the determinism tests written for GPUs: batch and work-group sweeps on each GPU with their
#     negative controls (ExactBatched.RowsEqualTheOracleOnEachGpu,
#     ExactCodec.BatchAndWorkGroupSizesGiveSameBytesOnEachGpu), and the cross-device row, codec and
#     perturbed-kernel tests with the GPU as the required device;
#  5. lmc bench coding (200k-x2, 200k, 800k-x2; --profile once) and lmc bench train (200k, 800k).
# It needs a Release build in build/ (test binaries included); bench coding finds the corpora as
# lmc does ($LMC_DATA_DIR; seeded random bytes without them).
#
# An OpenCL driver installed without its ICD file (containers that mount only the NVIDIA driver's
# libraries) is found by its library and named to the ICD loader through OCL_ICD_VENDORS.
set -uo pipefail
cd "$(dirname "$0")/.."
DEV=${1:-nvidia}
BUDGET=${BUDGET:-400}
OUT=${OUT:-/tmp/lmc-gpu-check}
LMC=build/lmc
mkdir -p "$OUT"
LOG=$OUT/log
JSON=$OUT/results.jsonl
: >"$LOG"
: >"$JSON"
exec > >(tee -a "$LOG") 2>&1
T0=$(date +%s)
export LMC_CACHE_DIR=${LMC_CACHE_DIR:-$OUT/cache}

[ -x "$LMC" ] || { echo "gpu-check: no $LMC: build first (README)"; exit 1; }
if [ -z "${OCL_ICD_VENDORS:-}" ] && ! ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1; then
    lib=$(ls /usr/local/nvidia/lib64/libnvidia-opencl.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 \
             /usr/lib64/libnvidia-opencl.so.1 2>/dev/null | head -n 1)
    if [ -n "$lib" ]; then
        mkdir -p "$OUT/icd" && echo "$lib" >"$OUT/icd/nvidia.icd"
        export OCL_ICD_VENDORS=$OUT/icd
        echo "gpu-check: no ICD file; using $lib"
    fi
fi
command -v nvidia-smi >/dev/null && nvidia-smi -L
uname -srm
nproc

# step NAME SECONDS CMD... : CMD under a limit within the budget; a stdout that is JSON is kept.
step() {
    local name=$1 limit=$2
    shift 2
    local left=$((BUDGET - ($(date +%s) - T0)))
    if [ "$left" -lt 15 ]; then echo "=== SKIP $name: budget spent"; return 0; fi
    [ "$limit" -gt "$left" ] && limit=$left
    echo "=== $name (limit ${limit} s, at $(($(date +%s) - T0)) s): $*"
    local start
    start=$(date +%s%N)
    timeout -k 5 "$limit" "$@" >"$OUT/step.out" 2>"$OUT/step.err"
    local rc=$?
    echo "--- $name: rc $rc, $((($(date +%s%N) - start) / 1000000)) ms"
    tail -c 2500 "$OUT/step.out"
    echo
    tail -c 1500 "$OUT/step.err"
    if [ "$(head -c 1 "$OUT/step.out")" = "{" ]; then
        printf '{"step":"%s","rc":%d,"result":' "$name" "$rc" >>"$JSON"
        tr -d '\n' <"$OUT/step.out" >>"$JSON"
        echo "}" >>"$JSON"
    fi
    return $rc
}

# A fixed input, the same on every machine: this README's first 4 KiB; cpu-ref's files are the
# reference.
IN=$OUT/in4k
head -c 4096 README.md >"$IN"

step devices 30 "$LMC" devices
step devices_check 60 "$LMC" devices --check
for m in 200k-x2 200k; do
    step "compress_cpu_ref_$m" 120 "$LMC" compress -f -q -m "$m" --device cpu-ref "$IN" -o "$OUT/ref.$m.lmc"
    step "compress_$m" 60 "$LMC" compress -f -q -m "$m" --device "$DEV" "$IN" -o "$OUT/gpu.$m.lmc"
    cmp "$OUT/ref.$m.lmc" "$OUT/gpu.$m.lmc" && echo "SAME BYTES ($m): $DEV and cpu-ref"
    step "decompress_$m" 60 "$LMC" decompress -f -q --device "$DEV" "$OUT/ref.$m.lmc" -o "$OUT/back.$m"
    cmp "$IN" "$OUT/back.$m" && echo "ROUND TRIP ($m): cpu-ref's file decoded on $DEV"
done
step golden 120 env LMC_REQUIRE_DEVICES="$DEV" build/test/golden/test_golden
step exact_batched_gpu 150 build/test/determinism/test_exact_batched --gtest_filter='*EachGpu*'
step exact_gpu 150 env LMC_REQUIRE_DEVICES="$DEV" build/test/determinism/test_exact \
    --gtest_filter='*EachGpu*:*ExactRows.SameRows*:*ExactCodec.SameBytes*:*ExactCodec.Perturbed*'
step bench_coding_200k_x2 150 "$LMC" bench coding --json -m 200k-x2 --device "$DEV" --bytes 131072 --torch-windows 0
step bench_coding_profile 120 "$LMC" bench coding -m 200k-x2 --device "$DEV" --bytes 65536 --torch-windows 0 --profile
step bench_train_200k 90 "$LMC" bench train --json --device "$DEV" --config 200k --no-pytorch
step bench_coding_200k 120 "$LMC" bench coding --json -m 200k --device "$DEV" --bytes 131072 --torch-windows 0
step bench_coding_800k_x2 150 "$LMC" bench coding --json -m 800k-x2 --device "$DEV" --bytes 65536 --torch-windows 0
step bench_train_800k 90 "$LMC" bench train --json --device "$DEV" --config 800k --no-pytorch
echo "=== done in $(($(date +%s) - T0)) s; log $LOG, JSON $JSON"
