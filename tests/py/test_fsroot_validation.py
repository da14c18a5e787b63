"""One fs_root validation for both front-ends (issue 7 defect 9): the root
must be an existing directory. The launcher refused /does/not/exist while
the API accepted it (and then refused every read); now both use the
core's hm_resolve_dir and fail closed with the same words."""

import os

from conftest import BIN, PYTHON, PYTHONPATH, run

API = """
import sys
from hermetic import hermetic_blocker
try:
    b = hermetic_blocker(fs_readonly=True, fs_root=sys.argv[1])
    with b:
        print("entered")
except ValueError as e:
    print("ValueError", e)
"""


def api(root):
    return run([PYTHON, "-c", API, root],
               env_extra={"PYTHONPATH": PYTHONPATH})


def test_missing_root_refused_by_both(workdir):
    missing = str(workdir / "does" / "not" / "exist")
    r = run([BIN, f"--fs-readonly={missing}", "--", "true"])
    assert r.rc == 1, r
    assert r.err == (f"hermetic: --fs-readonly root '{missing}' "
                     "does not exist\n"), r
    r = api(missing)
    assert r.line == f"ValueError fs_root '{missing}' does not exist", r


def test_file_root_refused_by_both(workdir):
    f = workdir / "file"
    f.write_text("x")
    r = run([BIN, f"--fs-readonly={f}", "--", "true"])
    assert r.rc == 1 and "is not a directory" in r.err, r
    r = api(str(f))
    assert r.line == f"ValueError fs_root '{f}' is not a directory", r
    # A path through the file is "does not exist" in both.
    r = run([BIN, f"--fs-readonly={f}/x", "--", "true"])
    assert r.rc == 1 and "does not exist" in r.err, r
    assert api(f"{f}/x").line.endswith("does not exist"), r


def test_existing_root_accepted_by_both(workdir):
    r = run([BIN, f"--fs-readonly={workdir}", "--", "true"])
    assert r.rc == 0, r
    assert api(str(workdir)).line == "entered"


def test_root_removed_before_entry_fails_closed(workdir):
    d = workdir / "gone"
    d.mkdir()
    code = f"""
import os
from hermetic import hermetic_blocker
b = hermetic_blocker(fs_readonly=True, fs_root={str(d)!r})
os.rmdir({str(d)!r})
try:
    with b:
        print("entered")
except ValueError as e:
    print("ValueError", e)
"""
    r = run([PYTHON, "-c", code], env_extra={"PYTHONPATH": PYTHONPATH})
    assert r.line == f"ValueError fs_root '{d}' does not exist", r
