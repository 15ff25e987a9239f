# shellcheck shell=bash
# Shared by ./run fuzz and fuzz/measure_speed.sh (sourced): how a campaign reads a target's
# options and where it keeps its scratch corpus. fuzz/fuzz_target.cmake reads the options
# the same way for the smoke tests.

# The "name = value" lines of one [SECTION] of an OSS-Fuzz .options file, as name=value.
fuzz_option_section() {
  [ -f "$1" ] && awk -v want="[$2]" '
    /^\[/ { section = $1; next }
    section == want && match($0, /^[a-z_]+ *= *[^ #]+/) {
      line = substr($0, RSTART, RLENGTH); gsub(/ /, "", line); print line
    }' "$1"
  return 0
}

# The libFuzzer flags of a .options file: every "name = value" of [libfuzzer] is -name=value.
fuzz_option_flags() {
  fuzz_option_section "$1" libfuzzer | sed 's/^/-/'
}

# ASAN_OPTIONS for a campaign: the file's [asan] section (as ClusterFuzz reads it), then
# whatever the caller already set (later options win).
fuzz_asan_options() {
  local opts; opts=$(fuzz_option_section "$1" asan | paste -sd: -)
  echo "${opts}${ASAN_OPTIONS:+${opts:+:}$ASAN_OPTIONS}"
}

# Where a campaign keeps its scratch corpus: CHAINCHECK_FUZZ_TMPDIR, else /dev/shm (tmpfs)
# when it is a writable folder, else TMPDIR or /tmp. libFuzzer writes every input it keeps.
fuzz_scratch() {
  if [ -n "${CHAINCHECK_FUZZ_TMPDIR:-}" ]; then echo "$CHAINCHECK_FUZZ_TMPDIR"
  elif [ -d /dev/shm ] && [ -w /dev/shm ]; then echo /dev/shm
  else echo "${TMPDIR:-/tmp}"; fi
}
