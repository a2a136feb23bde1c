#!/usr/bin/env bash
# test_docs_in_repo.sh SOURCE_DIR : the project stands on its own (issue 17). Proves that no
# tracked file points a reader at a document outside the repository (the design, paper, style
# and data-manifest notes of the planning folder beside a checkout, which users do not have),
# that every Markdown link of README.md resolves to a file in the repository, and that LICENSE,
# CONTRIBUTING.md, docs/DESIGN.md and docs/PAPER.md exist.
# Control: the same patterns must find a planted pointer, so an empty result means something.
# Exits 77 (skip) outside a git checkout.
set -u
src=$1
cd "$src" || exit 1
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "not a git checkout: skipped"; exit 77; }
status=0
# Built from parts, so that this script does not itself contain the pointers it looks for.
outside_dir=shared
up='\.\.'
patterns=()
for doc in DESIGN PAPER STYLE data/MANIFEST; do patterns+=(-e "$up/$outside_dir/$doc"); done
patterns+=(-e "$outside_dir/data/MANIFEST" -e "steer""ing[ ]repo")

if hits=$(git grep -n "${patterns[@]}" -- ':!test/scripts/test_docs_in_repo.sh'); then
  echo "FAIL: pointers to documents outside the repository:"; echo "$hits"; status=1
else
  echo "ok: no pointer to a document outside the repository"
fi
# Control: the patterns catch planted pointers.
parent=..
for planted in "see [DESIGN.md]($parent/$outside_dir/DESIGN.md)" "hashes: \`$outside_dir/data/MANIFEST.md\`"; do
  if printf '%s\n' "$planted" | grep -q "${patterns[@]}"; then
    echo "ok: control: a planted pointer is found: $planted"
  else
    echo "FAIL: control: the patterns miss a planted pointer: $planted"; status=1
  fi
done
for f in LICENSE CONTRIBUTING.md docs/DESIGN.md docs/PAPER.md; do
  [ -s "$f" ] && echo "ok: $f exists" || { echo "FAIL: $f missing"; status=1; }
done
# Every relative Markdown link target of README.md exists in the repository.
while IFS= read -r target; do
  path=${target%%#*}
  [ -z "$path" ] && continue
  case $path in http://*|https://*|mailto:*) continue ;; esac
  [ -e "$path" ] && echo "ok: README links $path" || { echo "FAIL: README links $path, which is not in the repository"; status=1; }
done < <(grep -o '](\([^)]*\))' README.md | sed 's/^](//; s/)$//')
exit $status
