"""--fs-readonly with real programs (issue 10 items 5, 6, 7).

Item 5: the target script and its interpreter are readable under
--fs-readonly=ROOT; a refused read is EACCES in both layers.
Item 6: --allow-read / allow_read= and the default system read set: python,
node, gcc, git and curl-with-TLS start under --fs-readonly=$PWD while
secrets (/etc/shadow, /root, other homes, ssh keys, other processes' /proc)
stay refused.
Item 7: a private writable TMPDIR under --fs-readonly, removed afterwards;
exit status and signals pass through; --no-private-tmp turns it off.
"""

import glob
import os
import shutil
import signal
import subprocess
import textwrap

import pytest

from conftest import (BIN, PYTHON, PYTHONPATH, base_env, py_argv, run,
                      run_hermetic, trace_lines)


def _which(p):
    return shutil.which(p, path="/usr/bin:/bin")


# --------------------------------------------------------------------------
# item 5: the target script and its interpreter
# --------------------------------------------------------------------------

@pytest.fixture
def elsewhere(workdir):
    sandbox = workdir / "sandbox"
    sandbox.mkdir()
    other = workdir / "elsewhere"
    other.mkdir()
    script = other / "script.py"
    script.write_text("import sys\nprint('script-ran', sys.argv[1:])\n")
    (other / "secret.txt").write_text("s3cret\n")
    return sandbox, other, script


def test_script_named_on_the_command_line_is_readable(elsewhere):
    sandbox, other, script = elsewhere
    r = run_hermetic([f"--fs-readonly={sandbox}"], [PYTHON, str(script), "a"])
    assert r.rc == 0 and "script-ran ['a']" in r.out, r
    # negative twin: the script's neighbour is not readable
    r = run_hermetic([f"--fs-readonly={sandbox}"],
                     [PYTHON, "-c", f"open({str(other / 'secret.txt')!r})"])
    assert r.rc == 2 and "read outside sandbox root" in r.err, r


def test_only_the_script_argument_is_opened(elsewhere):
    """Other arguments are data: `cat FILE` outside the root is refused."""
    sandbox, other, script = elsewhere
    r = run_hermetic([f"--fs-readonly={sandbox}", "--trace"],
                     ["cat", str(other / "secret.txt")])
    assert r.rc != 0 and "s3cret" not in r.out, r
    assert "Permission denied" in r.err, r
    # -c CODE: no script file, an argument after it stays unreadable
    r = run_hermetic([f"--fs-readonly={sandbox}"],
                     [PYTHON, "-c", "import sys; print(open(sys.argv[1]).read())",
                      str(other / "secret.txt")])
    assert r.rc == 2 and "s3cret" not in r.out, r


def test_env_shebang_script_outside_root(elsewhere):
    sandbox, other, script = elsewhere
    exe = other / "tool"
    exe.write_text("#!/usr/bin/env python3\nprint('shebang-ran')\n")
    exe.chmod(0o755)
    r = run_hermetic([f"--fs-readonly={sandbox}"], [str(exe)],
                     env_extra={"PATH": "/usr/bin:/bin"})
    assert r.rc == 0 and "shebang-ran" in r.out, r


def test_refused_script_read_is_eacces_not_einval(elsewhere):
    """python3 started by a shell (not the launcher's target) opens a script
    outside the root: the interpreter's own message shows errno 13."""
    sandbox, other, script = elsewhere
    r = run_hermetic([f"--fs-readonly={sandbox}"],
                     ["sh", "-c", f"{PYTHON} {script}"])
    assert r.rc == 2, r
    assert "[Errno 13] Permission denied" in r.err, r
    assert "Errno 22" not in r.err, r


# --------------------------------------------------------------------------
# item 6: --allow-read, allow_read=, the default read set
# --------------------------------------------------------------------------

def test_allow_read_flag(elsewhere):
    sandbox, other, script = elsewhere
    secret = other / "secret.txt"
    r = run_hermetic([f"--fs-readonly={sandbox}", "--allow-read", str(other)],
                     ["cat", str(secret)])
    assert r.rc == 0 and "s3cret" in r.out, r
    r = run_hermetic([f"--fs-readonly={sandbox}", "--allow-read", str(secret)],
                     ["cat", str(secret)])
    assert r.rc == 0 and "s3cret" in r.out, r
    # an exact file does not open its directory
    r = run_hermetic([f"--fs-readonly={sandbox}", "--allow-read", str(secret)],
                     ["cat", str(script)])
    assert r.rc != 0, r
    # allow-read opens no write
    r = run_hermetic([f"--fs-readonly={sandbox}", "--allow-read", str(other)],
                     ["sh", "-c", f"echo x > {other}/new"])
    assert r.rc != 0 and not (other / "new").exists(), r


