#!/usr/bin/env bash
# check_install.sh : the install tests (test/install/CMakeLists.txt registers one ctest test per
# step). Every step but `install` reads the prefix that `install` filled; each says what it proves
# and fails with the reason.
#
#   check_install.sh install  BUILD PREFIX   cmake --install BUILD --prefix PREFIX, then the layout
#   check_install.sh exports                 liblmc.so exports the public API and nothing else
#   check_install.sh pkgconfig               roundtrip.c via `cc $(pkg-config --cflags --libs lmc)`
#   check_install.sh pkgconfig-static        the same with liblmc.a and `pkg-config --static`
#   check_install.sh cmake                   roundtrip.c via find_package(lmc): lmc::lmc, lmc_static
#   check_install.sh manpage                 share/man/man1/lmc.1 renders and holds every --help
#   check_install.sh program                 the installed bin/lmc runs on its own
#
# Environment (set by the ctest registration): LMC_PREFIX, LMC_LIBDIR (GNUInstallDirs' libdir,
# relative to the prefix: lib or lib/<multiarch>), LMC_VERSION, LMC_WORK (a scratch folder for
# this step), CC (the compiler of the lmc build), LMC_BUILD_TYPE, LMC_SOURCE_DIR, LMC_EXPORTS_MAP
# (the version script of liblmc.so in the build).
set -euo pipefail

step=$1
here=$(cd "$(dirname "$0")" && pwd)

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

prefix=${LMC_PREFIX:?} libdir_rel=${LMC_LIBDIR:?} version=${LMC_VERSION:?}
libdir=$prefix/$libdir_rel
major=${version%%.*}
work=${LMC_WORK:-}

fresh_work() {
  [ -n "$work" ] || fail "LMC_WORK is not set"
  rm -rf "$work"
  mkdir -p "$work"
}

# links_installed_shared EXE : EXE loads liblmc.so.MAJOR from the prefix (not a copy elsewhere).
links_installed_shared() {
  local where
  where=$(ldd "$1" | awk -v so="liblmc.so.$major" '$1 == so { print $3 }')
  [ -n "$where" ] || fail "$1 does not load liblmc.so.$major: $(ldd "$1")"
  [ "$(realpath "$where")" = "$(realpath "$libdir/liblmc.so.$version")" ] ||
    fail "$1 loads $where, not the installed $libdir/liblmc.so.$version"
}

# links_static EXE : EXE holds liblmc itself: no liblmc.so among what it needs.
links_static() {
  if readelf -d "$1" | grep -q 'NEEDED.*liblmc'; then fail "$1 needs liblmc.so: it was not linked statically"; fi
}

case "$step" in
install)
  # Proves: `cmake --install` of a finished build puts the program, both libraries (the shared one
  # with its versioned SONAME and links), the headers, lmc.pc, lmcConfig.cmake and the man page
  # where README "Installing" says.
  build=${2:?} dest=${3:?}
  [ "$dest" = "$prefix" ] || fail "the prefix argument differs from LMC_PREFIX"
  rm -rf "$prefix"
  cmake --install "$build" --prefix "$prefix" >/dev/null || fail "cmake --install $build failed"
  for f in bin/lmc "$libdir_rel/liblmc.so.$version" "$libdir_rel/liblmc.a" "$libdir_rel/pkgconfig/lmc.pc" \
           "$libdir_rel/cmake/lmc/lmcConfig.cmake" "$libdir_rel/cmake/lmc/lmcConfigVersion.cmake" \
           "$libdir_rel/cmake/lmc/lmcTargets.cmake" "$libdir_rel/cmake/lmc/lmcStaticTargets.cmake" \
           share/man/man1/lmc.1 include/lmc/lmc.h; do
    [ -f "$prefix/$f" ] || fail "$f is not installed"
  done
  [ -x "$prefix/bin/lmc" ] || fail "bin/lmc is not executable"
  for h in "${LMC_SOURCE_DIR:?}"/include/lmc/*.h; do
    cmp -s "$h" "$prefix/include/lmc/$(basename "$h")" || fail "include/lmc/$(basename "$h") is not the source's"
  done
  [ "$(readlink "$libdir/liblmc.so.$major")" = "liblmc.so.$version" ] || fail "liblmc.so.$major is not a link to liblmc.so.$version"
  [ "$(readlink "$libdir/liblmc.so")" = "liblmc.so.$major" ] || fail "liblmc.so is not a link to liblmc.so.$major"
  soname=$(readelf -d "$libdir/liblmc.so.$version" | sed -n 's/.*SONAME.*\[\(.*\)\].*/\1/p')
  [ "$soname" = "liblmc.so.$major" ] || fail "the SONAME of liblmc.so.$version is '$soname', not liblmc.so.$major"
  ok "installed under $prefix; liblmc.so.$version has SONAME $soname"
  (cd "$prefix" && find . -mindepth 1 \( -type f -o -type l \) ! -path './include/*' | sort)
  echo "  ./include/lmc/: $(cd "$prefix/include/lmc" && echo *.h)"
  ;;

