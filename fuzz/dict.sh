#!/usr/bin/env bash
# Prints the libFuzzer dictionary of the carbon language: every word of the grammar
# (keywords and contextual words, so a new word needs no line here), then the other
# words of fuzz/words.dict. `seed.sh` writes it to fuzz/carbon.dict. Run from anywhere:
#   bash fuzz/dict.sh > fuzz/carbon.dict
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
echo "# libFuzzer dictionary for the carbon language, written by fuzz/dict.sh"
# Every word literal of the grammar (keywords and contextual words), comments left out.
sed 's://.*$::' "$root/grammar/carbon.pest" | grep -oE '"[A-Za-z_]{2,}"' | awk '!seen[$0]++'
grep -v '^#' "$here/words.dict"
