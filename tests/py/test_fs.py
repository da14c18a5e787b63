"""Filesystem guard through the shim: every write-intent open and every
mutation under --fs-readonly (EACCES, tree unchanged; the same op works
without the flag), character devices, --allow-write holes, and read
confinement with --fs-readonly=ROOT (DESIGN.md section 3, libc-surface.md
section 1.2 D). glibc's open aliases, relative spawn file actions, AF_UNIX
bind and the write-open race into a hole use tests/fixtures/rf.c."""

import os
import shutil
import tempfile

import pytest

from conftest import (PYTHON, py_argv, rf_run, run_hermetic, run_probe,
                      snapshot, trace_lines)

RO = ["--fs-readonly"]


@pytest.fixture
def tree(workdir):
    """workdir/t with a file f ("data\\n", 0644) and an empty dir d."""
    t = workdir / "t"
    t.mkdir()
    (t / "f").write_text("data\n")
    (t / "f").chmod(0o644)
    (t / "d").mkdir()
    return t


# (id, probe argv template). {f} existing file, {d} empty dir, {new} a
# name that does not exist yet, {t} the tree itself.
WRITE_OPS = [
    ("open-w", ["open", "{f}", "w"]),
    ("open-w-new", ["open", "{new}", "w"]),
    ("open-a", ["open", "{f}", "a"]),
    ("open-rw", ["open", "{f}", "rw"]),
    ("open-creat", ["open", "{new}", "creat"]),
    ("open-trunc", ["open", "{f}", "trunc"]),
    ("open-rdonly-trunc", ["open", "{f}", "rdtrunc"]),
    ("open64-w", ["open64", "{f}", "w"]),
    ("open64-creat", ["open64", "{new}", "creat"]),
    ("openat-w", ["openat", "{f}", "w"]),
    ("openat-creat", ["openat", "{new}", "creat"]),
    ("openat-rw", ["openat", "{f}", "rw"]),
    ("openat64-a", ["openat64", "{f}", "a"]),
    ("creat-new", ["creat", "{new}"]),
    ("creat-existing", ["creat", "{f}"]),
    ("fopen-w", ["fopen", "{f}", "w"]),
    ("fopen-w-new", ["fopen", "{new}", "w"]),
    ("fopen-a", ["fopen", "{f}", "a"]),
    ("fopen-r+", ["fopen", "{f}", "r+"]),
    ("fopen-rb+", ["fopen", "{f}", "rb+"]),
    ("fopen-we", ["fopen", "{new}", "we"]),
    ("fopen-a+", ["fopen", "{f}", "a+"]),
    ("fopen64-w", ["fopen64", "{f}", "w"]),
    ("fopen64-r+", ["fopen64", "{f}", "r+"]),
    ("freopen-a", ["freopen", "{f}", "a"]),
    ("fortify-open", ["fortify-open", "{f}"]),
    ("fortify-open64", ["fortify-open64", "{f}"]),
    ("fortify-openat", ["fortify-openat", "{f}"]),
    ("unlink", ["unlink", "{f}"]),
    ("unlinkat", ["unlinkat", "{f}"]),
    ("remove", ["remove", "{f}"]),
    ("rename", ["rename", "{f}", "{new}"]),
    ("renameat", ["renameat", "{f}", "{new}"]),
    ("mkdir", ["mkdir", "{new}"]),
    ("mkdirat", ["mkdirat", "{new}"]),
    ("rmdir", ["rmdir", "{d}"]),
    ("chmod", ["chmod", "{f}"]),
    ("truncate", ["truncate", "{f}"]),
    ("symlink", ["symlink", "{f}", "{new}"]),
    ("link", ["link", "{f}", "{new}"]),
    ("mkfifo", ["mkfifo", "{new}"]),
    ("utime", ["utime", "{f}"]),
    ("mkstemp", ["mkstemp", "{t}/tmpXXXXXX"]),
]


def _argv(template, t):
    subst = {"{f}": str(t / "f"), "{d}": str(t / "d"),
             "{new}": str(t / "new"), "{t}": str(t)}
    out = []
    for a in template:
        for k, v in subst.items():
            a = a.replace(k, v)
        out.append(a)
    return out


@pytest.mark.parametrize("template", [w[1] for w in WRITE_OPS],
                         ids=[w[0] for w in WRITE_OPS])
def test_write_op_refused(template, tree, workdir):
    before = snapshot(tree)
    r = run_probe(_argv(template, tree), RO, cwd=workdir)
    assert r.rc == 1 and r.line == "errno=EACCES", r
    assert snapshot(tree) == before, "file system changed\n" + str(r)


