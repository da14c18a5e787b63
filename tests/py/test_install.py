"""Installed layouts (issue 9, item 1): `cmake --install --prefix` and
`pip install --no-build-isolation .` into a fresh venv.

Each layout is exercised from a directory outside the source and build
trees, with a clean environment (no PYTHONPATH into the build tree): the
launcher (a dynamic program, so the shim, and a Python target), the Python
API, pkg-config and find_package(hermetic). Negative checks sit next to a
positive control.
"""

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import BIN, PROBE, PYTHON, REPO, netns_prefix, run

BUILD = Path(BIN).resolve().parents[1]


def cmake_version():
    text = (REPO / "CMakeLists.txt").read_text()
    return re.search(r"project\(hermetic VERSION ([0-9.]+)", text).group(1)


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    pfx = tmp_path_factory.mktemp("prefix").resolve()
    r = run(["cmake", "--install", BUILD, "--prefix", pfx], timeout=300)
    assert r.rc == 0, r
    return pfx


@pytest.fixture
def elsewhere(tmp_path):
    d = tmp_path.resolve() / "elsewhere"
    d.mkdir()
    assert REPO not in d.parents and BUILD not in d.parents
    return d


# --- cmake --install ------------------------------------------------------

def test_prefix_layout(prefix):
    for rel in ("bin/hermetic", "lib/hermetic/libhermetic.so",
                "lib/libhermetic-core.a", "include/hermetic/hermetic.h",
                "include/hermetic/version.h",
                "lib/cmake/hermetic/hermeticConfig.cmake",
                "lib/cmake/hermetic/hermeticTargets.cmake",
                "lib/pkgconfig/hermetic.pc",
                "lib/hermetic/python/hermetic/__init__.py",
                "lib/hermetic/python/hermetic/_site/sitecustomize.py"):
        assert (prefix / rel).exists(), rel
    assert list((prefix / "lib/hermetic/python/hermetic").glob("_native.*.so"))
    assert os.access(prefix / "bin/hermetic", os.X_OK)


def test_prefix_launcher_version(prefix, elsewhere):
    r = run([prefix / "bin/hermetic", "--version"], cwd=elsewhere)
    assert r.rc == 0 and r.line == f"hermetic {cmake_version()}", r


def test_prefix_shim_blocks_connect(prefix, elsewhere, tcp_listener):
    lst = tcp_listener()
    hm = prefix / "bin/hermetic"
    r = run([hm, "--no-network", "--", PROBE, "connect", "127.0.0.1",
             lst.port], cwd=elsewhere)
    assert r.rc == 1 and r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0
    # Positive control: loopback allowed.
    r = run([hm, "--no-network", "--allow-localhost", "--", PROBE, "connect",
             "127.0.0.1", lst.port], cwd=elsewhere)
    assert r.rc == 0 and r.line == "ok", r
    assert lst.accepted() == 1


def test_prefix_python_target_uses_installed_package(prefix, elsewhere):
    code = ("import hermetic, os; print(hermetic.__file__); "
            "print(sorted(hermetic.layers())); os.system('true')")
    r = run([prefix / "bin/hermetic", "--no-subprocess", "--", PYTHON, "-c",
             code], cwd=elsewhere)
    lines = r.out.splitlines()
    assert r.rc == 2 and "subprocess" in r.err, r
    assert lines[0].startswith(str(prefix / "lib/hermetic/python/hermetic")), r
    assert lines[1] == "['libc', 'python']", r
    # Control: no flag, the same code runs to the end.
    r = run([prefix / "bin/hermetic", "--", PYTHON, "-c", code], cwd=elsewhere)
    assert r.rc == 0, r


def test_prefix_api_plain_python(prefix, elsewhere):
    app = elsewhere / "app.py"
    app.write_text(textwrap.dedent("""\
        import os
        import hermetic
        from hermetic import hermetic_blocker, PolicyViolation
        from hermetic import _runtime
        print(hermetic.__version__)
        print(_runtime.find_launcher())
        print(_runtime.find_library())
        print(os.system("true"))
        try:
            with hermetic_blocker(block_subprocess=True):
                os.system("true")
        except PolicyViolation as e:
            print("blocked", e.guard)
        """))
    pypath = prefix / "lib/hermetic/python"
    r = run([PYTHON, app], cwd=elsewhere, env_extra={"PYTHONPATH": pypath})
    assert r.rc == 0, r
    version, launcher, lib, control, blocked = r.out.splitlines()
    assert version == cmake_version()
    assert launcher == str(prefix / "bin/hermetic")
    assert lib == str(prefix / "lib/hermetic/libhermetic.so")
    assert control == "0"
    assert blocked == "blocked subprocess", r


