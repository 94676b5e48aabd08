#!/usr/bin/env bash
# Prints the libFuzzer dictionary of the carbon language: the keywords, read from
# the grammar's `kw_` rules and the contextual words of its `w_` rules (so a new word needs no line here), then the other
# words of fuzz/words.dict. `seed.sh` writes it to fuzz/carbon.dict. Run from anywhere:
#   bash fuzz/dict.sh > fuzz/carbon.dict
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
echo "# libFuzzer dictionary for the carbon language, written by fuzz/dict.sh"
sed -nE 's/^(kw|w)_[A-Za-z_]+ *= *@\{ *("[^"]+").*/\2/p' "$root/grammar/carbon.pest"
grep -v '^#' "$here/words.dict"
