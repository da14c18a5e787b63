"""hermetic_blocker(allow_write=...): the API's writable holes (the launcher's
--allow-write), at the Python layer alone and with the shim."""

import pytest

from pyhelpers import check, run_py


CODE = """
import os, sys, subprocess
hole, other, probe = sys.argv[1], sys.argv[2], sys.argv[3]
def write(p):
    with open(p, "w") as f:
        f.write("x")
with hermetic_blocker(fs_readonly=True, allow_write=[hole]):
    attempt("in-hole", write, os.path.join(hole, "a"))
    attempt("mkdir-in-hole", os.mkdir, os.path.join(hole, "d"))
    attempt("outside", write, os.path.join(other, "b"))
    attempt("escape", write, os.path.join(hole, "..", os.path.basename(other), "c"))
    # A C child (the probe) sees the same holes when the shim is loaded.
    note("child-in", subprocess.run([probe, "open", os.path.join(hole, "e"), "w"],
                                    capture_output=True, text=True).stdout.strip())
    note("child-out", subprocess.run([probe, "open", os.path.join(other, "f"), "w"],
                                     capture_output=True, text=True).stdout.strip())
with hermetic_blocker(fs_readonly=True):
    with hermetic_blocker(fs_readonly=True, allow_write=[hole]):
        attempt("inner-cannot-widen", write, os.path.join(hole, "g"))
"""


@pytest.mark.parametrize("preload", [False, True])
def test_allow_write_holes(tmp_path, preload):
    from conftest import PROBE
    hole = tmp_path / "hole"
    other = tmp_path / "other"
    hole.mkdir()
    other.mkdir()
    got, r = check(CODE, preload=preload,
                   args=(str(hole), str(other), PROBE))
    assert got["in-hole"].ok, r
    assert got["mkdir-in-hole"].ok, r
    assert got["outside"].blocked, r
    assert got["escape"].blocked, r
    assert got["inner-cannot-widen"].blocked, r
    assert not (other / "b").exists() and not (other / "c").exists()
    if preload:
        assert got["child-in"].value == "ok", r
        assert got["child-out"].value == "errno=EACCES", r
        assert not (other / "f").exists()


BAD = """
import pathlib
for label, kw in [("str", {"allow_write": "x"}),
                  ("int", {"allow_write": [1]}),
                  ("empty", {"allow_write": [""]}),
                  ("no-readonly", {"allow_write": ["/tmp"]}),
                  # beyond the block's pool (POOL_MAX bytes): 5 bytes each
                  ("too-many", {"allow_write": ["/tmp"] * 30000}),
                  ("missing", {"allow_write": ["/nonexistent-hermetic-x"]})]:
    kw.setdefault("fs_readonly", label != "no-readonly")
    attempt(label, hermetic_blocker, **kw)
attempt("pathlike", hermetic_blocker, fs_readonly=True,
        allow_write=[pathlib.Path("/tmp")])
"""


def test_allow_write_bad_input():
    got, r = check(BAD)
    for label, cls in [("str", "TypeError"), ("int", "TypeError"),
                       ("empty", "ValueError"), ("no-readonly", "ValueError"),
                       ("too-many", "ValueError"), ("missing", "ValueError")]:
        assert got[label].kind == "error" and got[label].fields[0] == cls, \
            (label, got[label])
    assert got["pathlike"].ok, r
