#!/bin/bash
# fuzz/measure_speed.sh TARGET RUNS|Ns [EXTRA LIBFUZZER ARGS]: a repeatable libFuzzer run
# (-seed=1, one process, the target's .options with its [asan] section) over a scratch copy
# of corpus/TARGET, for RUNS executions or N seconds (e.g. 30s: a short campaign as
# `./run fuzz` starts it);
# prints exec/s and CPU seconds, for the speed goals in the README (Performance). Needs the
# fuzz preset built.
# CORPUS=DIR measures over another seed corpus (e.g. a warmed-up one: libFuzzer's entropic
# bookkeeping dominates the first tens of thousands of runs from the small checked-in one);
# FUZZ_BIN=PATH measures another build of the target (before/after comparisons).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=$1 amount=$2; shift 2
case "$amount" in
  *s) limit=(-max_total_time="${amount%s}") ;;
  *) limit=(-runs="$amount") ;;
esac
bin=${FUZZ_BIN:-${FUZZ_BUILD:-$root/build/fuzz}/fuzz/$target/${target}_fuzzer}
. "$root/fuzz/campaign_env.sh"
# The scratch corpus where ./run fuzz keeps it (in RAM when it can).
work=$(mktemp -d "$(fuzz_scratch)/cc-speed-XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "${CORPUS:-$root/corpus/$target}" "$work/corpus"
dict=(); [ -f "$root/corpus/$target.dict" ] && dict=(-dict="$root/corpus/$target.dict")
options=($(fuzz_option_flags "$root/fuzz/$target/${target}_fuzzer.options"))
export ASAN_OPTIONS; ASAN_OPTIONS=$(fuzz_asan_options "$root/fuzz/$target/${target}_fuzzer.options")
( cd "$work" && /usr/bin/time -f 'cpu_seconds=%U+%S wall=%e maxrss_kb=%M' \
    "$bin" -seed=1 "${limit[@]}" -print_final_stats=1 "${dict[@]}" "${options[@]}" "$@" "$work/corpus" ) \
    >"$work/log" 2>&1 || { tail -20 "$work/log"; exit 1; }
grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec|cpu_seconds|cov:' "$work/log" | tail -4
