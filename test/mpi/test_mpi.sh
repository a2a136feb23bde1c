#!/usr/bin/env bash
# test_mpi.sh CASE LMC SOURCE_DIR MPIRUN : the scale-out tests (docs/scale-out.md), one case per
# ctest test (label `mpi`), each `mpirun --oversubscribe -np N` on this machine. What each proves:
#   train_tiny        tiny, 3 steps, 6 micro-batches: the model file is the same bytes without
#                     MPI and under mpirun -np 1, 2, 3, 4, on PoCL pthread and on cpu-ref; and
#                     with the default 1 micro-batch, -np 2 (one rank idle) equals the plain run
#                     (whose M = 1 path is the single-process path, unchanged)
#   train_200k        200k, --window 64, 2 steps, 4 micro-batches: the same for -np 1, 2, 3 on pthread
#                     and -np 3 on cpu-ref
#   kill_resume       rank 1 of 3 is killed by SIGKILL after step 3: mpirun exits non-zero, the
#                     checkpoint is whole (it resumes), and resuming it with -np 2 gives the
#                     uninterrupted run's model file byte for byte; SIGINT on every rank of 2
#                     after step 2 stops them after the same step with a checkpoint, and -np 3
#                     resumes it to the same bytes
#   coding            compress a 3-group file (coded and stored windows, a short last window and
#                     group) with -np 1, 2, 3: the same .lmc bytes as one process; decompress
#                     with -np 1, 2, 3 (and one process) gives back the input
#   coding_failure    a rank that fails mid-file (LMC_TEST_DIST_FAIL_RANK) makes mpirun exit
#                     non-zero with that rank's message, and no output file appears (compress and
#                     decompress); an existing output without -f is refused and left as it was
#   coding_kill       rank 1 of 3 SIGKILLs itself after coding its first block, before sending it
#                     (LMC_TEST_DIST_KILL_RANK), while rank 0 has the output open under its
#                     temporary name: mpirun exits non-zero, no output and no temporary file is
#                     left (compress and decompress), and an existing output being replaced with
#                     -f is left as it was (compress; it is replaced only when the job completes)
#   eval              `lmc eval --json --plot` with a coding model (context 2048, trained and
#                     quantised here), its float model and gzip on a 132-chunk text with random
#                     bytes (3 blocks, coded and stored chunks): -np 1, 2, 3 give the JSON of
#                     the plain run apart from "seconds", and the same plot bytes (only -np 3
#                     under LMC_TEST_SMALL, set for sanitizer and Debug builds); a rank that
#                     fails during the coding row ends the job non-zero with its message and no
#                     plot; negative control: another model under the same name changes the
#                     coding row's figures (and not gzip's), so the comparison can fail
#   one_process       verify, bench coding and bench codec, which would only repeat the same work
#                     on every rank, refuse -np 2 with one message from rank 0 and exit 2;
#                     control: -np 1 runs (bench codec's JSON comes out)
#   negative_control  ranks reducing in rank order (LMC_TEST_DIST_REDUCE=rank-order: each rank
#                     sums its micro-batches, then MPI_Allreduce) give models that differ
#                     between rank counts: the identity above is not a comparison that cannot fail
#   bench_train       `lmc bench train --json` under -np 2 reports the ranks, tokens/s summed
#                     over ranks and communication seconds per step
# Exit 77 (ctest's skip) with a message when lmc was built without MPI or mpirun is missing.
set -euo pipefail
case_name=$1
lmc=$2
src=$3
mpirun_bin=${4:-}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ -n "$mpirun_bin" ] || skip "lmc was built without MPI (-DLMC_MPI=OFF or no libopenmpi-dev): no scale-out tests"
command -v "$mpirun_bin" >/dev/null 2>&1 || skip "no mpirun ($mpirun_bin); install openmpi-bin"

if ! "$lmc" devices --json | grep -qi '"pthread'; then
  case ",${LMC_REQUIRE_DEVICES:-}," in
    *,pthread,*) fail "PoCL's pthread device is required (LMC_REQUIRE_DEVICES) but missing" ;;
  esac
  skip "no PoCL pthread device"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lmc-mpi-$case_name.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