@pytest.mark.parametrize("template", [w[1] for w in WRITE_OPS],
                         ids=[w[0] for w in WRITE_OPS])
def test_write_op_control(template, tree, workdir):
    before = snapshot(tree)
    r = run_probe(_argv(template, tree), [], cwd=workdir)
    assert r.rc == 0 and r.line.startswith("ok"), r
    assert snapshot(tree) != before, "op changed nothing\n" + str(r)


def test_relative_paths_refused(tree):
    before = snapshot(tree)
    for argv in (["open", "f", "w"], ["openat", "f", "a"], ["creat", "g"],
                 ["fopen", "f", "a"], ["unlink", "f"], ["mkdir", "e"]):
        r = run_probe(argv, RO, cwd=tree)
        assert r.line == "errno=EACCES", r
    assert snapshot(tree) == before


def test_relative_paths_control(tree):
    r = run_probe(["open", "f", "a"], [], cwd=tree)
    assert r.line == "ok", r
    assert (tree / "f").read_text() == "data\nprobe\n"


def test_tmpfile_open_refused(tree):
    r = run_probe(["open", str(tree), "tmpfile"], RO)
    assert r.line == "errno=EACCES", r
    r = run_probe(["open", str(tree), "tmpfile"], [])
    assert r.line == "ok", r


@pytest.mark.parametrize("argv", [["open", "{f}", "r"], ["open64", "{f}", "r"],
                                  ["openat", "{f}", "r"], ["fopen", "{f}", "r"],
                                  ["fopen", "{f}", "rb"], ["read", "{f}"],
                                  ["fread", "{f}"], ["opendir", "{t}"]],
                         ids=lambda a: a[0] + "-" + a[-1].strip("{}"))
def test_reads_still_allowed(argv, tree):
    before = snapshot(tree)
    r = run_probe(_argv(argv, tree), RO)
    assert r.rc == 0 and r.line.startswith("ok"), r
    assert snapshot(tree) == before


def test_read_shows_content(tree):
    r = run_probe(["read", str(tree / "f")], RO)
    assert r.line == "ok data", r


def test_spawn_file_action_write_refused(workdir):
    """posix_spawn's addopen runs inside the child, where no interposer
    sees it: the file action itself must be refused."""
    out = workdir / "out.txt"
    r = run_probe(["spawn-redirect", "/bin/echo", str(out)], RO)
    assert r.line == "errno=EACCES", r
    assert not out.exists(), r


def test_spawn_file_action_control(workdir):
    out = workdir / "out.txt"
    r = run_probe(["spawn-redirect", "/bin/echo", str(out)], [])
    assert r.line == "ok exit=0", r
    assert out.exists()


# --- character devices ------------------------------------------------------

@pytest.mark.parametrize("argv", [["open", "/dev/null", "w"],
                                  ["open", "/dev/null", "rw"],
                                  ["open", "/dev/null", "a"],
                                  ["open64", "/dev/null", "w"],
                                  ["fopen", "/dev/null", "w"],
                                  ["fopen", "/dev/null", "r+"],
                                  ["fortify-open", "/dev/null"]],
                         ids=lambda a: "-".join(a).replace("/", ""))
def test_dev_null_writable(argv):
    r = run_probe(argv, RO)
    assert r.line == "ok", r


def test_dev_null_from_shell():
    r = run_hermetic(RO, ["sh", "-c", "echo x > /dev/null && echo done"])
    assert r.rc == 0 and r.out == "done\n", r


# --- real programs --------------------------------------------------------

def test_shell_redirect_refused(workdir):
    r = run_hermetic(RO, ["sh", "-c", "echo x > f"], cwd=workdir)
    assert r.rc != 0, r
    assert not (workdir / "f").exists(), r


def test_shell_redirect_control(workdir):
    r = run_hermetic([], ["sh", "-c", "echo x > f"], cwd=workdir)
    assert r.rc == 0, r
    assert (workdir / "f").read_text() == "x\n"


def test_shell_reads_under_readonly(tree):
    r = run_hermetic(RO, ["cat", str(tree / "f")])
    assert r.rc == 0 and r.out == "data\n", r


def test_coreutils_mutations_refused(tree):
    before = snapshot(tree)
    for cmd in (["rm", "-f", str(tree / "f")],
                ["mv", str(tree / "f"), str(tree / "g")],
                ["mkdir", str(tree / "e")],
                ["touch", str(tree / "h")],
                ["cp", str(tree / "f"), str(tree / "c")]):
        r = run_hermetic(RO, cmd)
        assert r.rc != 0, r
    assert snapshot(tree) == before


