#!/usr/bin/env bash
# test_fetch_data.sh : scripts/fetch-data.sh against a local HTTP server, and `lmc eval --dataset
# NAME` on what it fetched.
#
#   test/scripts/test_fetch_data.sh SOURCE_DIR BINARY_DIR
#
# There is no internet here, so the test makes small stand-ins for the real files (zip files of
# a few text chunks, a tar.gz with the LibriSpeech folder layout and one WAV, 24 tiny PNGs), a
# manifest of their hashes (LMC_FETCH_MANIFEST), and serves them with fetch_test_server.py on
# 127.0.0.1 (LMC_FETCH_BASE_URL). Every check says what it proves. Nothing depends on timing:
# the server cuts a transfer at a fixed byte count, not after a delay, and the only wait is for
# the server's port file to appear (bounded). The server is stopped on exit, whatever happens.
# Exit 0: every check passed; 1: some failed; 77: a tool is missing (ctest reports a skip).

# The checks are `check WHAT eval '...'`, expanded when run, and the helpers are called through
# check: tell shellcheck so.
# shellcheck disable=SC2016,SC2034,SC2317
set -uo pipefail

SRC=${1:?usage: test_fetch_data.sh SOURCE_DIR BINARY_DIR}
BIN=${2:?usage: test_fetch_data.sh SOURCE_DIR BINARY_DIR}
FETCH=$SRC/scripts/fetch-data.sh
LMC=$BIN/lmc
for t in python3 curl unzip tar sha256sum; do
    command -v "$t" >/dev/null 2>&1 || { echo "SKIP: needs $t"; exit 77; }
done
[ -x "$LMC" ] || { echo "FAIL: no lmc program at $LMC (build it first)"; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/lmc-fetch-test-XXXXXX")
SERVER_PID=
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
        SERVER_PID=
    fi
}
FAILS=0
finish() {
    stop_server
    if [ "$FAILS" -eq 0 ]; then rm -rf "$W"; else echo "(work folder kept: $W)"; fi
}
trap finish EXIT

# Only 127.0.0.1, never a proxy, no ~/.curlrc: the environment of every command below.
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY LMC_DATA_DIR XDG_DATA_HOME
export no_proxy='*' NO_PROXY='*' HOME=$W/home
mkdir -p "$HOME"

