#!/usr/bin/env bash
# fetch-data.sh : download the paper's public corpora from their official URLs, verify them and
# unpack them where `lmc eval --dataset NAME` reads them.
#
#   scripts/fetch-data.sh NAME...      NAME: enwik8, enwik9, librispeech-test-clean, kodak, all
#
# Writes to $LMC_DATA_DIR, else $XDG_DATA_HOME/lmc/data (XDG_DATA_HOME set), else
# ~/.local/share/lmc/data:
#   enwik8/enwik8                       text, 100,000,000 bytes   (lmc eval --dataset enwik8)
#   enwik9/enwik9                       text, 1,000,000,000 bytes (lmc eval --dataset enwik9)
#   librispeech-test-clean/test-clean/  LibriSpeech test-clean, FLAC (--dataset librispeech-test-clean)
#   kodak/kodim01.png .. kodim24.png    the Kodak photos (lmc eval --dataset kodak)
# Downloads go to DIR/.fetch/NAME.part (curl resumes a .part left by an interrupted run), are
# verified, then renamed; archives are unpacked into a temporary folder under DIR/.fetch, the
# unpacked bytes verified, and the folder renamed into place, so a dataset folder only ever
# appears whole and verified. A run with everything present verifies it and downloads nothing.
#
# Environment (the test suite uses these to serve small files from 127.0.0.1):
#   LMC_DATA_DIR         the data folder (see above)
#   LMC_FETCH_BASE_URL   fetch every file from $LMC_FETCH_BASE_URL/FILE instead of its official URL
#   LMC_FETCH_MANIFEST   a file of "KEY ALGO HEX" lines (the format of CHECKS below); each KEY it
#                        names replaces the built-in checks of that KEY
#   LMC_FETCH_RETRIES    curl --retry count for transient errors (default 3)
# Exit status: 0 all requested datasets present and verified; 1 a download, check or unpack
# failed (the message names the file); 2 bad usage or a missing tool.
set -euo pipefail

prog=fetch-data

# ---- what is verified, and where each hash comes from --------------------------------------
# KEY: the file (or, for kodak, the files in order) the hash is of. Every hash below is copied
# from the source named; none was computed by this project, which had no network to download
# the real files, so a first real run is also the first check of these values.
#  enwik8.zip sha256: huggingface/datasets, datasets/enwik8/dataset_infos.json
#    ("download_checksums" of http://mattmahoney.net/dc/enwik8.zip, 36,445,475 bytes).
#  enwik8 sha256: the full enwik8's, as recorded when this project's corpora were prepared;
#    several public download scripts pair it with the enwik8.zip hash above.
#  enwik9.zip md5: pytorch/text, torchtext/datasets/enwik9.py (MD5 of
#    http://mattmahoney.net/dc/enwik9.zip). enwik9.zip sha256: two independent public repositories
#    that pin the same value (322,592,222 bytes), checked as well.
#  enwik9 sha256: stated for the canonical 1,000,000,000-byte enwik9 by many public Hutter Prize
#    projects (MD5 e206c3450ac99950df65bf70ef61a12d, Matt Mahoney's published value, with it).
#  test-clean.tar.gz sha256: pytorch/audio, torchaudio/datasets/librispeech.py (_CHECKSUMS of
#    http://www.openslr.org/resources/12/test-clean.tar.gz).
#  kodak: no per-image hash is published. facebookresearch/NeuralCompression,
#    neuralcompression/data/kodak.py, publishes the SHA-1 of kodim01.png .. kodim24.png read in
#    order as one stream; the images are checked together against it, and only the whole set is
#    installed. The unpacked LibriSpeech files have no published hashes: they are checked through
#    the archive, and their SHA-256s, taken from the verified archive, are recorded in
#    librispeech-test-clean/.lmc-fetch.sha256 for later runs to check against.
CHECKS='
enwik8.zip         sha256 547994d9980ebed1288380d652999f38a14fe291a6247c157c3d33d4932534bc
enwik8/enwik8      sha256 2b49720ec4d78c3c9fabaee6e4179a5e997302b3a70029f30f2d582218c024a8
enwik9.zip         md5    3e773f8a1577fda2e27f871ca17f31fd
enwik9.zip         sha256 99cdb5ac84392252d3f0912ccedd195bc95bd80cbef3b0cdf2eee4ad9a3b7a51
enwik9/enwik9      sha256 159b85351e5f76e60cbe32e04c677847a9ecba3adc79addab6f4c6c7aa3744bc
test-clean.tar.gz  sha256 39fde525e59672dc6d1551919b1478f724438a95aa55f874b576be21967e6c23
kodak              sha1   076e2a5fd4515b5fda677f15fe63dd112d266bc5
'

