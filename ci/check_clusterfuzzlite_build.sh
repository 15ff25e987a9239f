#!/bin/bash -eu
# Runs .clusterfuzzlite/build.sh with the caller's environment, then runs what it built.
src=$1
rm -rf "$OUT" "$WORK"
bash "$src/.clusterfuzzlite/build.sh"
for t in $FUZZ_TARGETS; do
  test -x "$OUT/${t}_fuzzer" || { echo "missing $OUT/${t}_fuzzer"; exit 1; }
  test -f "$OUT/${t}_fuzzer_seed_corpus.zip" || { echo "missing seed corpus zip"; exit 1; }
  # New inputs go to a scratch folder: the check never writes into the source corpus.
  mkdir -p "$WORK/new-$t"
  "$OUT/${t}_fuzzer" -runs=200 "$WORK/new-$t" "$src/corpus/$t"
done
rm -rf "$OUT" "$WORK"
echo "build.sh works locally"