def test_prefix_pkg_config(prefix, elsewhere):
    if not shutil.which("pkg-config"):
        pytest.skip("pkg-config is not installed")
    env = {"PKG_CONFIG_PATH": str(prefix / "lib/pkgconfig")}
    r = run(["pkg-config", "--modversion", "hermetic"], env_extra=env)
    assert r.rc == 0 and r.line == cmake_version(), r
    r = run(["pkg-config", "--variable=shim", "hermetic"], env_extra=env)
    assert Path(r.line).resolve() == prefix / "lib/hermetic/libhermetic.so"
    # Compiled at test time on purpose: a consumer of the installed headers.
    src = elsewhere / "use.c"
    src.write_text(textwrap.dedent("""\
        #include <stdio.h>
        #include <hermetic/hermetic.h>
        int main(void)
        {
        	struct hm_policy p;
        	hm_policy_init(&p);
        	if (hm_profile_apply(&p, "net-hermetic") != 0)
        		return 3;
        	printf("%s %d\\n", HERMETIC_VERSION,
        	       !!(p.flags & HM_F_BLOCK_NETWORK));
        	return 0;
        }
        """))
    flags = run(["pkg-config", "--cflags", "--libs", "hermetic"],
                env_extra=env)
    assert flags.rc == 0, flags
    r = run(["cc", "-o", elsewhere / "use", src, *flags.line.split()],
            cwd=elsewhere)
    assert r.rc == 0, r
    r = run([elsewhere / "use"], cwd=elsewhere)
    assert r.rc == 0 and r.line == f"{cmake_version()} 1", r


def test_prefix_find_package(prefix, elsewhere):
    (elsewhere / "CMakeLists.txt").write_text(textwrap.dedent("""\
        cmake_minimum_required(VERSION 3.25)
        project(consumer LANGUAGES C)
        find_package(hermetic 0.1 REQUIRED CONFIG)
        add_executable(use use.c)
        target_link_libraries(use PRIVATE hermetic::core)
        file(GENERATE OUTPUT paths.txt CONTENT
          "$<TARGET_FILE:hermetic::shim>\\n$<TARGET_FILE:hermetic::hermetic>\\n")
        message(STATUS "shim=${hermetic_SHIM}")
        """))
    # A find_package consumer: compiling it at test time is the test.
    (elsewhere / "use.c").write_text(
        "#include <stdio.h>\n#include <hermetic/hermetic.h>\n"
        "int main(void){puts(HERMETIC_VERSION);return 0;}\n")
    b = elsewhere / "b"
    r = run(["cmake", "-S", elsewhere, "-B", b,
             f"-DCMAKE_PREFIX_PATH={prefix}"], cwd=elsewhere, timeout=300)
    assert r.rc == 0, r
    assert f"shim={prefix}/lib/hermetic/libhermetic.so" in r.out, r
    r = run(["cmake", "--build", b], cwd=elsewhere, timeout=300)
    assert r.rc == 0, r
    r = run([b / "use"])
    assert r.line == cmake_version(), r
    shim, launcher = (b / "paths.txt").read_text().split()
    assert shim == str(prefix / "lib/hermetic/libhermetic.so")
    assert launcher == str(prefix / "bin/hermetic")


def test_prefix_needs_no_build_tree(prefix, elsewhere, tmp_path):
    """The installed launcher finds its own shim even with the build tree
    unreachable: a copy of the prefix elsewhere (relocated) still works."""
    moved = tmp_path.resolve() / "moved"
    shutil.copytree(prefix, moved, symlinks=True)
    code = "import hermetic; print(hermetic.__file__)"
    r = run([moved / "bin/hermetic", "--no-network", "--", PYTHON, "-c", code],
            cwd=elsewhere)
    assert r.rc == 0 and r.line.startswith(str(moved)), r


# --- pip install into a fresh venv ------------------------------------------

def _copy_sources(dest):
    """The source tree without build trees or VCS data."""
    ignore = shutil.ignore_patterns("build", "build-*", ".git", "__pycache__",
                                    "*.egg-info", ".pytest_cache")
    shutil.copytree(REPO, dest, ignore=ignore, symlinks=True)