# Official locations. The Kodak images sit one "kodak/" deeper than their HTML pages
# (http://r0k.us/graphics/kodak/kodimNN.html shows .../kodak/kodak/kodimNN.png).
ENWIK_BASE=http://mattmahoney.net/dc
LIBRISPEECH_BASE=https://www.openslr.org/resources/12
KODAK_BASE=http://r0k.us/graphics/kodak/kodak

ALL_NAMES=(enwik8 enwik9 librispeech-test-clean kodak)

usage() {
    cat <<EOF
Usage: scripts/fetch-data.sh NAME...
Download, verify and unpack the paper's public corpora for 'lmc eval --dataset NAME'.
NAME: enwik8 (36 MB download), enwik9 (323 MB), librispeech-test-clean (346 MB),
      kodak (15 MB), all (every one).
Into \$LMC_DATA_DIR, else \$XDG_DATA_HOME/lmc/data, else ~/.local/share/lmc/data.
Interrupted downloads resume; a second run verifies what is there and downloads nothing.
See the comments at the top of this script for the hashes checked and their sources.
EOF
}

say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { say "$*"; exit 1; }

# ---- hashes ----------------------------------------------------------------------------------
# checks_for KEY : "ALGO HEX" lines for KEY, from $LMC_FETCH_MANIFEST when it names KEY.
checks_for() {
    local key=$1 table=$CHECKS
    if [ -n "${LMC_FETCH_MANIFEST:-}" ]; then
        [ -r "$LMC_FETCH_MANIFEST" ] || die "LMC_FETCH_MANIFEST=$LMC_FETCH_MANIFEST is not a readable file"
        if awk -v k="$key" '$1 == k { found = 1 } END { exit !found }' "$LMC_FETCH_MANIFEST"; then
            table=$(cat "$LMC_FETCH_MANIFEST")
        fi
    fi
    printf '%s\n' "$table" | awk -v k="$key" '$1 == k { print $2, $3 }'
}

# digest ALGO FILE... : the ALGO digest of the files read in order as one stream.
digest() {
    local algo=$1
    shift
    cat -- "$@" | "${algo}sum" | awk '{ print $1 }'
}

# verify KEY LABEL FILE... : check the files against every hash of KEY; say what matched, or
# name LABEL with the expected and actual hash and return 1.
verify() {
    local key=$1 label=$2 algo want got checks
    shift 2
    checks=$(checks_for "$key")
    [ -n "$checks" ] || die "no hash is stated for $key (a bug in this script or LMC_FETCH_MANIFEST)"
    while read -r algo want; do
        case $algo in
        sha256 | sha1 | md5) ;;
        *) die "$key: unknown hash algorithm '$algo' (sha256, sha1 or md5)" ;;
        esac
        got=$(digest "$algo" "$@")
        if [ "$got" != "$want" ]; then
            say "$label: $algo mismatch: expected $want, got $got"
            return 1
        fi
        say "$label: $algo ok ($want)"
    done <<<"$checks"
}

# ---- downloads -------------------------------------------------------------------------------
url_for() { # url_for FILE OFFICIAL_BASE
    printf '%s/%s\n' "${LMC_FETCH_BASE_URL:-$2}" "$1"
}

# fetch URL PART : curl URL into PART, resuming what PART holds. Fails with the reason.
fetch() {
    local url=$1 part=$2 rc=0 code
    local args=(--fail --location --show-error --connect-timeout 30 --write-out '%{http_code}'
        --retry "${LMC_FETCH_RETRIES:-3}" --continue-at - --output "$part")
    if [ -t 2 ]; then args+=(--progress-bar); else args+=(--silent); fi
    code=$(curl "${args[@]}" "$url") || rc=$?
    case $rc in
    0) return 0 ;;
    22) # 416 to a resume: PART already holds the whole file (its hash decides)
        if [ "$code" = 416 ] && [ -s "$part" ]; then
            say "$url: the server has nothing past byte $(wc -c <"$part") (HTTP 416): the part is whole; checking it"
            return 0
        fi
        ;;
    33) # the server ignores Range: start again from nothing
        say "$url: the server cannot resume; downloading from the start"
        rm -f -- "$part"
        rc=0
        code=$(curl "${args[@]}" "$url") || rc=$?
        [ "$rc" -eq 0 ] && return 0
        ;;
    esac
    case $rc in
    6) say "cannot resolve the host of $url (curl exit 6); check the network or LMC_FETCH_BASE_URL" ;;
    7) say "cannot connect to the server of $url (curl exit 7: refused or unreachable); check the network or LMC_FETCH_BASE_URL" ;;
    18) say "the transfer of $url ended early (curl exit 18: the server sent less than it announced)" ;;
    22) say "the server refused $url (curl exit 22: an HTTP error, see curl's message above)" ;;
    28) say "the transfer of $url timed out (curl exit 28)" ;;
    *) say "downloading $url failed (curl exit $rc)" ;;
    esac
    if [ -s "$part" ]; then
        say "the partial download is kept as $part (never used as is); the next run resumes it"
    else
        rm -f -- "$part"
    fi
    return 1
}

