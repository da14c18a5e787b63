"""The shim's mechanics (issue 7): a call re-entered from a signal handler
gets a verdict, syscall() routes every spelling of a guarded number,
invalid pointers fail with EFAULT instead of crashing, and versioned
lookups (dlvsym) find the shim. Every negative case has a positive control.
The helper is tests/fixtures/mechprobe.c (built next to the probe)."""
import os

import pytest

from conftest import PROBE, run, run_hermetic

MECHPROBE = os.path.join(os.path.dirname(PROBE), "mechprobe")


def mech(flags, *args, **kw):
    """mechprobe ARGS under hermetic FLAGS (no launcher when None)."""
    if flags is None:
        return run([MECHPROBE, *args], **kw)
    return run_hermetic(flags, [MECHPROBE, *args], **kw)


# --- defect 11: a signal handler re-entering the shim -----------------------

def test_signal_handler_connect_inside_open_is_refused(tcp_listener, workdir):
    """SIGALRM fires (200 times) while main loops on a refused open(); the
    handler's connect() must be refused every time, never forwarded
    because the thread was already inside a wrapper."""
    lst = tcp_listener()
    r = mech(["--fs-readonly", "--no-network"], "sigconnect", "127.0.0.1",
             str(lst.port), str(workdir / "f"), "200")
    assert r.rc == 1 and r.line == "errno=EACCES", r
    assert lst.accepted() == 0
    assert not (workdir / "f").exists()


def test_signal_handler_connect_allowed_control(tcp_listener, workdir):
    """Control: the same program with the network allowed connects from
    the handler (the open()s are still refused)."""
    lst = tcp_listener()
    r = mech(["--fs-readonly"], "sigconnect", "127.0.0.1", str(lst.port),
             str(workdir / "f"), "50")
    assert r.rc == 0 and int(r.line.split("=")[1]) >= 50, r
    assert lst.accepted() > 0
    assert not (workdir / "f").exists()


def test_signal_handler_connect_localhost_allowed(tcp_listener, workdir):
    """Control: --no-network --allow-localhost lets the handler reach a
    loopback listener: the re-entered call got the real verdict."""
    lst = tcp_listener()
    r = mech(["--fs-readonly", "--no-network", "--allow-localhost"],
             "sigconnect", "127.0.0.1", str(lst.port), str(workdir / "f"),
             "50")
    assert r.rc == 0 and int(r.line.split("=")[1]) >= 50, r