PY_WRITE = ("import sys\n"
            "try:\n"
            "    open(sys.argv[1], 'w').write('x')\n"
            "    print('wrote')\n"
            "except Exception as e:\n"
            "    print(' '.join(c.__name__ for c in type(e).__mro__))\n")


def test_python_write_refused(workdir):
    r = run_hermetic(RO, py_argv(PY_WRITE) + [str(workdir / "p")])
    assert "PermissionError" in r.out or "PolicyViolation" in r.out, r
    assert not (workdir / "p").exists()


def test_python_write_control(workdir):
    r = run_hermetic([], py_argv(PY_WRITE) + [str(workdir / "p")])
    assert r.out.strip() == "wrote", r
    assert (workdir / "p").exists()


# --- --allow-write holes ----------------------------------------------------

@pytest.fixture
def holes(workdir):
    """workdir/{w, w2, sib, outside}: w is the hole; w2 shares its prefix;
    w/dlink -> outside (a dir), w/flink -> outside/file."""
    for d in ("w", "w2", "sib", "outside"):
        (workdir / d).mkdir()
    (workdir / "w" / "a").write_text("a\n")
    (workdir / "sib" / "s").write_text("s\n")
    (workdir / "outside" / "file").write_text("outside\n")
    (workdir / "w" / "dlink").symlink_to(workdir / "outside")
    (workdir / "w" / "flink").symlink_to(workdir / "outside" / "file")
    return workdir


def _hole_flags(workdir):
    return ["--fs-readonly", "--allow-write", str(workdir / "w")]


def test_allow_write_permits_writes_under_dir(holes):
    flags = _hole_flags(holes)
    w = holes / "w"
    assert run_probe(["open", str(w / "new"), "w"], flags).line == "ok"
    assert (w / "new").read_text() == "probe\n"
    assert run_probe(["mkdir", str(w / "sub")], flags).line == "ok"
    assert run_probe(["open", str(w / "sub" / "deep"), "w"],
                     flags).line == "ok"
    assert run_probe(["rename", str(w / "a"), str(w / "b")],
                     flags).line == "ok"
    assert run_probe(["unlink", str(w / "b")], flags).line == "ok"
    assert run_probe(["fopen", str(w / "fo"), "a"], flags).line == "ok"


def test_allow_write_sibling_refused(holes):
    before = snapshot(holes)
    flags = _hole_flags(holes)
    for argv in (["open", str(holes / "sib" / "x"), "w"],
                 ["open", str(holes / "w2" / "x"), "w"],
                 ["unlink", str(holes / "sib" / "s")],
                 ["open", str(holes / "top"), "w"]):
        r = run_probe(argv, flags)
        assert r.line == "errno=EACCES", r
    assert snapshot(holes) == before


def test_allow_write_dotdot_escape_refused(holes):
    before = snapshot(holes)
    flags = _hole_flags(holes)
    esc = str(holes / "w") + "/../sib/x"
    r = run_probe(["open", esc, "w"], flags)
    assert r.line == "errno=EACCES", r
    r = run_probe(["open", "../sib/x", "w"], flags, cwd=holes / "w")
    assert r.line == "errno=EACCES", r
    assert snapshot(holes) == before


def test_allow_write_symlink_out_refused(holes):
    before = snapshot(holes)
    flags = _hole_flags(holes)
    r = run_probe(["open", str(holes / "w" / "dlink" / "x"), "w"], flags)
    assert r.line == "errno=EACCES", r
    r = run_probe(["open", str(holes / "w" / "flink"), "rw"], flags)
    assert r.line == "errno=EACCES", r
    r = run_probe(["truncate", str(holes / "w" / "flink")], flags)
    assert r.line == "errno=EACCES", r
    assert snapshot(holes) == before
    assert (holes / "outside" / "file").read_text() == "outside\n"


def test_allow_write_symlink_out_control(holes):
    r = run_probe(["open", str(holes / "w" / "flink"), "a"], [])
    assert r.line == "ok", r
    assert (holes / "outside" / "file").read_text() == "outside\nprobe\n"


def test_allow_write_rename_across_boundary_refused(holes):
    before = snapshot(holes)
    flags = _hole_flags(holes)
    r = run_probe(["rename", str(holes / "w" / "a"), str(holes / "sib" / "a")],
                  flags)
    assert r.line == "errno=EACCES", r
    r = run_probe(["rename", str(holes / "sib" / "s"), str(holes / "w" / "s")],
                  flags)
    assert r.line == "errno=EACCES", r
    r = run_probe(["link", str(holes / "sib" / "s"), str(holes / "w" / "s")],
                  flags)
    assert r.line == "errno=EACCES", r
    assert snapshot(holes) == before