# download URL DEST KEY : DEST complete and, when KEY is not empty, verified against KEY; via
# DEST.part, renamed to DEST only after curl finished and the hashes matched. A mismatch deletes
# the part (after a resumed transfer, one fresh try first) and fails.
download() {
    local url=$1 dest=$2 key=$3 part="$2.part" label
    label=$(basename -- "$dest")
    if [ -f "$dest" ]; then # downloaded and checked by an earlier run that stopped before unpacking
        if [ -z "$key" ] || verify "$key" "$label" "$dest"; then return 0; fi
        rm -f -- "$dest"
    fi
    local tries=1
    [ -s "$part" ] && tries=2 && say "$label: resuming the download at byte $(wc -c <"$part")"
    [ -s "$part" ] || say "$label: downloading $url"
    while :; do
        fetch "$url" "$part" || die "$label: download failed; nothing was installed"
        if [ -z "$key" ] || verify "$key" "$label" "$part"; then
            mv -f -- "$part" "$dest"
            return 0
        fi
        rm -f -- "$part"
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || die "$label from $url does not match its published hash; the download was deleted and nothing was installed"
        say "$label: the resumed download does not verify; downloading it again from the start"
    done
}

# ---- unpacking -------------------------------------------------------------------------------
TMPDIRS=()
cleanup() {
    local d
    for d in "${TMPDIRS[@]+"${TMPDIRS[@]}"}"; do rm -rf -- "$d"; done
}
new_tmp() { # new_tmp NAME : TMP = a fresh folder under the staging area, removed at the end
    TMP=$(mktemp -d "$STAGE/$1.unpack.XXXXXX")
    chmod 755 "$TMP"
    TMPDIRS+=("$TMP")
}

install_enwik() { # install_enwik enwik8|enwik9
    local name=$1 final="$DATA/$1" zip="$STAGE/$1.zip" tmp
    if [ -e "$final" ]; then
        if [ -f "$final/$name" ] && verify "$name/$name" "$name/$name" "$final/$name"; then
            say "$name: already present and verified in $final; nothing downloaded"
            return 0
        fi
        die "$final exists but $final/$name is missing or does not verify; move $final away and run again"
    fi
    download "$(url_for "$name.zip" "$ENWIK_BASE")" "$zip" "$name.zip"
    new_tmp "$name"
    tmp=$TMP
    unzip -q "$zip" "$name" -d "$tmp" || die "$name.zip: unzip failed or it holds no member '$name'"
    if ! verify "$name/$name" "$name (unpacked)" "$tmp/$name"; then
        rm -f -- "$zip"
        die "$name: the unpacked file does not match its published hash; deleted, nothing installed"
    fi
    mv -T -- "$tmp" "$final"
    rm -f -- "$zip"
    say "$name: installed $final/$name"
}

install_librispeech() {
    local name=librispeech-test-clean final="$DATA/librispeech-test-clean" tgz="$STAGE/test-clean.tar.gz" tmp
    local manifest=.lmc-fetch.sha256
    if [ -e "$final" ]; then
        if [ -f "$final/$manifest" ] && (cd "$final" && sha256sum --quiet --strict -c "$manifest" >&2); then
            say "$name: already present in $final, every file matching the SHA-256 recorded from the verified archive; nothing downloaded"
            return 0
        fi
        die "$final exists but is incomplete or does not match $final/$manifest; move $final away and run again"
    fi
    download "$(url_for test-clean.tar.gz "$LIBRISPEECH_BASE")" "$tgz" test-clean.tar.gz
    new_tmp "$name"
    tmp=$TMP
    tar -xzf "$tgz" -C "$tmp" --no-same-owner || die "test-clean.tar.gz: tar failed"
    [ -d "$tmp/LibriSpeech/test-clean" ] || die "test-clean.tar.gz holds no LibriSpeech/test-clean/ folder"
    (cd "$tmp/LibriSpeech" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum >"$tmp/manifest") ||
        die "test-clean.tar.gz: cannot hash the unpacked files"
    mv -f -- "$tmp/manifest" "$tmp/LibriSpeech/$manifest"
    mv -T -- "$tmp/LibriSpeech" "$final"
    rm -f -- "$tgz"
    say "$name: installed $final ($(grep -c '\.flac$' "$final/$manifest" || true) FLAC files)"
}

