"""Compatibility findings of the corpus (issue 10, tests/corpus): the
Python layer's wrappers must not change what feature probes see.
os.mkfifo/os.mknod are wrapped (they raise no audit event), and the wrapper
must stay a member of os.supports_dir_fd & co., or CPython's test_posix
skips test_mkfifo_dir_fd/test_mknod_dir_fd ("needs dir_fd support")."""

from conftest import py_argv, run_hermetic

PROBE = ("import os\n"
         "print(os.mkfifo in os.supports_dir_fd, os.mknod in os.supports_dir_fd,\n"
         "      getattr(os.mkfifo, '__module__', None),\n"
         "      getattr(getattr(os.mkfifo, '__self__', None), '__name__', None))\n")


def test_wrapped_mkfifo_stays_in_supports_dir_fd():
    r = run_hermetic(["--no-network"], py_argv(PROBE))
    # The wrapper (a C function of hermetic._native, issue 8 class 4: no
    # __wrapped__ to unwrap) is in place and a member of the sets.
    assert r.rc == 0 and r.out.split()[:2] == ["True", "True"], r
    assert "hermetic._native" in r.out, r


def test_supports_dir_fd_control():
    r = run_hermetic([], py_argv("import os\n"
                                 "print(os.mkfifo in os.supports_dir_fd)\n"))
    assert r.rc == 0 and r.out == "True\n", r


def test_mkfifo_dir_fd_works_in_a_hole(workdir):
    code = (f"import os\nd = os.open({str(workdir)!r}, os.O_RDONLY)\n"
            "os.mkfifo('fifo', dir_fd=d)\nprint(os.path.exists('fifo'))\n"
            "try:\n    os.mkfifo('/etc/hm-fifo')\nexcept PermissionError:\n"
            "    print('refused')\n")
    r = run_hermetic(["--fs-readonly", "--allow-write", str(workdir)],
                     py_argv(code), cwd=workdir)
    assert r.rc == 0 and r.out == "True\nrefused\n", r