def test_allow_write_hardlink_escape_refused(holes):
    """A hard link from outside into the hole would let a later write
    through the hole modify the outside file."""
    flags = _hole_flags(holes)
    script = (f"ln {holes}/sib/s {holes}/w/s; echo pwned > {holes}/w/s")
    run_hermetic(flags, ["sh", "-c", script])
    assert (holes / "sib" / "s").read_text() == "s\n"


def test_allow_write_from_shell(holes):
    flags = _hole_flags(holes)
    r = run_hermetic(flags, ["sh", "-c", "echo x > w/f; echo y > g"],
                     cwd=holes)
    assert (holes / "w" / "f").read_text() == "x\n", r
    assert not (holes / "g").exists(), r


def test_allow_write_relative_dir(holes):
    """A relative --allow-write is taken relative to the launcher's cwd
    (what a user typing `--allow-write out` expects)."""
    r = run_probe(["open", str(holes / "w" / "rel"), "w"],
                  ["--fs-readonly", "--allow-write", "w"], cwd=holes)
    assert r.line == "ok", r
    r = run_probe(["open", str(holes / "sib" / "rel"), "w"],
                  ["--fs-readonly", "--allow-write", "w"], cwd=holes)
    assert r.line == "errno=EACCES", r


def test_allow_write_repeatable(holes):
    flags = ["--fs-readonly", "--allow-write", str(holes / "w"),
             "--allow-write", str(holes / "sib")]
    assert run_probe(["open", str(holes / "w" / "1"), "w"], flags).line == "ok"
    assert run_probe(["open", str(holes / "sib" / "2"), "w"],
                     flags).line == "ok"
    assert run_probe(["open", str(holes / "w2" / "3"), "w"],
                     flags).line == "errno=EACCES"


# --- --fs-readonly=ROOT ------------------------------------------------------

@pytest.fixture
def root(workdir):
    """workdir/root/file ("content\\n"); workdir/outside.txt;
    workdir/root2/file (shares the prefix); root/esc -> outside.txt;
    root/inner -> root/file; rootlink -> root."""
    r = workdir / "root"
    r.mkdir()
    (r / "file").write_text("content\n")
    (workdir / "outside.txt").write_text("outside\n")
    (workdir / "root2").mkdir()
    (workdir / "root2" / "file").write_text("root2\n")
    (r / "esc").symlink_to(workdir / "outside.txt")
    (r / "inner").symlink_to(r / "file")
    (workdir / "rootlink").symlink_to(r)
    return r


def _root_flag(root):
    return [f"--fs-readonly={root}"]


def test_root_cat_outside_refused(root):
    r = run_hermetic(_root_flag(root), ["cat", "/etc/passwd"])
    assert r.rc != 0, r
    assert "root:" not in r.out, r


def test_root_cat_inside_works(root):
    r = run_hermetic(_root_flag(root), ["cat", str(root / "file")])
    assert r.rc == 0 and r.out == "content\n", r


def test_root_probe_reads(root, workdir):
    flags = _root_flag(root)
    assert run_probe(["read", str(root / "file")], flags).line == "ok content"
    for path in ("/etc/passwd", str(workdir / "outside.txt"),
                 str(workdir / "root2" / "file"),
                 str(root) + "/../outside.txt"):
        for op in ("read", "fread"):
            r = run_probe([op, path], flags)
            assert r.line == "errno=EACCES", r


def test_root_space_form(root):
    """`--fs-readonly ROOT` (a space) is also accepted, as in the original."""
    r = run_hermetic(["--fs-readonly", str(root)], ["cat", "/etc/passwd"])
    assert r.rc != 0, r
    r = run_hermetic(["--fs-readonly", str(root)], ["cat", str(root / "file")])
    assert r.rc == 0 and r.out == "content\n", r


def test_root_opendir_outside_refused(root):
    r = run_probe(["opendir", "/etc"], _root_flag(root))
    assert r.line == "errno=EACCES", r
    r = run_probe(["opendir", str(root)], _root_flag(root))
    assert r.line.startswith("ok"), r


def test_root_symlink_out_refused(root):
    r = run_hermetic(_root_flag(root), ["cat", str(root / "esc")])
    assert r.rc != 0 and "outside" not in r.out, r
    r = run_probe(["read", str(root / "esc")], _root_flag(root))
    assert r.line == "errno=EACCES", r


def test_root_symlink_inside_control(root):
    r = run_hermetic(_root_flag(root), ["cat", str(root / "inner")])
    assert r.rc == 0 and r.out == "content\n", r


def test_root_relative_read_refused(root, workdir):
    r = run_probe(["read", "../outside.txt"], _root_flag(root), cwd=root)
    assert r.line == "errno=EACCES", r
    r = run_probe(["read", "file"], _root_flag(root), cwd=root)
    assert r.line == "ok content", r