@pytest.mark.parametrize("flags,msg", [
    (["--allow-read", "/etc"], "needs --fs-readonly=ROOT"),
    (["--fs-readonly=/tmp", "--allow-read", "/nonexistent/x"],
     "does not exist"),
    (["--fs-readonly=/tmp", "--allow-read"], "hermetic: "),
])
def test_allow_read_bad_input(flags, msg):
    r = run_hermetic(flags, ["true"])
    assert r.rc == 1 and msg in r.err, r


def test_api_allow_read(elsewhere):
    sandbox, other, script = elsewhere
    secret = other / "secret.txt"
    code = textwrap.dedent(f"""
        from hermetic import hermetic_blocker, PolicyViolation
        with hermetic_blocker(fs_readonly=True, fs_root={str(sandbox)!r},
                              allow_read=[{str(other)!r}]):
            print(open({str(secret)!r}).read().strip())
        with hermetic_blocker(fs_readonly=True, fs_root={str(sandbox)!r}):
            try:
                open({str(secret)!r})
            except PolicyViolation:
                print("refused")
        for bad, exc in [("x", TypeError), ([""], ValueError)]:
            try:
                hermetic_blocker(fs_readonly=True, fs_root="/", allow_read=bad)
            except exc:
                print("rejected", exc.__name__)
        try:
            hermetic_blocker(fs_readonly=True, allow_read=["/etc"])
        except ValueError:
            print("rejected no-root")
        try:
            # beyond the block's pool (hermetic._native.POOL_MAX bytes)
            hermetic_blocker(fs_readonly=True, fs_root="/",
                             allow_read=["/" + ("a" * 200 + "/") * 4 +
                                         str(i) for i in range(170)])
        except ValueError:
            print("rejected too-many")
    """)
    env = {"PYTHONPATH": PYTHONPATH}
    for prefix in ([], [BIN, "--"]):  # Python layer alone, then with the shim
        r = run([*prefix, *py_argv(code)], env_extra=env)
        assert r.rc == 0, r
        assert r.out.split("\n")[:6] == [
            "s3cret", "refused", "rejected TypeError", "rejected ValueError",
            "rejected no-root", "rejected too-many"], r


def _project(workdir):
    proj = workdir / "proj"
    proj.mkdir()
    # Compiled at test time on purpose: the point is gcc under the guard.
    (proj / "m.c").write_text('#include <stdio.h>\n'
                              'int main(void){puts("c-ok");return 0;}\n')
    return proj


def test_gcc_under_fs_root(workdir):
    if not _which("gcc"):
        pytest.skip("gcc is not installed")
    proj = _project(workdir)
    r = run_hermetic([f"--fs-readonly={proj}", "--allow-write", str(proj)],
                     ["gcc", "-o", "m", "m.c"], cwd=proj)
    assert r.rc == 0, r
    assert run([str(proj / "m")]).out == "c-ok\n"


def test_git_under_fs_root(workdir):
    if not _which("git"):
        pytest.skip("git is not installed")
    proj = _project(workdir)
    env = {"HOME": str(workdir), "GIT_CONFIG_NOSYSTEM": None}
    assert run(["git", "init", "-q", str(proj)], env_extra=env).rc == 0
    r = run_hermetic([f"--fs-readonly={proj}"], ["git", "status", "--short"],
                     cwd=proj, env_extra=env)
    assert r.rc == 0 and "?? m.c" in r.out, r


def test_node_under_fs_root(workdir):
    if not _which("node"):
        pytest.skip("node is not installed")
    proj = _project(workdir)
    r = run_hermetic([f"--fs-readonly={proj}"],
                     ["node", "-e", "console.log('node-ok')"], cwd=proj)
    assert r.rc == 0 and "node-ok" in r.out, r


