#!/bin/bash -eu
# Builds chaincheck's libFuzzer targets for ClusterFuzzLite / OSS-Fuzz: compilers and
# sanitizer flags come from $CC/$CXX/$CFLAGS/$CXXFLAGS, the engine from $LIB_FUZZING_ENGINE,
# binaries, seed corpora (zip) and dictionaries go to $OUT. Works locally too:
#   CC=clang-14 CXX=clang++-14 LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out .clusterfuzzlite/build.sh
# FUZZ_TARGETS="a b" limits the build to some targets.
SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:?set OUT to the output folder}
WORK=${WORK:-$(mktemp -d)}
CFLAGS=${CFLAGS:-}
CXXFLAGS=${CXXFLAGS:-}
LIB_FUZZING_ENGINE=${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}
mkdir -p "$OUT"

# differential_nbd is left out: it drives a live qemu-nbd (qemu-utils), which the
# ClusterFuzzLite/OSS-Fuzz runners do not have; run it with ./run fuzz differential_nbd.
targets=${FUZZ_TARGETS:-$(cd "$SRC_DIR/fuzz" && for d in */; do d=${d%/}; [ "$d" = differential_nbd ] && continue; [ -f "$d/${d}_fuzzer.cpp" ] && echo "$d"; done)}

cmake -S "$SRC_DIR" -B "$WORK/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DCHAINCHECK_FUZZ=ON -DCHAINCHECK_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" >/dev/null
for t in $targets; do
  cmake --build "$WORK/build" -j "$(nproc)" --target "${t}_fuzzer"
  cp "$WORK/build/fuzz/$t/${t}_fuzzer" "$OUT/"
  if [ -d "$SRC_DIR/corpus/$t" ]; then
    (cd "$SRC_DIR/corpus/$t" && zip -q -r "$OUT/${t}_fuzzer_seed_corpus.zip" .) 2>/dev/null || \
      python3 -c "import shutil,sys; shutil.make_archive(sys.argv[1], 'zip', sys.argv[2])" \
        "$OUT/${t}_fuzzer_seed_corpus" "$SRC_DIR/corpus/$t"
  fi
  [ -f "$SRC_DIR/corpus/$t.dict" ] && cp "$SRC_DIR/corpus/$t.dict" "$OUT/${t}_fuzzer.dict"
  [ -f "$SRC_DIR/fuzz/$t/${t}_fuzzer.options" ] && cp "$SRC_DIR/fuzz/$t/${t}_fuzzer.options" "$OUT/"
done
echo "built: $targets"