def test_root_still_readonly(root):
    before = snapshot(root)
    r = run_probe(["open", str(root / "file"), "w"], _root_flag(root))
    assert r.line == "errno=EACCES", r
    r = run_probe(["open", str(root / "new"), "w"], _root_flag(root))
    assert r.line == "errno=EACCES", r
    assert snapshot(root) == before


def test_root_given_through_symlink(root, workdir):
    flags = [f"--fs-readonly={workdir / 'rootlink'}"]
    r = run_probe(["read", str(root / "file")], flags)
    assert r.line == "ok content", r
    r = run_probe(["read", str(workdir / "outside.txt")], flags)
    assert r.line == "errno=EACCES", r


def test_root_relative_given(root, workdir):
    """`--fs-readonly=root` relative to the launcher's cwd."""
    r = run_probe(["read", str(root / "file")], ["--fs-readonly=root"],
                  cwd=workdir)
    assert r.line == "ok content", r
    r = run_probe(["read", str(workdir / "outside.txt")],
                  ["--fs-readonly=root"], cwd=workdir)
    assert r.line == "errno=EACCES", r


def test_root_slash_allows_all_reads(root, workdir):
    r = run_hermetic(["--fs-readonly=/"], ["cat", "/etc/passwd"])
    assert r.rc == 0 and "root:" in r.out, r
    r = run_probe(["read", str(workdir / "outside.txt")], ["--fs-readonly=/"])
    assert r.line == "ok outside", r
    r = run_probe(["open", str(workdir / "outside.txt"), "a"],
                  ["--fs-readonly=/"])
    assert r.line == "errno=EACCES", r


HOSTNAME = "/etc/hostname" if os.path.exists("/etc/hostname") else "/etc/passwd"

PY_ROOT = ("import sys\n"
           "print(open(sys.argv[1]).read().strip())\n"
           "try:\n"
           "    open(sys.argv[2]).read()\n"
           "    print('read-outside')\n"
           "except Exception as e:\n"
           "    print(' '.join(c.__name__ for c in type(e).__mro__))\n")


def test_python_under_root(root):
    r = run_hermetic(_root_flag(root),
                     py_argv(PY_ROOT) + [str(root / "file"), HOSTNAME])
    lines = r.out.splitlines()
    assert r.rc == 0 and len(lines) == 2, r
    assert lines[0] == "content", r
    assert "PermissionError" in lines[1] or "PolicyViolation" in lines[1], r


def test_python_under_root_control(root):
    r = run_hermetic([], py_argv(PY_ROOT) + [str(root / "file"), HOSTNAME])
    assert r.out.splitlines() == ["content", "read-outside"], r


def test_python_starts_under_readonly():
    r = run_hermetic(RO, [PYTHON, "-c", "import json, os; print('up')"])
    assert r.rc == 0 and r.out == "up\n", r


# --- glibc's open aliases: __open, __open64, _IO_fopen (review fix) ---------

OPEN_ALIASES = [["__open"], ["__open64"], ["_IO_fopen", "w"],
                ["_IO_fopen", "a"], ["_IO_fopen", "r+"]]


def _open_argv(alias, path):
    return [alias[0], str(path), *alias[1:]]


@pytest.mark.parametrize("alias", OPEN_ALIASES, ids="-".join)
def test_open_alias_write_refused(rf, alias, workdir):
    target = workdir / "f"
    if alias[-1] == "r+":
        target.write_text("data\n")
    r = rf_run(rf, _open_argv(alias, target), RO + ["--trace"])
    assert r.rc == 1 and r.line == "errno=13 EACCES", r
    if alias[-1] == "r+":
        assert target.read_text() == "data\n"
    else:
        assert not target.exists(), r
    api = "fopen" if alias[0] == "_IO_fopen" else "open"
    assert trace_lines(r.err) == [
        f"[hermetic] blocked {api} path={target} reason=fs-readonly"], r


@pytest.mark.parametrize("alias", OPEN_ALIASES, ids="-".join)
def test_open_alias_write_control(rf, alias, workdir):
    target = workdir / "f"
    if alias[-1] == "r+":
        target.write_text("data\n")
    r = rf_run(rf, _open_argv(alias, target), [])
    assert r.rc == 0 and r.line == "ok", r
    assert target.exists()
    # An --allow-write hole admits it under --fs-readonly too.
    target.unlink()
    if alias[-1] == "r+":
        target.write_text("data\n")
    r = rf_run(rf, _open_argv(alias, target),
               RO + ["--allow-write", str(workdir)])
    assert r.rc == 0 and r.line == "ok", r
    assert target.exists()