pass() { echo "ok   - $1"; }
fail() { echo "FAIL - $1"; FAILS=$((FAILS + 1)); }
# check DESCRIPTION COMMAND... : pass when the command succeeds.
check() {
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
has() { grep -qF -- "$2" "$1" || { echo "     (no '$2' in $1:)"; sed 's/^/     | /' "$1"; return 1; }; }
absent() { [ ! -e "$1" ] || { echo "     ($1 exists)"; return 1; }; }
no_parts() { [ -z "$(find "$1" -name '*.part' -o -name '*.unpack.*' 2>/dev/null)" ]; }
log_lines() { wc -l <"$W/requests.log"; }

# ---- the stand-in files, and their hashes -------------------------------------------------------
mkdir -p "$W/srv"
python3 - "$W/srv" "$W/fix" >"$W/manifest" <<'EOF' || { echo "FAIL: cannot make the fixtures"; exit 1; }
import hashlib, io, os, struct, sys, tarfile, wave, zipfile, zlib
srv, fix = sys.argv[1], sys.argv[2]
os.makedirs(fix)
def text(n, seed):
    words = [b"lossless ", b"byte ", b"models ", b"compress ", b"\xc3\xa9t\xc3\xa9 ", b"%d " % seed]
    out, i = b"", 0
    while len(out) < n:
        out += words[(i * 7 + seed) % len(words)]
        i += 1
    return out[:n]
h = {}
for name, n in (("enwik8", 3 * 2048 + 100), ("enwik9", 5 * 2048 + 7)):
    data = text(n, len(name) + n)
    open(os.path.join(fix, name), "wb").write(data)
    z = os.path.join(srv, name + ".zip")
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
    raw = open(z, "rb").read()
    print("%s.zip sha256 %s" % (name, hashlib.sha256(raw).hexdigest()))
    if name == "enwik9":
        print("enwik9.zip md5 %s" % hashlib.md5(raw).hexdigest())
    print("%s/%s sha256 %s" % (name, name, hashlib.sha256(data).hexdigest()))
# LibriSpeech: its layout (LibriSpeech/test-clean/SPEAKER/CHAPTER/...), one 16 kHz 16-bit mono
# utterance of 4096 samples (2 chunks; a WAV, which the audio reader takes like FLAC), and the
# text files the real archive has beside the audio.
wav = io.BytesIO()
with wave.open(wav, "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
    w.writeframes(b"".join(struct.pack("<h", (i * 37) % 20000 - 10000) for i in range(4096)))
members = {
    "LibriSpeech/README.TXT": b"LibriSpeech stand-in\n",
    "LibriSpeech/test-clean/1089/134686/1089-134686.trans.txt": b"1089-134686-0000 HELLO\n",
    "LibriSpeech/test-clean/1089/134686/1089-134686-0000.wav": wav.getvalue(),
}
tgz = os.path.join(srv, "test-clean.tar.gz")
with tarfile.open(tgz, "w:gz") as tf:
    for path, data in members.items():
        info = tarfile.TarInfo(path); info.size = len(data); info.mode = 0o644
        tf.addfile(info, io.BytesIO(data))
open(os.path.join(fix, "utterance.wav"), "wb").write(members["LibriSpeech/test-clean/1089/134686/1089-134686-0000.wav"])
print("test-clean.tar.gz sha256 %s" % hashlib.sha256(open(tgz, "rb").read()).hexdigest())
# Kodak: 24 gray 64x32 PNGs (one 32x64 patch each), each different.
def png(w, hgt, seed):
    rows = b"".join(b"\x00" + bytes((x * 3 + y * 5 + seed * 11) % 256 for x in range(w)) for y in range(hgt))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, hgt, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
sha1 = hashlib.sha1()
for i in range(1, 25):
    data = png(64, 32, i)
    open(os.path.join(srv, "kodim%02d.png" % i), "wb").write(data)
    sha1.update(data)
print("kodak sha1 %s" % sha1.hexdigest())
EOF

# ---- the server ----------------------------------------------------------------------------
start_server() {
    rm -f "$W/port"
    python3 "$SRC/test/scripts/fetch_test_server.py" "$W/srv" "$W/port" "$W/requests.log" &
    SERVER_PID=$!
    for _ in $(seq 200); do # at most 10 s for the port file (written only once listening)
        [ -s "$W/port" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    [ -s "$W/port" ] || { echo "FAIL: the test server did not start"; exit 1; }
    PORT=$(cat "$W/port")
    BASE=http://127.0.0.1:$PORT
}
touch "$W/requests.log"
start_server

# fetch DATA_DIR OUT ARGS... : run fetch-data.sh with the test's server and manifest; $? is its exit.
fetch() {
    local dir=$1 out=$2
    shift 2
    env LMC_DATA_DIR="$dir" LMC_FETCH_BASE_URL="${FETCH_BASE:-$BASE}" LMC_FETCH_MANIFEST="${MANIFEST:-$W/manifest}" \
        LMC_FETCH_RETRIES=0 bash "$FETCH" "$@" >"$out" 2>&1
}
hash_of() { awk -v k="$1" '$1 == k && $2 == "sha256" { print $3 }' "$W/manifest"; }

# ---- 1. usage --------------------------------------------------------------------------------
bash "$FETCH" >"$W/u1" 2>&1
rc=$?
check "no argument: usage and exit 2 (bad usage is told apart from a failed download)" \
    eval '[ "$rc" -eq 2 ] && has "$W/u1" "Usage: scripts/fetch-data.sh NAME"'
bash "$FETCH" nosuch >"$W/u2" 2>&1
rc=$?
check "an unknown name: exit 2 naming it" eval '[ "$rc" -eq 2 ] && has "$W/u2" "unknown dataset '"'"'nosuch'"'"'"'

# ---- 2. everything, then again ---------------------------------------------------------------
D1=$W/d1
fetch "$D1" "$W/all1" all
rc=$?
check "'all' succeeds from the server (exit 0)" eval '[ "$rc" -eq 0 ] || { cat "$W/all1"; false; }'
check "enwik8/enwik8 and enwik9/enwik9 are the bytes inside the served zip files" \
    eval 'cmp -s "$D1/enwik8/enwik8" "$W/fix/enwik8" && cmp -s "$D1/enwik9/enwik9" "$W/fix/enwik9"'
same_images() { local i; for i in $(seq -w 1 24); do cmp -s "$1/kodim$i.png" "$W/srv/kodim$i.png" || return 1; done; }
check "kodak/ holds the 24 served images, byte for byte" same_images "$D1/kodak"
check "librispeech-test-clean/ is the archive's LibriSpeech/ folder (test-clean/SPEAKER/CHAPTER/...)" \
    eval 'cmp -s "$D1/librispeech-test-clean/test-clean/1089/134686/1089-134686-0000.wav" "$W/fix/utterance.wav" &&
          [ -f "$D1/librispeech-test-clean/README.TXT" ]'
check "every check of the manifest was made (the archives' and the unpacked files' hashes)" \
    eval 'has "$W/all1" "enwik8.zip: sha256 ok" && has "$W/all1" "enwik8 (unpacked): sha256 ok" &&
          has "$W/all1" "enwik9.zip: md5 ok" && has "$W/all1" "enwik9.zip: sha256 ok" &&
          has "$W/all1" "test-clean.tar.gz: sha256 ok" && has "$W/all1" "kodak (kodim01..24.png): sha1 ok"'
check "no .part, unpack folder or archive is left behind" \
    eval 'no_parts "$D1" && [ -z "$(find "$D1/.fetch" -name "*.zip" -o -name "*.tar.gz" -o -name kodak)" ]'
before=$(log_lines)
fetch "$D1" "$W/all2" all
rc=$?
check "a second 'all' is idempotent: exit 0 and not one request to the server" \
    eval '[ "$rc" -eq 0 ] && [ "$(log_lines)" -eq "$before" ]'
check "... and it says so, having verified what is there" \
    eval 'has "$W/all2" "enwik8: already present and verified" && has "$W/all2" "enwik9: already present and verified" &&
          has "$W/all2" "kodak: already present and verified" && has "$W/all2" "librispeech-test-clean: already present"'

utt=$D1/librispeech-test-clean/test-clean/1089/134686/1089-134686-0000.wav
cp "$utt" "$W/utt.bak"
printf 'X' | dd of="$utt" bs=1 seek=100 conv=notrunc 2>/dev/null
before=$(log_lines)
fetch "$D1" "$W/tamper.out" librispeech-test-clean
rc=$?
check "a changed file in an installed folder is caught by the recorded SHA-256s: exit 1, nothing fetched or replaced" \
    eval '[ "$rc" -eq 1 ] && has "$W/tamper.out" "1089-134686-0000.wav: FAILED" &&
          has "$W/tamper.out" "librispeech-test-clean exists but is incomplete or does not match" && [ "$(log_lines)" -eq "$before" ]'
cp "$W/utt.bak" "$utt"

# ---- 3. lmc eval reads what was fetched --------------------------------------------------------
env LMC_DATA_DIR="$D1" "$LMC" eval --compressor gzip --dataset enwik8,enwik9,kodak,librispeech-test-clean --json \
    >"$W/eval.json" 2>"$W/eval.err"
rc=$?
check "lmc eval --dataset enwik8,enwik9,kodak,librispeech-test-clean runs on the fetched folders" \
    eval '[ "$rc" -eq 0 ] || { cat "$W/eval.err"; false; }'
check "each name resolves to its reader on DIR/NAME (text 3 and 5 chunks, image 24 patches, audio 2 chunks)" \
    eval 'has "$W/eval.json" "\"dataset\": \"text:$D1/enwik8\", \"raw_bytes\": 6144, \"chunks\": 3" &&
          has "$W/eval.json" "\"dataset\": \"text:$D1/enwik9\", \"raw_bytes\": 10240, \"chunks\": 5" &&
          has "$W/eval.json" "\"dataset\": \"image:$D1/kodak\", \"raw_bytes\": 49152, \"chunks\": 24" &&
          has "$W/eval.json" "\"dataset\": \"audio:$D1/librispeech-test-clean\", \"raw_bytes\": 4096, \"chunks\": 2"'
mkdir -p "$W/empty"
env LMC_DATA_DIR="$W/empty" "$LMC" eval --compressor gzip --dataset enwik9 >"$W/miss.out" 2>"$W/miss.err"
rc=$?
check "a corpus not fetched: lmc eval exits 1 naming the script to run" \
    eval '[ "$rc" -eq 1 ] && has "$W/miss.err" "scripts/fetch-data.sh enwik9"'

# ---- 4. the default data folder, shared by the script and lmc --------------------------------
env LMC_FETCH_BASE_URL="$BASE" LMC_FETCH_MANIFEST="$W/manifest" LMC_FETCH_RETRIES=0 bash "$FETCH" enwik8 >"$W/home.out" 2>&1
rc=$?
check "without LMC_DATA_DIR the script installs into ~/.local/share/lmc/data" \
    eval '[ "$rc" -eq 0 ] && cmp -s "$HOME/.local/share/lmc/data/enwik8/enwik8" "$W/fix/enwik8"'
"$LMC" eval --compressor gzip --dataset enwik8 --json >"$W/home.json" 2>&1
check "... and lmc eval --dataset enwik8 finds it there without LMC_DATA_DIR" \
    has "$W/home.json" "\"dataset\": \"text:$HOME/.local/share/lmc/data/enwik8\""
env XDG_DATA_HOME="$W/xdg" LMC_FETCH_BASE_URL="$BASE" LMC_FETCH_MANIFEST="$W/manifest" LMC_FETCH_RETRIES=0 \
    bash "$FETCH" enwik8 >"$W/xdg.out" 2>&1
rc=$?
env XDG_DATA_HOME="$W/xdg" "$LMC" eval --compressor gzip --dataset enwik8 --json >"$W/xdg.json" 2>&1
check "with XDG_DATA_HOME both use \$XDG_DATA_HOME/lmc/data" \
    eval '[ "$rc" -eq 0 ] && has "$W/xdg.json" "\"dataset\": \"text:$W/xdg/lmc/data/enwik8\""'

# ---- 5. resume -------------------------------------------------------------------------------
D2=$W/d2
mkdir -p "$D2/.fetch"
zip_size=$(wc -c <"$W/srv/enwik8.zip")
half=$((zip_size / 2))
head -c "$half" "$W/srv/enwik8.zip" >"$D2/.fetch/enwik8.zip.part"
fetch "$D2" "$W/resume.out" enwik8
rc=$?
check "a partial enwik8.zip.part is resumed: one Range request from its end, and the joined file verifies" \
    eval '[ "$rc" -eq 0 ] && has "$W/requests.log" "GET /enwik8.zip bytes=$half-" &&
          has "$W/resume.out" "resuming the download at byte $half" && cmp -s "$D2/enwik8/enwik8" "$W/fix/enwik8"'
D2b=$W/d2b
mkdir -p "$D2b/.fetch"
head -c "$half" /dev/zero >"$D2b/.fetch/enwik8.zip.part"
before=$(log_lines)
fetch "$D2b" "$W/stale.out" enwik8
rc=$?
check "a .part of wrong bytes: the resumed file fails its hash, is deleted and downloaded afresh once" \
    eval '[ "$rc" -eq 0 ] && has "$W/stale.out" "enwik8.zip: sha256 mismatch" &&
          has "$W/stale.out" "downloading it again from the start" &&
          [ "$(tail -n +"$((before + 1))" "$W/requests.log" | grep -c "^GET /enwik8.zip")" -eq 2 ] &&
          cmp -s "$D2b/enwik8/enwik8" "$W/fix/enwik8"'
D2d=$W/d2d
mkdir -p "$D2d/.fetch"
cp "$W/srv/enwik8.zip" "$D2d/.fetch/enwik8.zip.part"
fetch "$D2d" "$W/whole.out" enwik8
rc=$?
check "a .part that is already whole (a run stopped before its rename): the server's 416 is not an error" \
    eval '[ "$rc" -eq 0 ] && has "$W/whole.out" "(HTTP 416): the part is whole" && cmp -s "$D2d/enwik8/enwik8" "$W/fix/enwik8"'
D2c=$W/d2c
mkdir -p "$D2c/.fetch"
head -c "$half" "$W/srv/enwik8.zip" >"$D2c/.fetch/enwik8.zip.part"
FETCH_BASE=$BASE/norange fetch "$D2c" "$W/norange.out" enwik8
rc=$?
check "a server that ignores Range: the download restarts from byte 0 and succeeds" \
    eval '[ "$rc" -eq 0 ] && has "$W/norange.out" "cannot resume" && cmp -s "$D2c/enwik8/enwik8" "$W/fix/enwik8"'

# ---- 6. a truncated transfer ---------------------------------------------------------------------
D3=$W/d3
FETCH_BASE=$BASE/truncate fetch "$D3" "$W/trunc.out" enwik8
rc=$?
check "the server closes half way: exit 1 with a message naming the file and the cause" \
    eval '[ "$rc" -eq 1 ] && has "$W/trunc.out" "enwik8.zip ended early" && has "$W/trunc.out" "FAILED: enwik8"'
check "... nothing is installed and no complete-looking file exists; the part is kept, smaller than the file" \
    eval 'absent "$D3/enwik8" && absent "$D3/.fetch/enwik8.zip" &&
          [ "$(wc -c <"$D3/.fetch/enwik8.zip.part")" -lt "$zip_size" ]'
cut=$(wc -c <"$D3/.fetch/enwik8.zip.part")
fetch "$D3" "$W/trunc2.out" enwik8
rc=$?
check "... and the next run resumes it at the cut and installs the verified file" \
    eval '[ "$rc" -eq 0 ] && has "$W/requests.log" "GET /enwik8.zip bytes=$cut-" && cmp -s "$D3/enwik8/enwik8" "$W/fix/enwik8"'

# ---- 7. bad checksums ------------------------------------------------------------------------------
zeros=0000000000000000000000000000000000000000000000000000000000000000
D4=$W/d4
sed "s/^enwik8.zip sha256 .*/enwik8.zip sha256 $zeros/" "$W/manifest" >"$W/bad-zip"
MANIFEST=$W/bad-zip fetch "$D4" "$W/bad1.out" enwik8
rc=$?
check "a wrong archive hash: exit 1, the message names the file, the expected and the actual hash" \
    eval '[ "$rc" -eq 1 ] && has "$W/bad1.out" "enwik8.zip: sha256 mismatch: expected $zeros, got $(hash_of enwik8.zip)"'
check "... and the download is deleted: no final file, no archive, no .part" \
    eval 'absent "$D4/enwik8" && absent "$D4/.fetch/enwik8.zip" && no_parts "$D4"'
D5=$W/d5
sed "s|^enwik8/enwik8 sha256 .*|enwik8/enwik8 sha256 $zeros|" "$W/manifest" >"$W/bad-unpacked"
MANIFEST=$W/bad-unpacked fetch "$D5" "$W/bad2.out" enwik8
rc=$?
check "a wrong hash of the unpacked file: exit 1 naming it, no enwik8/ folder, no unpack folder left" \
    eval '[ "$rc" -eq 1 ] && has "$W/bad2.out" "enwik8 (unpacked): sha256 mismatch: expected $zeros" &&
          absent "$D5/enwik8" && no_parts "$D5"'
D6=$W/d6
sed "s/^kodak sha1 .*/kodak sha1 0000000000000000000000000000000000000000/" "$W/manifest" >"$W/bad-kodak"
MANIFEST=$W/bad-kodak fetch "$D6" "$W/bad3.out" kodak
rc=$?
check "the 24 images do not match the set's hash: exit 1, no kodak/ folder, the staged images deleted" \
    eval '[ "$rc" -eq 1 ] && has "$W/bad3.out" "kodak (kodim01..24.png): sha1 mismatch" &&
          absent "$D6/kodak" && absent "$D6/.fetch/kodak"'

# ---- 8. the server is gone ----------------------------------------------------------------------------
stop_server
D7=$W/d7
fetch "$D7" "$W/gone.out" enwik8 kodak
rc=$?
check "the server is gone (connection refused): exit 1, a clear message with the URL, for every dataset asked" \
    eval '[ "$rc" -eq 1 ] && has "$W/gone.out" "cannot connect to the server of $BASE/enwik8.zip" &&
          has "$W/gone.out" "cannot connect to the server of $BASE/kodim01.png" && has "$W/gone.out" "FAILED: enwik8 kodak"'
check "... and nothing is installed or left as if complete" \
    eval 'absent "$D7/enwik8" && absent "$D7/kodak" && no_parts "$D7" && absent "$D7/.fetch/enwik8.zip"'

if [ "$FAILS" -eq 0 ]; then echo "all checks passed"; exit 0; fi
echo "$FAILS check(s) failed"
exit 1