mpi_flags=(--oversubscribe)
[ "$(id -u)" -eq 0 ] && mpi_flags+=(--allow-run-as-root)
export OMPI_MCA_btl_vader_single_copy_mechanism=none # containers often forbid CMA (ptrace)
export OMPI_MCA_rmaps_base_oversubscribe=1
# Under ASan (build-asan), LeakSanitizer is off for processes started by mpirun: Open MPI's
# components allocate at MPI_Init and are dlclose'd at MPI_Finalize, so their leaks come out as
# "<unknown module>" frames that no suppression can name. Address and UB checks stay on, and
# every plain (non-mpirun) lmc run here and in the rest of the suite keeps leak checking.
mpi() { # mpi N ARGS... : lmc ARGS under mpirun -np N
  local n=$1
  shift
  ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$mpirun_bin" "${mpi_flags[@]}" -np "$n" "$lmc" "$@"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }

# training data: the project's own documents (fixed bytes)
cat "$src/README.md" "$src/docs/DESIGN.md" "$src/CONTRIBUTING.md" >data.txt

same_model_every_n() { # DEVICE CONFIG-ARGS... : plain run vs mpirun -np 1..NS
  local dev=$1 ns=$2
  shift 2
  "$lmc" train --data data.txt --device "$dev" -q "$@" -o plain.safetensors
  local want
  want=$(sha plain.safetensors)
  for n in $ns; do
    rm -f "np$n".*
    mpi "$n" train --data data.txt --device "$dev" -q "$@" -o "np$n.safetensors"
    local got
    got=$(sha "np$n.safetensors")
    [ "$got" = "$want" ] || fail "$dev $*: -np $n gives model $got, one process $want"
    [ ! -e "np$n.csv" ] || [ "$(wc -l <"np$n.csv")" -eq "$(wc -l <plain.csv)" ] || fail "-np $n: the log has extra rows"
    echo "ok: $dev $* : -np $n = one process ($got)"
  done
  echo "$want" >"want-$dev.sha"
}

case "$case_name" in
train_tiny)
  tiny=(--config tiny --window 32 --batch 6 --steps 3 --micro-batches 6)
  same_model_every_n pthread "1 2 3 4" "${tiny[@]}"
  same_model_every_n cpu-ref "1 2 3" "${tiny[@]}"
  # one micro-batch (the default): the single-process path; -np 2 leaves rank 1 idle, same bytes
  same_model_every_n pthread "2" --config tiny --window 32 --batch 6 --steps 3
  ;;
train_200k)
  same_model_every_n pthread "1 2 3" --config 200k --window 64 --batch 4 --steps 2 --micro-batches 4
  same_model_every_n cpu-ref "3" --config 200k --window 64 --batch 4 --steps 2 --micro-batches 4
  ;;
kill_resume)
  args=(--config tiny --window 32 --batch 6 --steps 6 --micro-batches 6 --checkpoint-every 1 --device pthread -q)
  "$lmc" train --data data.txt "${args[@]}" -o full.safetensors
  set +e
  LMC_TEST_KILL_AT_STEP=3 LMC_TEST_KILL_RANK=1 mpi 3 train --data data.txt "${args[@]}" -o cut.safetensors \
    >kill.log 2>&1
  rc=$?
  set -e
  [ "$rc" -ne 0 ] || { cat kill.log; fail "killing rank 1 left mpirun's exit status 0"; }
  echo "ok: rank 1 killed after step 3: mpirun exits $rc"
  [ -e cut.ckpt ] || fail "no checkpoint after the kill"
  [ ! -e cut.safetensors ] || fail "a killed run wrote its model file"
  mpi 2 train --data data.txt --resume --device pthread -q -o cut.safetensors
  [ "$(sha cut.safetensors)" = "$(sha full.safetensors)" ] ||
    fail "resumed with -np 2: $(sha cut.safetensors), uninterrupted $(sha full.safetensors)"
  echo "ok: resumed with -np 2 = the uninterrupted run ($(sha full.safetensors))"
  # Ctrl-C under mpirun: every rank raises SIGINT after step 2 (LMC_TEST_INTERRUPT_AT_STEP); the
  # ranks agree to stop after the same step, rank 0 writes the checkpoint, the job exits non-zero,
  # and resuming with -np 3 ends in the uninterrupted run's bytes
  set +e
  LMC_TEST_INTERRUPT_AT_STEP=2 mpi 2 train --data data.txt "${args[@]}" -o int.safetensors >int.log 2>&1
  rc=$?
  set -e
  [ "$rc" -ne 0 ] || { cat int.log; fail "an interrupted run exited 0"; }
  [ ! -e int.safetensors ] || fail "an interrupted run wrote its model file"
  mpi 3 train --data data.txt --resume --device pthread -q -o int.safetensors
  [ "$(sha int.safetensors)" = "$(sha full.safetensors)" ] || fail "interrupted, resumed with -np 3: differs"
  echo "ok: interrupted after step 2 (exit $rc), resumed with -np 3 = the uninterrupted run"
  ;;
