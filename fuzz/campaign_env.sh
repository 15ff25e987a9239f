# Shared by ./run fuzz and fuzz/measure_speed.sh (sourced): how a campaign reads a target's
# options and where it keeps its scratch corpus. fuzz/fuzz_target.cmake reads the options
# the same way for the smoke tests.

# The libFuzzer flags of an OSS-Fuzz .options file: every "name = value" becomes -name=value.
fuzz_option_flags() {
  [ -f "$1" ] && sed -nE 's/^([a-z_]+) *= *([^ #]+).*/-\1=\2/p' "$1"
  return 0
}

# Where a campaign keeps its scratch corpus: CHAINCHECK_FUZZ_TMPDIR, else /dev/shm (tmpfs)
# when it is a writable folder, else TMPDIR or /tmp. libFuzzer writes every input it keeps.
fuzz_scratch() {
  if [ -n "${CHAINCHECK_FUZZ_TMPDIR:-}" ]; then echo "$CHAINCHECK_FUZZ_TMPDIR"
  elif [ -d /dev/shm ] && [ -w /dev/shm ]; then echo /dev/shm
  else echo "${TMPDIR:-/tmp}"; fi
}