def test_python_under_fs_root(workdir):
    proj = _project(workdir)
    r = run_hermetic([f"--fs-readonly={proj}"],
                     [PYTHON, "-c", "import ssl, json, decimal; print('py-ok')"],
                     cwd=proj)
    assert r.rc == 0 and "py-ok" in r.out, r


def test_curl_tls_under_fs_root(workdir, tcp_listener):
    """curl reads its OpenSSL configuration and CA store, then connects to a
    loopback listener that is no TLS server: the failure is the handshake's
    (35/56/52), not a configuration or file error."""
    if not _which("curl"):
        pytest.skip("curl is not installed")
    proj = _project(workdir)
    lst = tcp_listener("127.0.0.1")
    r = run_hermetic([f"--fs-readonly={proj}", "--trace"],
                     ["curl", "-sS", "--max-time", "5",
                      f"https://127.0.0.1:{lst.port}/"], cwd=proj)
    assert trace_lines(r.err) == [], r
    assert r.rc in (28, 35, 52, 56), r


SECRETS = ["/etc/shadow", "/etc/passwd", "/etc/ssl/private", "/root",
           "/home", "/proc/1/environ", "/proc/1/cmdline"]


@pytest.mark.parametrize("secret", SECRETS)
def test_secrets_stay_out_of_the_default_set(workdir, secret):
    proj = _project(workdir)
    code = ("import os, sys\n"
            "p = sys.argv[1]\n"
            "try:\n"
            "    os.listdir(p) if os.path.isdir(p) else open(p, 'rb').read(1)\n"
            "    print('READ')\n"
            "except PermissionError as e:\n"
            "    print('refused', e.errno)\n"
            "except OSError as e:\n"
            "    print('other', e.errno)\n")
    # libc layer alone (no Python layer: -S -I), then both layers
    for argv in ([PYTHON, "-I", "-S", "-c", code, secret],
                 [PYTHON, "-c", code, secret]):
        r = run_hermetic([f"--fs-readonly={proj}"], argv, cwd=proj)
        if r.out.startswith("other"):
            pytest.skip(f"{secret} does not exist here: {r.out}")
        assert r.out.strip() in ("refused 13",), (argv, r)


def test_ssh_keys_and_other_homes_refused(workdir):
    home = workdir / "home" / "alice"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("KEY\n")
    proj = _project(workdir)
    r = run_hermetic([f"--fs-readonly={proj}"],
                     ["cat", str(home / ".ssh" / "id_ed25519")], cwd=proj)
    assert r.rc != 0 and "KEY" not in r.out, r
    r = run_hermetic([f"--fs-readonly={proj}"],
                     ["cat", os.path.expanduser("~/.ssh/authorized_keys")],
                     cwd=proj)
    assert "Permission denied" in r.err or "No such file" in r.err, r


# --------------------------------------------------------------------------
# item 7: the private temporary directory
# --------------------------------------------------------------------------

def _tmp_entries(base):
    return set(glob.glob(os.path.join(base, "hermetic-tmp.*")))


def test_readme_make_example(workdir):
    if not (_which("make") and _which("gcc")):
        pytest.skip("make or gcc is not installed")
    proj = _project(workdir)
    (proj / "build").mkdir()
    (proj / "Makefile").write_text("build/m: m.c\n\tgcc -o build/m m.c\n")
    base = workdir / "tmpbase"   # not /tmp: other tests run in parallel
    base.mkdir()
    r = run_hermetic(["--fs-readonly", "--allow-write", "build"], ["make"],
                     cwd=proj, env_extra={"TMPDIR": str(base)})
    assert r.rc == 0, r
    assert run([str(proj / "build" / "m")]).out == "c-ok\n"
    assert _tmp_entries(str(base)) == set() and not os.listdir(base)
    # negative twin: without the private directory gcc cannot write /tmp
    os.unlink(proj / "build" / "m")
    r = run_hermetic(["--fs-readonly", "--no-private-tmp", "--allow-write",
                      "build"], ["make"], cwd=proj)
    assert r.rc != 0 and "temporary file" in r.err, r