coding)
  model="$src/test/golden/tiny.exact.safetensors"
  # 150,007 bytes with W = 64: 2,344 windows = 2 full groups of 1,024 and a short third, the last
  # window short; 10 KB of random bytes in the middle are stored windows
  head -c 10000 /dev/urandom >rnd10k.bin
  cat data.txt data.txt rnd10k.bin data.txt data.txt data.txt >all.bin
  head -c 150007 all.bin >input.bin
  [ "$(wc -c <input.bin)" -eq 150007 ] || fail "fixture is $(wc -c <input.bin) bytes"
  "$lmc" compress -q -m "$model" --device pthread -W 64 --json input.bin -o one.lmc >one.json
  grep -q '"stored_windows": [1-9]' one.json || fail "the fixture has no stored window: $(cat one.json)"
  "$lmc" decompress -q -m "$model" --device pthread one.lmc -o one.out
  cmp input.bin one.out || fail "one process does not round-trip"
  want=$(sha one.lmc)
  for n in 1 2 3; do
    mpi "$n" compress -q -m "$model" --device pthread -W 64 input.bin -o "np$n.lmc"
    [ "$(sha "np$n.lmc")" = "$want" ] || fail "compress -np $n: $(sha "np$n.lmc"), one process $want"
    mpi "$n" decompress -q -m "$model" --device pthread "np$n.lmc" -o "np$n.out"
    cmp input.bin "np$n.out" || fail "decompress -np $n does not give the input back"
    echo "ok: -np $n: the same .lmc bytes ($want) and the input back"
  done
  # -W 50: windows that do not divide a group's 65,536 bytes (G = 1,310); the built-in default
  # model's header through the same path
  "$lmc" compress -q -m "$model" --device pthread -W 50 input.bin -o w50.lmc
  mpi 3 compress -q -m "$model" --device pthread -W 50 input.bin -o w50-np3.lmc
  [ "$(sha w50.lmc)" = "$(sha w50-np3.lmc)" ] || fail "-W 50 -np 3 differs"
  "$lmc" decompress -q -m "$model" --device pthread w50-np3.lmc -o w50.out
  cmp input.bin w50.out || fail "-W 50: one process does not decode the -np 3 file"
  echo "ok: -W 50 -np 3 = one process"
  ;;
coding_failure)
  model="$src/test/golden/tiny.exact.safetensors"
  cat data.txt data.txt data.txt data.txt >all.bin
  head -c 150007 all.bin >input.bin
  rm all.bin
  for what in compress decompress; do
    if [ "$what" = compress ]; then
      in=input.bin out=out.lmc wflag=(-W 64)
    else
      "$lmc" compress -q -m "$model" --device pthread -W 64 input.bin -o in.lmc
      in=in.lmc out=out.bin wflag=()
    fi
    set +e
    LMC_TEST_DIST_FAIL_RANK=1 mpi 3 "$what" -q -m "$model" --device pthread "${wflag[@]}" "$in" -o "$out" >fail.log 2>&1
    rc=$?
    set -e
    [ "$rc" -ne 0 ] || { cat fail.log; fail "$what: a failed rank left exit status 0"; }
    grep -q "rank 1 failed" fail.log || { cat fail.log; fail "$what: the failing rank's message is missing"; }
    [ ! -e "$out" ] || fail "$what: a failed job left $out"
    leftover=$(ls -A | grep -v -x -e input.bin -e in.lmc -e data.txt -e fail.log || true)
    [ -z "$leftover" ] || fail "$what: the failed job left $leftover"
    echo "ok: $what with rank 1 failing: exit $rc, its message, no $out"
  done
  # an existing output without -f: refused by rank 0 for every rank, exit 1, the file untouched
  echo keep >out.lmc
  set +e
  mpi 3 compress -q -m "$model" --device pthread -W 64 input.bin -o out.lmc >exists.log 2>&1
  rc=$?
  set -e
  [ "$rc" -ne 0 ] || fail "an existing output without -f gave exit 0"
  [ "$(cat out.lmc)" = keep ] || fail "an existing output was overwritten without -f"
  echo "ok: an existing output is refused (exit $rc) and kept"
  ;;
