#!/usr/bin/env bash
# Seeds the fuzz corpora (fuzz/corpus/<target>/, not committed) from the example
# inventories and the bad programs of tests/errors/, and writes the dictionary
# fuzz/carbon.dict (fuzz/dict.sh). Run from anywhere:
#   bash fuzz/seed.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
for target in parse parse_diff check evaluate threads; do
  dir="$here/corpus/$target"
  mkdir -p "$dir"
  for f in "$root"/examples/*.carbon "$root"/tests/errors/*.carbon; do
    [ -e "$f" ] || continue
    case "$f" in
      */examples/*) name="example_$(basename "$f")" ;;
      *) name="error_$(basename "$f")" ;;
    esac
    cp "$f" "$dir/$name"
  done
  # The prelude is a large valid program in the language.
  cp "$root/prelude/prelude.carbon" "$dir/prelude.carbon"
done
bash "$here/dict.sh" > "$here/carbon.dict"
echo "seeded $(ls "$here/corpus/check" | wc -l) files into each of $here/corpus/{parse,check,evaluate}"