install_kodak() {
    local final="$DATA/kodak" stage="$STAGE/kodak" files=() f i
    for i in $(seq -w 1 24); do files+=("kodim$i.png"); done
    if [ -e "$final" ]; then
        for f in "${files[@]}"; do
            [ -f "$final/$f" ] || die "$final exists but has no $f; move $final away and run again"
        done
        if verify kodak "kodak (kodim01..24.png)" "${files[@]/#/$final/}"; then
            say "kodak: already present and verified in $final; nothing downloaded"
            return 0
        fi
        die "$final does not match the published hash of the 24 images; move $final away and run again"
    fi
    mkdir -p "$stage"
    for f in "${files[@]}"; do
        download "$(url_for "$f" "$KODAK_BASE")" "$stage/$f" ""
    done
    if ! verify kodak "kodak (kodim01..24.png)" "${files[@]/#/$stage/}"; then
        rm -rf -- "$stage"
        die "kodak: the 24 images do not match their published hash (which image is wrong cannot be told); they were deleted and nothing was installed"
    fi
    mv -T -- "$stage" "$final"
    say "kodak: installed $final (24 images)"
}

# ---- main ------------------------------------------------------------------------------------
[ $# -gt 0 ] || { usage >&2; exit 2; }
names=()
for a in "$@"; do
    case $a in
    -h | --help) usage; exit 0 ;;
    all) names+=("${ALL_NAMES[@]}") ;;
    enwik8 | enwik9 | librispeech-test-clean | kodak) names+=("$a") ;;
    *) say "unknown dataset '$a'"; usage >&2; exit 2 ;;
    esac
done

need=(curl sha256sum sha1sum md5sum awk)
for n in "${names[@]}"; do
    case $n in
    enwik*) need+=(unzip) ;;
    librispeech-test-clean) need+=(tar gzip) ;;
    esac
done
for t in "${need[@]}"; do
    command -v "$t" >/dev/null 2>&1 ||
        { say "needs '$t' (Debian package: $t; scripts/install-deps.sh installs it)"; exit 2; }
done

xdg=${XDG_DATA_HOME:-}
if [ -n "${LMC_DATA_DIR:-}" ]; then
    DATA=$LMC_DATA_DIR
elif [ "${xdg#/}" != "$xdg" ]; then # an absolute XDG_DATA_HOME (a relative one is invalid)
    DATA=$xdg/lmc/data
else
    [ -n "${HOME:-}" ] || { say "set LMC_DATA_DIR or HOME"; exit 2; }
    DATA=$HOME/.local/share/lmc/data
fi
STAGE=$DATA/.fetch
mkdir -p "$STAGE"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$STAGE/lock"
    flock -n 9 || die "another fetch-data.sh is working in $DATA; wait for it to finish"
fi
say "data folder: $DATA"

# Each dataset in its own subshell: one that fails (its message says why) leaves the others to
# be fetched. set +e around it, so that set -e holds inside (bash ignores -e in a subshell
# that is the left side of ||).
failed=() done_names=()
for n in "${names[@]}"; do
    case " ${done_names[*]+"${done_names[*]}"} ${failed[*]+"${failed[*]}"} " in *" $n "*) continue ;; esac
    set +e
    (
        set -e
        trap cleanup EXIT
        case $n in
        enwik8 | enwik9) install_enwik "$n" ;;
        librispeech-test-clean) install_librispeech ;;
        kodak) install_kodak ;;
        esac
    )
    rc=$?
    set -e
    if [ "$rc" -eq 0 ]; then done_names+=("$n"); else failed+=("$n"); fi
done
if [ ${#failed[@]} -gt 0 ]; then
    say "FAILED: ${failed[*]} (see above); nothing of those was installed; run again to resume"
    exit 1
fi
say "ready in $DATA: ${done_names[*]}; e.g. lmc eval --compressor gzip --dataset ${done_names[0]}"