coding_kill)
  model="$src/test/golden/tiny.exact.safetensors"
  cat data.txt data.txt data.txt >all.bin
  head -c 150007 all.bin >input.bin # 3 blocks of one 1,024-window group with -W 64: one per rank
  rm all.bin
  "$lmc" compress -q -m "$model" --device pthread -W 64 input.bin -o in.lmc
  for what in compress decompress; do
    if [ "$what" = compress ]; then in=input.bin out=out.lmc wflag=(-W 64); else in=in.lmc out=out.bin wflag=(); fi
    for existing in no yes; do
      [ "$what" = compress ] || [ "$existing" = no ] || continue # -f: the same output code both ways
      force=()
      if [ "$existing" = yes ]; then echo keep >"$out"; force=(-f); fi
      rm -f saw_tmp
      set +e
      LMC_TEST_DIST_KILL_RANK=1 mpi 3 "$what" -q -m "$model" --device pthread "${wflag[@]}" "${force[@]}" "$in" -o "$out" \
        >kill.log 2>&1 &
      job=$!
      # rank 0's temporary output exists while the job runs (it waits for rank 1's block)
      while kill -0 "$job" 2>/dev/null; do
        if ls -A | grep -q 'lmc-tmp-'; then touch saw_tmp; fi
        sleep 0.02
      done
      wait "$job"
      rc=$?
      set -e
      [ "$rc" -ne 0 ] || { cat kill.log; fail "$what: a killed rank left exit status 0"; }
      [ -e saw_tmp ] || fail "$what: no temporary output was seen while the job ran (the kill came too early)"
      if [ "$existing" = yes ]; then
        [ "$(cat "$out")" = keep ] || fail "$what -f: the existing $out was replaced by a killed job"
      else
        [ ! -e "$out" ] || fail "$what: a killed job left $out"
      fi
      leftover=$(ls -A | grep -v -x -e input.bin -e in.lmc -e data.txt -e kill.log -e saw_tmp -e "$out" || true)
      [ -z "$leftover" ] || fail "$what: the killed job left $leftover"
      echo "ok: $what, rank 1 killed mid-file (existing output: $existing): exit $rc, nothing left but what was there"
      rm -f "$out"
    done
  done
  ;;
eval)
  # a coding model whose context holds a 2,048-byte chunk, small enough to be fast: 5,192 parameters
  "$lmc" train --data data.txt --d-model 8 --layers 1 --heads 1 --context 2048 --window 64 --batch 8 --steps 40 \
    --device pthread -q -o m.safetensors
  "$lmc" quantize m.safetensors -o m.exact.safetensors >/dev/null
  "$lmc" train --data data.txt --d-model 8 --layers 1 --heads 1 --context 2048 --window 64 --batch 8 --steps 40 \
    --seed 2 --device pthread -q -o other.safetensors
  "$lmc" quantize other.safetensors -o other.exact.safetensors >/dev/null
  # 132 chunks = blocks of 64, 64 and 4 windows; 20 KB of random bytes give stored chunks. Cut to
  # exactly 132 chunks: data.txt is the repository's docs, whose size changes with every edit.
  head -c 20480 /dev/urandom >rnd.bin
  cat data.txt data.txt rnd.bin data.txt data.txt data.txt >set.txt
  rm rnd.bin
  [ "$(stat -c %s set.txt)" -ge $((132 * 2048)) ] || fail "the docs are too short for 132 chunks"
  truncate -s $((132 * 2048)) set.txt
  args=(eval --compressor lm:m.exact.safetensors,lm:m.safetensors,gzip --dataset text:set.txt --json --device pthread)
  no_seconds() { sed -E 's/"seconds": [0-9.]+/"seconds": -/' "$1"; }
  "$lmc" "${args[@]}" --plot plain.png >plain.json
  grep -q '"chunks": 132' plain.json || fail "the fixture is not 132 chunks: $(cat plain.json)"
  grep -q '"stored_chunks": [1-9]' plain.json || fail "no stored chunk: $(cat plain.json)"
  grep -q '"stored_chunks": 132' plain.json && fail "every chunk stored: $(cat plain.json)"
  ranks="1 2 3"
  [ -z "${LMC_TEST_SMALL:-}" ] || ranks=3 # sanitizer builds: the case with the most blocks moved
  for n in $ranks; do
    mpi "$n" "${args[@]}" --plot "np$n.png" >"np$n.json"
    [ "$(no_seconds "np$n.json")" = "$(no_seconds plain.json)" ] ||
      { diff <(no_seconds plain.json) <(no_seconds "np$n.json") || true; fail "eval -np $n differs from one process"; }
    cmp plain.png "np$n.png" || fail "eval -np $n: another plot"
    [ "$(grep -c '"compressor"' "np$n.json")" -eq 3 ] || fail "-np $n: more than one rank printed"
    echo "ok: eval -np $n = one process (all figures but seconds; the same plot)"
  done
  # a rank failing during the coding row: non-zero exit, its message, no plot
  set +e
  LMC_TEST_DIST_FAIL_RANK=2 mpi 3 "${args[@]}" --plot fail.png >fail.json 2>fail.log
  rc=$?
  set -e
  [ "$rc" -ne 0 ] || { cat fail.log; fail "eval: a failed rank left exit status 0"; }
  grep -q "rank 2 failed" fail.log || { cat fail.log; fail "eval: the failing rank's message is missing"; }
  [ ! -e fail.png ] || fail "eval: a failed job wrote its plot"
  [ -z "$(ls -A | grep fail.png || true)" ] || fail "eval: a failed job left $(ls -A | grep fail.png)"
  echo "ok: eval with rank 2 failing: exit $rc, its message, no plot"
  # negative control: another model under the same name changes the coding row, and not gzip's
  mv m.exact.safetensors m.first.exact.safetensors
  cp other.exact.safetensors m.exact.safetensors
  mpi 3 "${args[@]}" >other.json
  [ "$(no_seconds other.json)" != "$(no_seconds plain.json)" ] || fail "another model gave the same figures"
  [ "$(no_seconds other.json | grep '"lm:m.exact')" != "$(no_seconds plain.json | grep '"lm:m.exact')" ] ||
    fail "another model left the coding row as it was"
  [ "$(no_seconds other.json | grep '"gzip')" = "$(no_seconds plain.json | grep '"gzip')" ] ||
    fail "another model changed the gzip row"
  echo "ok: another model changes the coding row's figures (the comparison can fail)"
  ;;
