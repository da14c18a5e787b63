"""Refused names and the clients that retry them (issue 10 item 12,
docs/errors.md "Measured: a refused name").

apt and pip retry every resolver failure whatever its code (measured with
an LD_PRELOAD stub returning EAI_NONAME, EAI_AGAIN, EAI_FAIL, EAI_NODATA,
EAI_SERVICE and EAI_SYSTEM: same attempts each time), so no code the shim
could return makes them give up at once. What hermetic must guarantee, and
what is checked here, is that it adds no attempt to the bare run: the same
command in the same empty network namespace (where glibc fails the lookup
with EAI_AGAIN) makes as many attempts as it makes refused lookups under
--no-network, and each client's own "no retries" switch gives up after one
refused lookup. Counted in trace records and the client's own retry lines;
no timing assertion. Every run is inside an empty network namespace, so not
even the bare control can send a query.
"""

import shutil

import pytest

from conftest import PYTHON, run, run_hermetic

SYS = {"PATH": "/usr/bin:/bin", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
       "PIP_NO_INPUT": "1"}
HOST = "pkg.example.invalid"


def _apt(tmp, *opts):
    (tmp / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (tmp / "cache" / "archives" / "partial").mkdir(parents=True,
                                                   exist_ok=True)
    src = tmp / "sources.list"
    src.write_text(f"deb http://{HOST}/debian bookworm main\n")
    # private sources, lists and cache: the system's apt state is untouched
    return ["apt-get", "-q", *opts,
            "-o", f"Dir::Etc::sourcelist={src}",
            "-o", f"Dir::Etc::sourceparts={tmp / 'none'}",
            "-o", f"Dir::State::Lists={tmp / 'lists'}",
            "-o", f"Dir::Cache={tmp / 'cache'}",
            "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root",
            "update"]


def _pip(tmp, *opts, isolated_mode=True):
    return [PYTHON, *(["-I"] if isolated_mode else []), "-m", "pip",
            "download", *opts, "--no-cache-dir", "--no-deps",
            "-d", str(tmp / "dl"), "--trusted-host", HOST,
            "--index-url", f"http://{HOST}/simple", "hmcorpus"]


def _need_apt():
    if not shutil.which("apt-get", path=SYS["PATH"]):
        pytest.skip("apt-get is not installed")


def _need_pip():
    if run([PYTHON, "-m", "pip", "--version"]).rc != 0:
        pytest.skip("python3-pip is not installed")


def _lookups(err):
    return err.count(f"[hermetic] blocked getaddrinfo host={HOST} ")


def test_apt_no_extra_attempt(workdir, isolated):
    _need_apt()
    bare = run(_apt(workdir / "b"), env_extra=SYS, prefix=isolated,
               timeout=120)
    tries = bare.out.count("Ign:1 ") + bare.out.count("Err:1 ")
    assert tries >= 2 and "Temporary failure resolving" in bare.out, bare
    g = run_hermetic(["--no-network", "--trace"], _apt(workdir / "g"),
                     env_extra=SYS, prefix=isolated, timeout=120)
    assert g.out.count("Ign:1 ") + g.out.count("Err:1 ") == tries, g
    assert _lookups(g.err) == tries, g
    assert "getaddrinfo (13: Permission denied)" in g.out, g


def test_apt_retries_zero_gives_up_at_once(workdir, isolated):
    _need_apt()
    g = run_hermetic(["--no-network", "--trace"],
                     _apt(workdir, "-o", "Acquire::Retries=0"),
                     env_extra=SYS, prefix=isolated, timeout=120)
    assert g.out.count("Ign:1 ") == 0 and g.out.count("Err:1 ") == 1, g
    assert _lookups(g.err) == 1, g


def test_pip_no_extra_attempt(workdir, isolated):
    """libc layer only (python -I): urllib3 retries the PermissionError
    like any connection error, as often as bare."""
    _need_pip()
    bare = run(_pip(workdir / "b", "--retries", "2"), env_extra=SYS,
               prefix=isolated, timeout=120)
    assert bare.rc == 1 and bare.err.count("WARNING: Retrying") == 2, bare
    g = run_hermetic(["--no-network", "--trace"],
                     _pip(workdir / "g", "--retries", "2"),
                     env_extra=SYS, prefix=isolated, timeout=120)
    assert g.rc == 1 and g.err.count("WARNING: Retrying") == 2, g
    assert _lookups(g.err) == 3, g


def test_pip_retries_zero_gives_up_at_once(workdir, isolated):
    _need_pip()
    g = run_hermetic(["--no-network", "--trace"],
                     _pip(workdir, "--retries", "0"),
                     env_extra=SYS, prefix=isolated, timeout=120)
    assert g.rc == 1 and "WARNING: Retrying" not in g.err, g
    assert _lookups(g.err) == 1, g


def test_pip_python_layer_retries_like_offline(workdir, isolated):
    """With the Python layer on, a refused lookup under urllib3 is a
    LookupBlocked (a socket.gaierror as well as a PolicyViolation), so pip
    takes its ordinary network-error path: as many retries as --retries
    says, each warning naming the block, and no traceback."""
    _need_pip()
    g = run_hermetic(["--no-network"],
                     _pip(workdir, "--retries", "2", isolated_mode=False),
                     env_extra=SYS, prefix=isolated, timeout=120)
    assert g.rc == 1 and g.err.count("WARNING: Retrying") == 2, g
    assert f"network disabled: DNS({HOST})" in g.err, g
    assert "Traceback" not in g.err, g
