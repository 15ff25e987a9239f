"""The golden-output check itself: a missing or different NAME.out fails and leaves
NAME.out.bad (as qemu-iotests' runner reports "No qualified output"); only --update writes."""
import pytest

from conftest import check_golden


def test_missing_golden_file_fails_and_leaves_the_output_beside_it(tmp_path):
    golden = tmp_path / "900-new.out"
    with pytest.raises(pytest.fail.Exception, match="No qualified output"):
        check_golden(golden, "verdict: clean\n", update=False)
    assert not golden.exists()
    assert (tmp_path / "900-new.out.bad").read_text() == "verdict: clean\n"


def test_different_output_fails_with_a_diff(tmp_path):
    golden = tmp_path / "901.out"
    golden.write_text("verdict: clean\n")
    with pytest.raises(pytest.fail.Exception, match=r"(?s)-verdict: clean.*\+verdict: findings"):
        check_golden(golden, "verdict: findings\n", update=False)
    assert golden.read_text() == "verdict: clean\n"
    assert (tmp_path / "901.out.bad").exists()


def test_matching_output_passes_and_removes_a_stale_bad_file(tmp_path):
    golden = tmp_path / "902.out"
    golden.write_text("same\n")
    (tmp_path / "902.out.bad").write_text("old\n")
    check_golden(golden, "same\n", update=False)
    assert not (tmp_path / "902.out.bad").exists()


def test_update_writes_the_golden_file(tmp_path):
    golden = tmp_path / "903.out"
    check_golden(golden, "new\n", update=True)
    assert golden.read_text() == "new\n"