one_process)
  head -c 5000 data.txt >small.txt
  "$lmc" compress -q -m "$src/test/golden/tiny.exact.safetensors" --device pthread small.txt -o small.lmc
  for cmd in "verify small.lmc" "bench coding --json" "bench codec --json --symbols 1000"; do
    set +e
    # shellcheck disable=SC2086 # the command's words
    mpi 2 $cmd >one.out 2>one.log
    rc=$?
    set -e
    [ "$rc" -eq 2 ] || { cat one.log; fail "$cmd under -np 2: exit $rc, not 2"; }
    [ "$(grep -c 'runs as one process' one.log)" -eq 1 ] || { cat one.log; fail "$cmd: not one message"; }
    [ ! -s one.out ] || fail "$cmd under -np 2 printed results: $(cat one.out)"
    echo "ok: $cmd under -np 2 is refused (exit 2, one message)"
  done
  mpi 1 bench codec --json --symbols 1000 >one.out
  grep -q '"bench": "codec"' one.out || fail "bench codec under -np 1 gave no result"
  echo "ok: -np 1 runs it"
  ;;
negative_control)
  tiny=(--config tiny --window 32 --batch 6 --steps 3 --micro-batches 6 --device pthread -q)
  "$lmc" train --data data.txt "${tiny[@]}" -o plain.safetensors
  differ=0
  for n in 2 3; do
    LMC_TEST_DIST_REDUCE=rank-order mpi "$n" train --data data.txt "${tiny[@]}" -o "rank$n.safetensors"
    if [ "$(sha "rank$n.safetensors")" != "$(sha plain.safetensors)" ]; then differ=$((differ + 1)); fi
    echo "rank-order -np $n: $(sha "rank$n.safetensors") (one process $(sha plain.safetensors))"
  done
  [ "$(sha rank2.safetensors)" != "$(sha rank3.safetensors)" ] || fail "rank-order reduction gave the same bytes for -np 2 and 3"
  [ "$differ" -eq 2 ] || fail "rank-order reduction matched the fixed tree for some rank count"
  echo "ok: reducing in rank order depends on the rank count (the fixed tree does not)"
  ;;
bench_train)
  mpi 2 bench train --no-pytorch --json --config tiny --context 64 --batch 4 --steps 2 --micro-batches 4 >bench.json
  cat bench.json
  grep -q '"ranks": 2' bench.json || fail "no \"ranks\": 2"
  grep -q '"tokens_per_s": [0-9]' bench.json || fail "no tokens_per_s"
  grep -q '"comm_seconds_per_step": [0-9]' bench.json || fail "no comm_seconds_per_step"
  [ "$(grep -c '"tokens_per_s"' bench.json)" -eq 1 ] || fail "more than one rank printed"
  ;;
*) fail "unknown case $case_name" ;;
esac
echo "PASS: $case_name"
