"""Python reads limits, masks and the version from _native (issue 7):
one version number (CMake's project version) shown by the launcher, the
extension and the package; the per-block limits are the core's."""

import pathlib
import re

from conftest import BIN, PYTHON, PYTHONPATH, run


def py(code):
    return run([PYTHON, "-c", code], env_extra={"PYTHONPATH": PYTHONPATH})


def test_one_version():
    launcher = run([BIN, "--version"]).line.split()[-1]
    r = py("import hermetic; print(hermetic.__version__, "
           "hermetic._native.VERSION)")
    assert r.line == f"{launcher} {launcher}", r
    top = pathlib.Path(__file__).resolve().parents[2]
    cmake = (top / "CMakeLists.txt").read_text()
    assert re.search(rf"project\(hermetic VERSION {re.escape(launcher)}\b",
                     cmake)


def test_limits_come_from_the_core():
    # One pool of POOL_MAX bytes per block: names of 250 bytes (each plus
    # its NUL) until they no longer fit.
    r = py("import hermetic\n"
           "pool = hermetic._native.POOL_MAX\n"
           "name = lambda i: ('a' * 59 + '.') * 4 + f'x{i:05d}.io'\n"
           "n = pool // (len(name(0)) + 1)\n"
           "try:\n"
           "    hermetic.hermetic_blocker(block_network=True, allow_domains="
           "[name(i) for i in range(n + 1)])\n"
           "except ValueError as e:\n"
           "    print(pool, e)\n"
           "hermetic.hermetic_blocker(block_network=True, allow_domains="
           "[name(i) for i in range(n)])\n"
           "print('ok at the limit')\n")
    pool = r.out.split()[0]
    assert r.out.splitlines() == [
        f"{pool} too many allow_domains entries for one block: the lists "
        f"of a block hold at most {pool} bytes (hermetic._native.POOL_MAX)",
        "ok at the limit"], r


def test_no_copies_in_python_sources():
    pkg = pathlib.Path(PYTHONPATH) / "hermetic"
    for f in pkg.glob("*.py"):
        text = f.read_text()
        assert not re.search(r"__version__\s*=\s*['\"]", text), f
        assert not re.search(r"at most \d+ entries", text), f