@pytest.mark.parametrize("op", ["__open-r", "__open64-r"])
def test_open_alias_read_allowed(rf, op, workdir):
    (workdir / "f").write_text("data\n")
    r = rf_run(rf, [op, str(workdir / "f")], RO)
    assert r.rc == 0 and r.line == "ok", r
    r = rf_run(rf, [op, str(workdir / "f")],
               [f"--fs-readonly={workdir}"])
    assert r.rc == 0 and r.line == "ok", r


def test_open_alias_read_outside_root_refused(rf, workdir):
    inside = workdir / "in"
    inside.mkdir()
    (workdir / "f").write_text("data\n")
    r = rf_run(rf, ["__open-r", str(workdir / "f")],
               [f"--fs-readonly={inside}"])
    assert r.rc == 1 and r.line == "errno=13 EACCES", r


# --- posix_spawn_file_actions_addopen with a relative path (review fix) ----

@pytest.fixture
def hole_and_outside(workdir):
    """workdir/hole (an --allow-write hole, the cwd) and workdir/out with
    a file f ("secret\n")."""
    hole, out = workdir / "hole", workdir / "out"
    hole.mkdir()
    out.mkdir()
    (out / "f").write_text("secret\n")
    return hole, out


def test_addopen_relative_write_refused(rf, hole_and_outside):
    """Checked against the parent's cwd (inside the hole), but the child
    opens it after addchdir_np, outside."""
    hole, out = hole_and_outside
    flags = RO + ["--allow-write", str(hole), "--trace"]
    r = rf_run(rf, ["spawn-open", str(out), "f", "w"], flags, cwd=hole)
    assert r.rc == 1 and r.line == "errno=13 EACCES", r
    assert (out / "f").read_text() == "secret\n", r
    assert trace_lines(r.err) == [
        "[hermetic] blocked posix_spawn_file_actions_addopen path=f "
        "reason=fs-readonly"], r
    # Without a chdir action the relative path is judged from the
    # child's directory at spawn time (inside the hole): allowed
    # (test_spawn_actions.py has the full table).
    r = rf_run(rf, ["spawn-open", "-", "g", "w"], flags, cwd=hole)
    assert r.line == "ok exit=0", r
    assert (hole / "g").exists()


def test_addopen_relative_write_control(rf, hole_and_outside):
    hole, out = hole_and_outside
    # No policy: the child really writes outside (what was at stake).
    r = rf_run(rf, ["spawn-open", str(out), "f", "w"], [], cwd=hole)
    assert r.line == "ok exit=0", r
    assert (out / "f").read_text() == "hi\n"
    # An absolute path inside the hole keeps working under the policy.
    flags = RO + ["--allow-write", str(hole)]
    r = rf_run(rf, ["spawn-open", str(out), str(hole / "g"), "w"], flags,
               cwd=hole)
    assert r.line == "ok exit=0", r
    assert (hole / "g").read_text() == "hi\n"
    # ...and an absolute path outside it is still refused.
    r = rf_run(rf, ["spawn-open", "-", str(out / "f"), "w"], flags,
               cwd=hole)
    assert r.line == "errno=13 EACCES", r
    # A relative read under plain --fs-readonly is no write: allowed.
    r = rf_run(rf, ["spawn-open", str(out), "f", "r"], RO, cwd=hole)
    assert r.out == "hi\nok exit=0\n", r


def test_addopen_relative_read_outside_root_refused(rf, hole_and_outside):
    hole, out = hole_and_outside
    r = rf_run(rf, ["spawn-open", str(out), "f", "r"],
               [f"--fs-readonly={hole}", "--trace"], cwd=hole)
    assert r.rc == 1 and r.line == "errno=13 EACCES", r
    assert "secret" not in r.out, r
    assert trace_lines(r.err) == [
        "[hermetic] blocked posix_spawn_file_actions_addopen path=f "
        "reason=fs-root"], r


def test_addopen_relative_read_root_control(rf, hole_and_outside):
    hole, out = hole_and_outside
    (hole / "f").write_text("inside\n")
    # No policy: the relative read follows the chdir action outside.
    r = rf_run(rf, ["spawn-open", str(out), "f", "r"], [], cwd=hole)
    assert r.out == "secret\nok exit=0\n", r
    # Under the root an absolute path inside it is still readable.
    r = rf_run(rf, ["spawn-open", str(out), str(hole / "f"), "r"],
               [f"--fs-readonly={hole}"], cwd=hole)
    assert r.out == "inside\nok exit=0\n", r


# --- a pathname AF_UNIX bind creates a file (review fix) ---------------------