exports)
  # Proves: liblmc.so exports every function the public headers declare (as listed by
  # cmake/lmc_exports.cmake: one declared but defined in no part of liblmc is caught here, since
  # the linker skips it silently) and every public function liblmc.a defines, and nothing that is
  # not named in the installed headers (the runtime's internals stay local: the version script).
  fresh_work
  nm -D --defined-only "$libdir/liblmc.so.$version" | awk '$2 ~ /^[TDRBVW]$/ { print $3 }' | sed 's/@.*//' |
    sort -u >"$work/exported"
  grep -ohw 'lmc_[a-z0-9_]*' "$prefix"/include/lmc/*.h | sort -u >"$work/named"
  nm --defined-only "$libdir/liblmc.a" 2>/dev/null | awk '$2 == "T" { print $3 }' | sort -u >"$work/defined"
  comm -12 "$work/defined" "$work/named" >"$work/public"
  leaked=$(comm -23 "$work/exported" "$work/named")
  [ -z "$leaked" ] || fail "liblmc.so exports symbols the headers do not name: $(echo "$leaked" | tr '\n' ' ')"
  missing=$(comm -23 "$work/public" "$work/exported")
  [ -z "$missing" ] || fail "liblmc.so does not export these public functions: $(echo "$missing" | tr '\n' ' ')"
  sed -n 's/^ *\(lmc_[a-z0-9_]*\);$/\1/p' "${LMC_EXPORTS_MAP:?}" | sort -u >"$work/declared"
  [ "$(wc -l <"$work/declared")" -ge 20 ] || fail "$LMC_EXPORTS_MAP lists fewer than 20 functions"
  undefined=$(comm -23 "$work/declared" "$work/exported")
  [ -z "$undefined" ] || fail "the headers declare functions liblmc.so does not define: $(echo "$undefined" | tr '\n' ' ')"
  hidden=$(comm -23 "$work/defined" "$work/named" | wc -l)
  [ "$hidden" -gt 0 ] || fail "liblmc.a defines no internal function: the check above proved nothing"
  ok "liblmc.so exports the $(wc -l <"$work/declared") declared functions and hides liblmc.a's $hidden internal ones"
  ;;

pkgconfig)
  # Proves: lmc.pc gives the flags to compile and link a program against liblmc.so (warning-free
  # headers, C11), that program loads the installed library and round-trips through the public API
  # with the built-in model that liblmc carries.
  fresh_work
  export PKG_CONFIG_PATH=$libdir/pkgconfig
  [ "$(pkg-config --modversion lmc)" = "$version" ] || fail "pkg-config --modversion lmc is not $version"
  pc_libdir=$(pkg-config --variable=libdir lmc)
  [ "$(realpath "$pc_libdir")" = "$(realpath "$libdir")" ] || fail "lmc.pc's libdir $pc_libdir is not $libdir"
  flags=$(pkg-config --cflags --libs lmc) || fail "pkg-config --cflags --libs lmc failed"
  echo "pkg-config --cflags --libs lmc: $flags"
  # shellcheck disable=SC2086 # the flags are words
  "${CC:-cc}" -std=c11 -Wall -Wextra -Werror "$here/roundtrip.c" -o "$work/roundtrip" $flags "-Wl,-rpath,$pc_libdir" ||
    fail "cc roundtrip.c \$(pkg-config --cflags --libs lmc) failed"
  links_installed_shared "$work/roundtrip"
  "$work/roundtrip" default || fail "roundtrip (pkg-config, shared) failed"
  ok "pkg-config --cflags --libs lmc: built, loads $libdir/liblmc.so.$major, round trip identical"
  ;;

pkgconfig-static)
  # Proves: `pkg-config --static` lists everything liblmc.a needs (Requires.private,
  # Libs.private): the program links liblmc.a and round-trips, and links again with every member
  # of liblmc.a forced in (--whole-archive), so no part of the library lacks an outside library.
  fresh_work
  export PKG_CONFIG_PATH=$libdir/pkgconfig
  libs=$(pkg-config --static --libs lmc) || fail "pkg-config --static --libs lmc failed"
  echo "pkg-config --static --libs lmc: $libs"
  # liblmc.a itself, by path: -llmc would take liblmc.so, which lies in the same folder.
  case " $libs " in *" -llmc "*) ;; *) fail "pkg-config --static --libs lmc has no -llmc";; esac
  plain=$(echo " $libs " | sed "s| -llmc | $libdir/liblmc.a |")
  whole=$(echo " $libs " | sed "s| -llmc | -Wl,--whole-archive $libdir/liblmc.a -Wl,--no-whole-archive |")
  # shellcheck disable=SC2086,SC2046 # the flags are words
  "${CC:-cc}" -std=c11 -Wall -Wextra -Werror "$here/roundtrip.c" -o "$work/roundtrip" $(pkg-config --cflags lmc) $plain ||
    fail "linking roundtrip.c with liblmc.a and \$(pkg-config --static --libs lmc) failed"
  # shellcheck disable=SC2086,SC2046
  "${CC:-cc}" -std=c11 -Wall -Wextra -Werror "$here/roundtrip.c" -o "$work/roundtrip-whole" $(pkg-config --cflags lmc) $whole ||
    fail "linking all of liblmc.a (--whole-archive) with \$(pkg-config --static --libs lmc) failed: a library is missing"
  # Negative control: all of liblmc.a without the private libraries must fail to link.
  # shellcheck disable=SC2046
  if "${CC:-cc}" "$here/roundtrip.c" -o "$work/roundtrip-bare" $(pkg-config --cflags lmc) \
       -Wl,--whole-archive "$libdir/liblmc.a" -Wl,--no-whole-archive >"$work/bare.log" 2>&1; then
    fail "negative control: all of liblmc.a linked without its private libraries"
  fi
  grep -q 'undefined reference' "$work/bare.log" || { cat "$work/bare.log"; fail "negative control failed for another reason"; }
  links_static "$work/roundtrip"
  links_static "$work/roundtrip-whole"
  "$work/roundtrip" default || fail "roundtrip (pkg-config, static) failed"
  "$work/roundtrip-whole" default >/dev/null || fail "roundtrip (pkg-config, static, whole archive) failed"
  ok "pkg-config --static --libs lmc: liblmc.a linked (also whole), round trip identical"
  ;;

cmake)
  # Proves: find_package(lmc) with CMAKE_PREFIX_PATH=<prefix> finds this install (the version
  # file accepts $version), lmc::lmc links liblmc.so and lmc::lmc_static liblmc.a with their
  # outside libraries (also with every member of liblmc.a forced in), and the programs round-trip.
  fresh_work
  cmake -S "$here/consumer" -B "$work" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="${CC:-cc}" \
    -DCMAKE_BUILD_TYPE="${LMC_BUILD_TYPE:-Release}" -DLMC_EXPECT_PREFIX="$prefix" -DLMC_EXPECT_VERSION="$version" \
    >"$work.configure.log" 2>&1 || { cat "$work.configure.log"; fail "configuring the find_package(lmc) project failed"; }
  grep 'lmc .* from' "$work.configure.log" || true
  cmake --build "$work" >"$work.build.log" 2>&1 || { cat "$work.build.log"; fail "building the find_package(lmc) project failed"; }
  links_installed_shared "$work/roundtrip_shared"
  links_static "$work/roundtrip_static"
  links_static "$work/roundtrip_static_whole"
  "$work/roundtrip_shared" default || fail "roundtrip_shared (lmc::lmc) failed"
  "$work/roundtrip_static" default || fail "roundtrip_static (lmc::lmc_static) failed"
  "$work/roundtrip_static_whole" default >/dev/null || fail "roundtrip_static_whole (lmc::lmc_static, whole) failed"
  rm -f "$work.configure.log" "$work.build.log"
  ok "find_package(lmc): lmc::lmc and lmc::lmc_static built, round trips identical"
  ;;

manpage)
  # Proves: the installed man page is a valid man(7) page (groff renders it without a warning)
  # and shows every line of `lmc --help` and of each `lmc <command> --help`, as the installed
  # program prints them: the page and the help cannot have drifted apart. Negative control: the
  # page less one line of `lmc compress --help` fails the same check.
  fresh_work
  page=$prefix/share/man/man1/lmc.1
  lmc=$prefix/bin/lmc
  [ -s "$page" ] || fail "$page is missing or empty"
  command -v groff >/dev/null || fail "groff is needed to render the man page (Debian: groff-base; scripts/install-deps.sh installs it)"
  warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1) || fail "groff failed on lmc.1: $warnings"
  [ -z "$warnings" ] || fail "groff warns on lmc.1: $warnings"
  render() { groff -man -Tutf8 -P-cbou "$1" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//'; }
  render "$page" >"$work/page.txt"
  grep -q '^lmc - ' "$work/page.txt" || fail "lmc.1 has no NAME line 'lmc - ...'"
  commands=$("$lmc" --help | awk '/^Commands:$/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }')
  [ -n "$commands" ] || fail "'lmc --help' lists no command"
  checked=0
  # has_help RENDERED ARGS... : every line of `lmc ARGS... --help` is a line of RENDERED (else
  # the first missing line is in $missing and the result is 1).
  has_help() {
    local rendered=$1 line
    shift
    while IFS= read -r line; do
      line=$(echo "$line" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
      [ -z "$line" ] && continue
      grep -Fxq -- "$line" "$rendered" || { missing="'lmc $* --help': $line"; return 1; }
      checked=$((checked + 1))
    done < <("$lmc" "$@" --help)
  }
  has_help "$work/page.txt" || fail "lmc.1 lacks this line of $missing"
  for c in $commands; do
    grep -Fxq "lmc $c" "$work/page.txt" || fail "lmc.1 has no section for 'lmc $c'"
    has_help "$work/page.txt" "$c" || fail "lmc.1 lacks this line of $missing"
  done
  has_help "$work/page.txt" bench coding || fail "lmc.1 lacks this line of $missing"
  n_lines=$checked
  grep -v '^Usage: lmc compress' "$page" >"$work/less.1"
  render "$work/less.1" >"$work/less.txt"
  if has_help "$work/less.txt" compress; then fail "negative control: a page without the Usage line of 'lmc compress --help' passed"; fi
  ok "lmc.1 renders cleanly and holds all $n_lines lines of 'lmc --help' and of its $(echo "$commands" | wc -w) commands' --help (negative control caught $missing)"
  ;;

program)
  # Proves: the installed bin/lmc runs from the prefix alone, is the version installed, needs no
  # liblmc.so (the layers are linked in), and compresses and decompresses a file with the built-in
  # default model (inside the binary) on cpu-ref, bit for bit.
  fresh_work
  lmc=$prefix/bin/lmc
  [ "$("$lmc" --version)" = "lmc $version" ] || fail "bin/lmc --version is '$("$lmc" --version)', not 'lmc $version'"
  links_static "$lmc"
  head -c 700 "${LMC_SOURCE_DIR:?}/README.md" >"$work/in.txt"
  (cd "$work" && "$lmc" compress -q -m default --device cpu-ref in.txt -o in.txt.lmc) || fail "bin/lmc compress failed"
  (cd "$work" && "$lmc" decompress -q --device cpu-ref in.txt.lmc -o out.txt) || fail "bin/lmc decompress failed"
  cmp "$work/in.txt" "$work/out.txt" || fail "bin/lmc's round trip differs"
  ok "bin/lmc $version: $(wc -c <"$work/in.txt") -> $(wc -c <"$work/in.txt.lmc") bytes with the built-in default, round trip identical"
  ;;

*)
  fail "unknown step '$step'"
  ;;
esac
