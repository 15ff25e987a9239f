"""fuzz/campaign_env.sh: how ./run fuzz and measure_speed.sh read a target's .options file
(OSS-Fuzz format: [libfuzzer] entries are flags, [asan] entries go into ASAN_OPTIONS)."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ENV_SH = ROOT / "fuzz" / "campaign_env.sh"


def call(function, path, asan_options=None):
    env = {k: v for k, v in os.environ.items() if k != "ASAN_OPTIONS"}
    if asan_options is not None:
        env["ASAN_OPTIONS"] = asan_options
    out = subprocess.run(["/bin/bash", "-c", f'. "{ENV_SH}"; {function} "$1"', "sh", str(path)],
                         env=env, capture_output=True, text=True, check=True)
    return out.stdout.split()


@pytest.fixture
def options(tmp_path):
    p = tmp_path / "t_fuzzer.options"
    p.write_text("# a comment\n"
                 "[libfuzzer]\n"
                 "max_len = 512   # why\n"
                 "dict=t.dict\n"
                 "\n"
                 "[asan]\n"
                 "malloc_context_size = 0\n"
                 "detect_odr_violation = 0\n"
                 "[ubsan]\n"
                 "print_stacktrace = 1\n")
    return p


def test_only_libfuzzer_entries_become_flags(options):
    assert call("fuzz_option_flags", options) == ["-max_len=512", "-dict=t.dict"]


def test_asan_entries_become_asan_options_and_the_callers_come_last(options):
    assert call("fuzz_asan_options", options) == ["malloc_context_size=0:detect_odr_violation=0"]
    assert call("fuzz_asan_options", options, "malloc_context_size=30") == [
        "malloc_context_size=0:detect_odr_violation=0:malloc_context_size=30"]


def test_a_missing_file_gives_nothing_but_the_callers_options(tmp_path):
    missing = tmp_path / "none.options"
    assert call("fuzz_option_flags", missing) == []
    assert call("fuzz_asan_options", missing) == []
    assert call("fuzz_asan_options", missing, "detect_leaks=0") == ["detect_leaks=0"]


def test_the_scenario_model_campaign_leaves_allocation_stacks_out():
    path = ROOT / "fuzz" / "scenario_model" / "scenario_model_fuzzer.options"
    assert call("fuzz_option_flags", path) == ["-max_len=512"]
    assert call("fuzz_asan_options", path) == ["malloc_context_size=0"]
