"""Filesystem guard through the shim: every write-intent open and every
mutation under --fs-readonly (EACCES, tree unchanged; the same op works
without the flag), character devices, --allow-write holes, and read
confinement with --fs-readonly=ROOT (DESIGN.md section 3, libc-surface.md
section 1.2 D)."""

import os

import pytest

from conftest import (PYTHON, py_argv, run_hermetic, run_probe, snapshot)

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