def _readme_install():
    """README.md's own install commands, as written: the venv line (in the
    prose) and the pip line (first ```sh block)."""
    text = (REPO / "README.md").read_text()
    venv = re.search(r"`(/usr/bin/python3 -m venv --system-site-packages "
                     r"\.venv && \. \.venv/bin/activate)`", text)
    pip = re.search(r"^(pip install --no-build-isolation \.) ", text, re.M)
    assert venv and pip, "README's install commands changed: update here"
    return venv.group(1), pip.group(1)


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """The venv README.md makes, with README.md's commands run as written
    in a copy of the source tree (issue 10: README's examples work as
    written). The pip step runs in an empty network namespace, so it is
    shown to need no index; where none can be made, --no-index keeps it
    offline instead."""
    base = tmp_path_factory.mktemp("pip").resolve()
    src = base / "src"
    _copy_sources(src)
    make_venv, pip_install = _readme_install()
    r = run(["bash", "-c", make_venv], cwd=src)
    if r.rc != 0 and "ensurepip" in r.err + r.out:
        pytest.skip("python3-venv is not installed")
    assert r.rc == 0, r
    env = src / ".venv"
    r = run([env / "bin/python", "-m", "pip", "--version"])
    if r.rc != 0:
        pytest.skip("python3-pip is not installed")
    netns = netns_prefix()
    if netns is None:
        pip_install = pip_install.replace("install", "install --no-index")
    r = run(["bash", "-c", f"{make_venv} && {pip_install}"], cwd=src,
            timeout=900, prefix=netns,
            env_extra={"PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    assert r.rc == 0, r
    return env


def _site(venv):
    r = run([venv / "bin/python", "-c",
             "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    return Path(r.line)


def test_wheel_layout(venv):
    pkg = _site(venv) / "hermetic"
    for rel in ("_bin/hermetic", "_lib/libhermetic.so", "_site/sitecustomize.py",
                "__init__.py", "_runtime.py"):
        assert (pkg / rel).exists(), rel
    assert list(pkg.glob("_native.*.so"))
    assert os.access(pkg / "_bin/hermetic", os.X_OK)
    # The console script the wheel installs.
    assert (venv / "bin/hermetic").exists()


def test_venv_console_script(venv, elsewhere, tcp_listener):
    hm = venv / "bin/hermetic"
    r = run([hm, "--version"], cwd=elsewhere)
    assert r.rc == 0 and r.line == f"hermetic {cmake_version()}", r
    lst = tcp_listener()
    r = run([hm, "--no-network", "--", PROBE, "connect", "127.0.0.1",
             lst.port], cwd=elsewhere)
    assert r.rc == 1 and r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0
    r = run([hm, "--no-network", "--allow-localhost", "--", PROBE, "connect",
             "127.0.0.1", lst.port], cwd=elsewhere)
    assert r.rc == 0 and r.line == "ok", r
    assert lst.accepted() == 1


def test_venv_python_target(venv, elsewhere):
    code = ("import hermetic, os; print(hermetic.__file__); "
            "print(sorted(hermetic.layers())); os.system('true')")
    py = venv / "bin/python"
    r = run([venv / "bin/hermetic", "--no-subprocess", "--", py, "-c", code],
            cwd=elsewhere)
    lines = r.out.splitlines()
    assert r.rc == 2 and "subprocess" in r.err, r
    assert lines[0].startswith(str(_site(venv) / "hermetic")), r
    assert lines[1] == "['libc', 'python']", r
    r = run([venv / "bin/hermetic", "--", py, "-c", code], cwd=elsewhere)
    assert r.rc == 0, r


def test_venv_api_plain_python_finds_shim(venv, elsewhere):
    app = elsewhere / "app.py"
    app.write_text(textwrap.dedent("""\
        import os
        import hermetic
        from hermetic import hermetic_blocker, PolicyViolation, _runtime
        print(hermetic.__version__)
        print(_runtime.find_library())
        print(_runtime.find_launcher())
        print(sorted(hermetic.layers()))
        print(os.system("true"))
        try:
            with hermetic_blocker(block_subprocess=True):
                os.system("true")
        except PolicyViolation as e:
            print("blocked", e.guard)
        """))
    r = run([venv / "bin/python", app], cwd=elsewhere)
    assert r.rc == 0, r
    version, lib, launcher, layers, control, blocked = r.out.splitlines()
    pkg = _site(venv) / "hermetic"
    assert version == cmake_version()
    assert lib == str(pkg / "_lib/libhermetic.so")
    assert launcher == str(pkg / "_bin/hermetic")
    assert layers == "['python']"
    assert control == "0"
    assert blocked == "blocked subprocess"


def test_venv_python_m_hermetic(venv, elsewhere):
    r = run([venv / "bin/python", "-m", "hermetic", "--no-subprocess", "--",
             PROBE, "system", "true"], cwd=elsewhere)
    assert r.rc == 1 and r.line.startswith("errno="), r
    r = run([venv / "bin/python", "-m", "hermetic", "--", PROBE, "system",
             "true"], cwd=elsewhere)
    assert r.rc == 0, r


def test_venv_pytest_entry_point(venv, elsewhere):
    """pip registers the plugin (pytest11): no -p needed."""
    (elsewhere / "test_ep.py").write_text(textwrap.dedent("""\
        import os, pytest
        from hermetic import PolicyViolation
        @pytest.mark.hermetic(block_subprocess=True)
        def test_marked():
            with pytest.raises(PolicyViolation):
                os.system("true")
        """))
    r = run([venv / "bin/python", "-m", "pytest", "-p", "no:cacheprovider",
             "-q", "--hermetic-no-network", "test_ep.py"], cwd=elsewhere)
    assert r.rc == 0 and "1 passed" in r.out, r
    # Control: the plugin's options are unknown without the plugin.
    r = run([venv / "bin/python", "-m", "pytest", "-p", "no:hermetic",
             "-p", "no:cacheprovider", "-q", "--hermetic-no-network",
             "test_ep.py"], cwd=elsewhere)
    assert r.rc == 4 and "unrecognized arguments" in r.err, r
