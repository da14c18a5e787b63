"""A refused mutation fails with the OS's own error where the OS would have
failed anyway (issue 10 item 8): ENOENT, EEXIST, ENOTDIR, EISDIR; only a
call that would have succeeded gets the policy's EACCES. Every layer: the
libc layer alone (python -I -S, C programs), the Python layer alone (the
API in a plain interpreter), and both.
"""

import os
import textwrap

import pytest

from conftest import (PYTHON, PYTHONPATH, py_argv, run, run_hermetic,
                      trace_lines)

CASES = """
import os, sys
W = sys.argv[1]          # an existing directory, not writable by policy
F = os.path.join(W, "file")
def t(name, f):
    try:
        f()
        print(name, "OK")
    except OSError as e:
        print(name, e.errno)
t("remove-missing", lambda: os.remove(W + "/missing"))
t("unlink-dir", lambda: os.unlink(W))
t("remove-existing", lambda: os.remove(F))
t("rmdir-missing", lambda: os.rmdir(W + "/missing"))
t("rmdir-file", lambda: os.rmdir(F))
t("mkdir-existing", lambda: os.mkdir(W))
t("mkdir-new", lambda: os.mkdir(W + "/new"))
t("mkdir-noparent", lambda: os.mkdir(W + "/missing/new"))
t("makedirs-exist-ok", lambda: os.makedirs(W, exist_ok=True))
t("open-x-existing", lambda: open(F, "x"))
t("open-x-new", lambda: open(W + "/new", "x"))
t("open-w-noparent", lambda: open(W + "/missing/new", "w"))
t("open-w-dir", lambda: open(W, "w"))
t("open-rplus-missing", lambda: open(W + "/missing", "r+"))
t("open-excl-existing", lambda: os.open(F, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
t("rename-missing", lambda: os.rename(W + "/missing", W + "/other"))
t("rename-existing", lambda: os.rename(F, W + "/other"))
t("link-to-existing", lambda: os.link(F, F))
t("link-missing", lambda: os.link(W + "/missing", W + "/new"))
t("symlink-existing", lambda: os.symlink("x", F))
t("symlink-new", lambda: os.symlink("x", W + "/newlink"))
t("chmod-missing", lambda: os.chmod(W + "/missing", 0o600))
t("chmod-existing", lambda: os.chmod(F, 0o600))
t("mkfifo-existing", lambda: os.mkfifo(F))
"""

EXPECTED = {
    "remove-missing": "2", "unlink-dir": "21", "remove-existing": "13",
    "rmdir-missing": "2", "rmdir-file": "20", "mkdir-existing": "17",
    "mkdir-new": "13", "mkdir-noparent": "2", "makedirs-exist-ok": "OK",
    "open-x-existing": "17", "open-x-new": "13", "open-w-noparent": "2",
    "open-w-dir": "21", "open-rplus-missing": "2",
    "open-excl-existing": "17", "rename-missing": "2",
    "rename-existing": "13", "link-missing": "2",
    # the existing file is judged first; it is refused, so EACCES although
    # the OS would say EEXIST (docs/guards/filesystem.md)
    "link-to-existing": "13",
    "symlink-existing": "17", "symlink-new": "13", "chmod-missing": "2",
    "chmod-existing": "13", "mkfifo-existing": "17",
}


@pytest.fixture
def tree(workdir):
    w = workdir / "w"
    w.mkdir()
    (w / "file").write_text("data\n")
    (workdir / "cases.py").write_text(CASES)
    return w


def _results(out):
    return dict(line.rsplit(" ", 1) for line in out.strip().splitlines())


def _check(r, w):
    assert r.rc == 0, r
    got = _results(r.out)
    assert got == EXPECTED, r
    # nothing changed on disk
    assert sorted(os.listdir(w)) == ["file"], r
    assert (w / "file").read_text() == "data\n"
    assert oct((w / "file").stat().st_mode & 0o777) != "0o600"


@pytest.mark.parametrize("pyflags", [["-I", "-S"], []],
                         ids=["libc-layer", "both-layers"])
def test_own_errors_under_launcher(tree, workdir, pyflags):
    r = run_hermetic(["--fs-readonly", "--no-private-tmp"],
                     [PYTHON, *pyflags, str(workdir / "cases.py"), str(tree)])
    _check(r, tree)


def test_own_errors_python_layer_alone(tree, workdir):
    code = textwrap.dedent(f"""
        import sys
        sys.argv = ["cases", {str(tree)!r}]
        from hermetic import hermetic_blocker
        src = open({str(workdir / 'cases.py')!r}).read()
        with hermetic_blocker(fs_readonly=True):
            exec(compile(src, "cases", "exec"))
    """)
    r = run(py_argv(code), env_extra={"PYTHONPATH": PYTHONPATH})
    _check(r, tree)


def test_rm_f_missing_exits_zero(workdir):
    r = run_hermetic(["--fs-readonly", "--trace"],
                     ["rm", "-f", str(workdir / "missing")])
    assert r.rc == 0, r
    assert trace_lines(r.err) == [], r   # nothing was prevented
    (workdir / "present").write_text("x")
    r = run_hermetic(["--fs-readonly", "--trace"],
                     ["rm", "-f", str(workdir / "present")])
    assert r.rc == 1 and (workdir / "present").exists(), r
    assert any("reason=fs-readonly" in l for l in trace_lines(r.err)), r


def test_mkdir_p_existing_exits_zero(workdir):
    r = run_hermetic(["--fs-readonly"], ["mkdir", "-p", str(workdir)])
    assert r.rc == 0, r
    r = run_hermetic(["--fs-readonly"], ["mkdir", "-p", str(workdir / "a/b")])
    assert r.rc == 1 and not (workdir / "a").exists(), r


def test_existence_check_leaks_no_read_outside_root(workdir):
    """The own-error check is metadata: under a root, a refused write to a
    file outside it answers ENOENT/EEXIST (stat would too) but never its
    contents, and a read stays EACCES."""
    root = workdir / "root"
    root.mkdir()
    outside = workdir / "outside"
    outside.write_text("secret\n")
    r = run_hermetic([f"--fs-readonly={root}", "--no-private-tmp"],
                     [PYTHON, "-I", "-S", "-c",
                      "import os, sys\n"
                      "for f in (lambda: open(sys.argv[1], 'x'),\n"
                      "          lambda: open(sys.argv[1]).read()):\n"
                      "    try: print(f())\n"
                      "    except OSError as e: print(e.errno)\n",
                      str(outside)])
    assert r.out.split() == ["17", "13"], r
    assert "secret" not in r.out
