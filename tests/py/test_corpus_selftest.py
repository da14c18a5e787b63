"""The corpus runner's own check (tests/corpus/run_corpus.py): a difference
that expected.txt does not list fails the run, a listed one passes, and a
policy that changes nothing shows no difference. Uses the selftest case
(curl against the runner's loopback http.server, inside the runner's
private network namespace)."""

import shutil
import sys

import pytest

from conftest import BIN, REPO, run

RUNNER = REPO / "tests" / "corpus" / "run_corpus.py"


def corpus(tmp_path, policy, expected_lines):
    exp = tmp_path / "expected.txt"
    exp.write_text("".join(l + "\n" for l in expected_lines))
    r = run([sys.executable, RUNNER, "--case", "selftest", "--policy",
             policy, "--hermetic", BIN, "--expected", exp], timeout=300)
    if r.rc == 77:
        pytest.skip("no private network namespace: the corpus does not run")
    return r


@pytest.fixture(autouse=True)
def tools():
    if not shutil.which("curl"):
        pytest.skip("curl is needed for this case")


def test_unlisted_difference_fails(tmp_path):
    r = corpus(tmp_path, "nonet=--no-network", [])
    assert r.rc == 1, r
    assert "selftest nonet curl-ip: rc=0 hello-corpus -> " in r.out, r
    assert "UNEXPECTED" in r.out, r


def test_listed_difference_passes(tmp_path):
    r = corpus(tmp_path, "nonet=--no-network",
               ["selftest nonet * * *  # self-test: the networked step differs"])
    assert r.rc == 0, r
    assert "expected: self-test" in r.out and "UNEXPECTED" not in r.out, r


def test_no_difference_control(tmp_path):
    r = corpus(tmp_path, "net=--no-network --allow-localhost", [])
    assert r.rc == 0, r
    assert "net " in r.out and ": 0 differences, 0 unexpected" in r.out, r


def test_stale_line_reported(tmp_path):
    r = corpus(tmp_path, "net=--no-network --allow-localhost",
               ["selftest net curl-ip * *  # self-test: no longer differs"])
    assert r.rc == 0, r
    assert "STALE expected.txt:1" in r.out, r
