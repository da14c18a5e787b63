"""The container-daemon rule is the core's (hm_door_name, rq.is_door), and
the Python layer now asks it too: without the shim, a connect to a
docker.sock/podman.sock/containerd.sock path is refused under
block_network or block_subprocess (before, only the libc layer knew)."""

from conftest import PYTHON, PYTHONPATH, run

CODE = r'''
import os, socket, sys, tempfile
from hermetic import hermetic_blocker, PolicyViolation
d = tempfile.mkdtemp()
def attempt(label, path, **kw):
    s = socket.socket(socket.AF_UNIX)
    try:
        with hermetic_blocker(**kw):
            s.connect(path)
        print(label, "connected")
    except PolicyViolation as e:
        print(label, "refused", e.guard, e)
    except OSError as e:
        print(label, "oserror", type(e).__name__)
    finally:
        s.close()
door = os.path.join(d, "docker.sock")
attempt("sub", door, block_subprocess=True)
attempt("net", door, block_network=True)
attempt("podman", os.path.join(d, "podman.sock"), block_network=True)
attempt("fs", door, fs_readonly=True)
attempt("other", os.path.join(d, "other.sock"), block_network=True)
'''


def test_python_layer_refuses_daemon_sockets():
    r = run([PYTHON, "-c", CODE], env_extra={"PYTHONPATH": PYTHONPATH})
    o = dict(line.split(" ", 1) for line in r.out.splitlines())
    assert o["sub"].startswith("refused subprocess subprocess disabled: "
                               "connect("), r
    assert o["net"].startswith("refused network network disabled: "
                               "connect("), r
    assert o["podman"].startswith("refused network"), r
    # Positive controls: other guards and other sockets are untouched (the
    # socket does not exist: the OS says so).
    assert o["fs"] == "oserror FileNotFoundError", r
    assert o["other"] == "oserror FileNotFoundError", r