def test_private_tmp_is_writable_removed_and_exit_code_passes(workdir):
    base = workdir / "tmpbase"
    base.mkdir()
    r = run_hermetic(["--fs-readonly"],
                     ["sh", "-c", 'echo "$TMPDIR"; mkdir "$TMPDIR/d" && '
                      'echo x > "$TMPDIR/d/f" && ln -s / "$TMPDIR/l" && '
                      'echo x > /tmp/hermetic-outside-$$ ; exit 42'],
                     env_extra={"TMPDIR": str(base)})
    assert r.rc == 42, r
    made = r.out.split("\n")[0]
    assert made.startswith(str(base) + "/hermetic-tmp."), r
    assert not os.path.exists(made), r   # removed, contents included
    assert os.listdir(base) == [], r
    assert "Permission denied" in r.err, r  # outside the hole: refused
    # --no-private-tmp: no TMPDIR change, nothing created
    r = run_hermetic(["--fs-readonly", "--no-private-tmp"],
                     ["sh", "-c", 'echo "${TMPDIR}"'],
                     env_extra={"TMPDIR": str(base)})
    assert r.rc == 0 and r.out.strip() == str(base), r


def test_python_tempfile_works_under_fs_readonly():
    r = run_hermetic(["--fs-readonly"], py_argv(
        "import tempfile\n"
        "with tempfile.NamedTemporaryFile() as f: f.write(b'x')\n"
        "print('tmp-ok', tempfile.gettempdir())"))
    assert r.rc == 0 and "tmp-ok" in r.out, r


def test_no_private_tmp_without_fs_readonly():
    r = run_hermetic([], ["sh", "-c", 'echo "${TMPDIR-unset}"'],
                     env_extra={"TMPDIR": None})
    assert r.out.strip() == "unset", r


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT,
                                 signal.SIGHUP])
def test_signal_to_launcher_reaches_command(workdir, sig):
    """kill(launcher) is relayed to the command; the launcher then ends by
    the same signal, and the private directory is gone."""
    base = workdir / "tmpbase"
    base.mkdir()
    ready = workdir / "ready"
    env = base_env()
    env["TMPDIR"] = str(base)
    p = subprocess.Popen(
        [BIN, "--fs-readonly", "--", PYTHON, "-c",
         "import os, signal, time\n"
         f"signal.signal({int(sig)}, lambda s, f: (os.write(1, b'got %d\\n' "
         "% s), os._exit(9)))\n"
         "os.write(1, b'up\\n')\n"
         "time.sleep(60)\n"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "up"
    p.send_signal(sig)
    out, err = p.communicate(timeout=30)
    assert f"got {int(sig)}" in out, (out, err)
    assert p.returncode == 9, (p.returncode, err)  # the command's own status
    assert os.listdir(base) == [], err


def test_command_killed_by_signal_launcher_reports_it(workdir):
    base = workdir / "tmpbase"
    base.mkdir()
    r = run_hermetic(["--fs-readonly"], ["sh", "-c", "kill -KILL $$"],
                     env_extra={"TMPDIR": str(base)})
    assert r.rc == -signal.SIGKILL, r
    assert os.listdir(base) == [], r


TMPFILE = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.tmpfile.restype = ctypes.c_void_p
fp = libc.tmpfile()
if fp:
    fd = libc.fileno(ctypes.c_void_p(fp))
    print("ok", os.readlink("/proc/self/fd/%d" % fd))
else:
    print("NULL", ctypes.get_errno())
"""


def test_glibc_tmpfile_uses_the_private_tmpdir(workdir):
    """glibc's tmpfile() ignores TMPDIR and writes /tmp, which fs_readonly
    refuses; the shim makes the unnamed file in the private TMPDIR."""
    base = workdir / "tmpbase"
    base.mkdir()
    r = run_hermetic(["--fs-readonly"], [PYTHON, "-I", "-S", "-c", TMPFILE],
                     env_extra={"TMPDIR": str(base)})
    assert r.rc == 0 and r.out.startswith(f"ok {base}/hermetic-tmp."), r
    assert "(deleted)" in r.out, r
    assert os.listdir(base) == [], r
    # negative twins: no private directory, or a TMPDIR that is no hole
    for extra in ({"TMPDIR": None}, {"TMPDIR": str(base)}):
        r = run_hermetic(["--fs-readonly", "--no-private-tmp"],
                         [PYTHON, "-I", "-S", "-c", TMPFILE],
                         env_extra=extra)
        assert r.out.strip() == "NULL 13", r