@pytest.fixture
def sockdir():
    """A short directory for socket paths (sun_path holds 108 bytes)."""
    d = tempfile.mkdtemp(prefix="hm-rf-", dir="/tmp")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_unix_bind_refused_readonly(rf, sockdir):
    path = os.path.join(sockdir, "s")
    r = rf_run(rf, ["bind-unix", path], RO + ["--trace"])
    assert r.rc == 1 and r.line == "errno=13 EACCES", r
    assert not os.path.exists(path), r
    assert trace_lines(r.err) == [
        f"[hermetic] blocked bind path={path} reason=fs-readonly"], r


def test_unix_bind_relative_refused_readonly(rf, sockdir):
    r = rf_run(rf, ["bind-unix", "s"], RO, cwd=sockdir)
    assert r.rc == 1 and r.line == "errno=13 EACCES", r
    assert os.listdir(sockdir) == [], r


def test_unix_bind_control(rf, sockdir):
    path = os.path.join(sockdir, "s")
    for flags in (None, [], ["--no-network"]):
        r = rf_run(rf, ["bind-unix", path], flags)
        assert r.rc == 0 and r.line == "ok", r
        assert os.path.exists(path), r
        os.unlink(path)


def test_unix_bind_in_writable_hole(rf, sockdir):
    hole = os.path.join(sockdir, "hole")
    os.mkdir(hole)
    r = rf_run(rf, ["bind-unix", os.path.join(hole, "s")],
               RO + ["--allow-write", hole])
    assert r.rc == 0 and r.line == "ok", r
    assert os.path.exists(os.path.join(hole, "s"))
    # ...but not next to it.
    r = rf_run(rf, ["bind-unix", os.path.join(sockdir, "s")],
               RO + ["--allow-write", hole])
    assert r.line == "errno=13 EACCES", r
    assert not os.path.exists(os.path.join(sockdir, "s"))


def test_unix_bind_abstract_allowed(rf):
    """An abstract address creates no file: still allowed."""
    name = f"hm-rf-{os.getpid()}"
    r = rf_run(rf, ["bind-abstract", name], RO + ["--no-network"])
    assert r.rc == 0 and r.line == "ok", r


# --- symlink race on write opens into an --allow-write hole (review fix) ---

RACE_ROUNDS = "20000"


@pytest.fixture
def race_dirs(workdir):
    """workdir/hole (the writable hole) and workdir/out/victim
    ("secret\n"), the file a swapped symlink points at."""
    hole, out = workdir / "hole", workdir / "out"
    hole.mkdir()
    out.mkdir()
    (out / "victim").write_text("secret\n")
    return hole, out


def _race_counts(r):
    assert r.rc == 0 and r.line.startswith("ok "), r
    return {k: int(v) for k, v in
            (f.split("=") for f in r.line.split()[1:])}


@pytest.mark.parametrize("mode", ["trunc", "creat", "fopen"])
def test_write_open_race_stays_in_hole(rf, race_dirs, mode):
    """Before the fix, the open after the check followed the swapped-in
    symlink: O_TRUNC emptied out/victim (O_CREAT made files in out/)
    before the post-check closed the descriptor."""
    hole, out = race_dirs
    r = rf_run(rf, ["race", str(hole), str(out), RACE_ROUNDS, mode],
               RO + ["--allow-write", str(hole)])
    counts = _race_counts(r)
    assert (out / "victim").read_text() == "secret\n", r
    assert sorted(os.listdir(out)) == ["victim"], r
    # Both sides of the race were exercised (the helper loops until they
    # were, so this does not depend on scheduling): opens inside the hole
    # went through, opens through the symlink were refused, none landed
    # outside.
    assert counts["allowed"] > 0 and counts["denied"] > 0, r
    assert counts["outside"] == 0 and counts["other"] == 0, r


def test_write_open_race_control(rf, race_dirs):
    """Without a policy the same program does write outside (the race
    setup really reaches out/victim)."""
    hole, out = race_dirs
    r = rf_run(rf, ["race", str(hole), str(out), "2000", "trunc"], [])
    counts = _race_counts(r)
    # Every open succeeded, and at least one went through the symlink
    # (the helper loops until one did): out/victim was truncated.
    assert counts["denied"] == 0 and counts["other"] == 0, r
    assert counts["allowed"] == counts["rounds"] >= 2000, r
    assert counts["outside"] > 0, r
    assert (out / "victim").read_text() == "", r


def _hole_tree(root):
    """root/hole with f ("data\n"), d/ (a directory), sub/f2, link_in ->
    f, link_abs -> <hole>/f, dangling -> nowhere."""
    hole = root / "hole"
    hole.mkdir(parents=True)
    (hole / "f").write_text("data\n")
    (hole / "d").mkdir()
    (hole / "sub").mkdir()
    (hole / "sub" / "f2").write_text("two\n")
    os.symlink("f", hole / "link_in")
    os.symlink(str(hole / "f"), hole / "link_abs")
    os.symlink("nowhere", hole / "dangling")
    return hole


# (probe op, path relative to the hole, mode): results must be the same
# with and without the policy (errno parity of the anchored open).
HOLE_OPENS = [
    ("open", "f", m) for m in ("w", "a", "rw", "creat", "trunc", "rdtrunc")
] + [
    ("open", "new", m) for m in ("w", "a", "creat", "trunc")
] + [
    ("open", "link_in", "w"), ("open", "link_in", "creat"),
    ("open", "link_in", "trunc"), ("open", "link_abs", "w"),
    ("open", "link_abs", "trunc"), ("open", "dangling", "trunc"),
    ("open", "dangling", "rw"), ("open", "d", "w"), ("open", "d", "rw"),
    ("open", "d", "tmpfile"), ("open", "d/.", "tmpfile"),
    ("open", "new/", "w"), ("open", "f/", "w"), ("open", "missing/x", "w"),
    ("open", "f/x", "w"), ("open", "sub/../f", "w"),
    ("open", "sub/f2", "trunc"), ("open64", "sub/new", "w"),
    ("openat", "sub/f2", "a"), ("openat", "sub/new", "creat"),
    ("openat", "f", "creat"), ("creat", "sub/f2", None),
    ("creat", "new", None),
] + [
    (op, rel, m) for op in ("fopen", "freopen")
    for rel in ("f", "new", "link_in", "link_abs", "d", "missing/x")
    for m in ("w", "a", "r+", "wx", "a+")
] + [
    ("fopen64", "sub/f2", "w"), ("fopen", "dangling", "r+"),
    ("fopen", "new/", "w"), ("fopen", "f", "w,ccs=UTF-8"),
    ("freopen", "dangling", "r+"), ("fopen", "sub/new", "we"),
]


@pytest.mark.parametrize("op,rel,mode", HOLE_OPENS,
                         ids=lambda v: str(v).replace("/", "|"))
def test_write_open_in_hole_parity(op, rel, mode, workdir):
    """Write opens inside a hole behave exactly as without hermetic."""
    results = []
    for name, flags in (("bare", None), ("ro", RO)):
        hole = _hole_tree(workdir / name)
        argv = [op, str(hole / rel)] + ([mode] if mode else [])
        if flags is not None:
            flags = flags + ["--allow-write", str(hole)]
        r = run_probe(argv, flags)
        results.append((r.line, _tree(hole)))
    assert results[0] == results[1]


def _tree(root):
    """{relative path: (kind, content)} (modes and times left out)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = ("link",
                            os.readlink(p).replace(str(root), "<root>"))
            elif os.path.isdir(p):
                out[rel] = ("dir", None)
            else:
                with open(p, "rb") as f:
                    out[rel] = ("file", f.read())
    return out


def test_write_open_dangling_creat_refused_in_hole(workdir):
    """O_CREAT through a dangling symlink would create the link's target
    wherever it points: refused (unchanged behaviour)."""
    hole = _hole_tree(workdir)
    r = run_probe(["open", str(hole / "dangling"), "w"],
                 RO + ["--allow-write", str(hole)])
    assert r.line == "errno=EACCES", r
    r = run_probe(["open", str(hole / "dangling"), "w"], None)
    assert r.line == "ok", r


def test_reopen_deleted_in_hole(rf, workdir):
    """/proc/self/fd/N of a deleted file in a hole re-opens for writing."""
    for flags in (None, RO + ["--allow-write", str(workdir)]):
        (workdir / "f").write_text("data\n")
        r = rf_run(rf, ["reopen-deleted", str(workdir / "f")], flags)
        assert r.line == "ok wrote", r


@pytest.mark.parametrize("rel,mode", [("f", "w"), ("new", "wx"),
                                      ("f", "wx"), ("dangling", "r+"),
                                      ("missing/x", "w"), ("d", "w")],
                         ids=lambda v: str(v).replace("/", "|"))
def test_freopen_in_hole_parity(rf, rel, mode, workdir):
    """freopen closes its stream when it fails, also when the anchored
    open fails before the real freopen could run."""
    results = []
    for name, flags in (("bare", None), ("ro", RO)):
        hole = _hole_tree(workdir / name)
        if flags is not None:
            flags = flags + ["--allow-write", str(hole)]
        r = rf_run(rf, ["freopen-check", str(hole / rel), mode], flags)
        results.append((r.line, _tree(hole)))
    assert results[0] == results[1]
