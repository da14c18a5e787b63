"""The pytest plugin hermetic.pytest_plugin (issue 9, item 2).

Each test writes a small test suite into a temporary directory and runs a
separate pytest on it (`python -m pytest -p hermetic.pytest_plugin`), then
checks the outcome line, the report and what the loopback listener saw.
Negative checks have a positive control next to them.
"""

import re
import textwrap

import pytest

from conftest import PROBE, PYTHON, PYTHONPATH, REPO, run


def pytest_run(workdir, *args, files=None, env=None, timeout=300):
    for name, text in (files or {}).items():
        (workdir / name).write_text(textwrap.dedent(text))
    extra = {"PYTHONPATH": PYTHONPATH}
    extra.update(env or {})
    return run([PYTHON, "-m", "pytest", "-p", "hermetic.pytest_plugin",
                "-p", "no:cacheprovider", "-q", *args], cwd=workdir,
               env_extra=extra, timeout=timeout)


def outcome(r):
    """{"passed": n, "failed": n, ...} from pytest's last line."""
    last = r.out.strip().splitlines()[-1] if r.out.strip() else ""
    return {k: int(n) for n, k in re.findall(r"(\d+) (\w+)", last)}


@pytest.fixture
def listener(tcp_listener):
    """A loopback listener whose backlog holds 100 unaccepted connections."""
    lst = tcp_listener()
    lst.sock.listen(512)
    return lst


def has_xdist():
    return run([PYTHON, "-c", "import xdist"]).rc == 0


CONNECT = textwrap.dedent("""\
    import os, socket
    PORT = int(os.environ["HM_PORT"])
    def connect():
        socket.create_connection(("127.0.0.1", PORT)).close()
    """)


def suite_of_100():
    """100 tests; every tenth is marked block_network and expects the
    block, the other 90 connect to the loopback listener."""
    parts = ["import pytest", "from hermetic import PolicyViolation",
             CONNECT]
    for i in range(100):
        if i % 10 == 0:
            parts.append(textwrap.dedent(f"""\
                @pytest.mark.hermetic(block_network=True)
                def test_{i:03d}():
                    with pytest.raises(PolicyViolation) as e:
                        connect()
                    assert e.value.guard == "network"
                """))
        else:
            parts.append(f"def test_{i:03d}():\n    connect()\n")
    return "\n".join(parts)


# --- marker, in a suite of 100 where only some are marked --------------------

def test_suite_of_100_some_marked(workdir, listener):
    lst = listener
    r = pytest_run(workdir, files={"test_many.py": suite_of_100()},
                   env={"HM_PORT": str(lst.port)})
    assert r.rc == 0 and outcome(r) == {"passed": 100}, r
    assert lst.accepted() == 90


def test_suite_of_100_with_xdist(workdir, listener):
    if not has_xdist():
        pytest.skip("pytest-xdist is not installed (apt: python3-pytest-xdist)")
    lst = listener
    r = pytest_run(workdir, "-n", "2", files={"test_many.py": suite_of_100()},
                   env={"HM_PORT": str(lst.port)})
    assert r.rc == 0 and outcome(r) == {"passed": 100}, r
    assert lst.accepted() == 90


def test_failure_report_names_test_guard_target(workdir, listener):
    lst = listener
    r = pytest_run(workdir, files={"test_f.py": CONNECT + textwrap.dedent("""\
        import pytest
        @pytest.mark.hermetic(block_network=True)
        def test_net():
            connect()
        def test_control():
            connect()
        """)}, env={"HM_PORT": str(lst.port)})
    assert outcome(r) == {"failed": 1, "passed": 1}, r
    assert "- hermetic -" in r.out, r
    assert "test test_f.py::test_net\n" in r.out
    assert "blocked by hermetic: guard=network target=127.0.0.1" in r.out
    assert "policy: hermetic_blocker(block_network=True) (marker)" in r.out
    assert "hermetic: blocked actions" in r.out
    assert re.search(r"^test_f.py::test_net: guard=network target=127\.0\.0\.1",
                     r.out, re.M), r
    assert lst.accepted() == 1  # the control only


def test_failure_report_through_exception_chain(workdir):
    r = pytest_run(workdir, files={"test_c.py": """\
        import os, pytest
        @pytest.mark.hermetic(block_subprocess=True)
        def test_wrapped():
            try:
                os.system("true")
            except Exception as e:
                raise ValueError("the library wrapped it") from e
        """})
    assert outcome(r) == {"failed": 1}, r
    assert "blocked by hermetic: guard=subprocess" in r.out, r


def test_marker_bad_keyword_is_an_error(workdir):
    r = pytest_run(workdir, files={"test_k.py": """\
        import pytest
        @pytest.mark.hermetic(block_netwrk=True)
        def test_typo():
            pass
        @pytest.mark.hermetic(allow_domains="example.com")
        def test_str_list():
            pass
        @pytest.mark.hermetic(True)
        def test_positional():
            pass
        def test_control():
            pass
        """})
    assert outcome(r) == {"passed": 1, "errors": 3}, r
    assert "unexpected keyword argument 'block_netwrk'" in r.out, r
    assert "allow_domains must be an iterable of str" in r.out, r
    assert "keyword arguments only" in r.out, r


def test_marker_keywords_match_hermetic_blocker(workdir):
    """Every keyword of hermetic_blocker is accepted by the marker."""
    r = pytest_run(workdir, files={"test_all.py": """\
        import inspect, pytest
        from hermetic import hermetic_blocker
        KW = dict(block_network=True, block_subprocess=True,
                  fs_readonly=True, fs_root="/", block_environment=False,
                  block_code_exec=False, block_interpreter_mutation=False,
                  block_native=False, allow_localhost=True,
                  allow_domains=["example.com"], deny_imports=["xml"],
                  trace=False, sealed=False, profile="exec-deny",
                  allow_write=["/tmp"])
        def test_signature():
            names = set(inspect.signature(hermetic_blocker).parameters)
            assert set(KW) <= names
            assert names - set(KW) <= {"policy", "audit", "allow_read"}
        @pytest.mark.hermetic(**KW)
        def test_all_keywords(hermetic):
            assert len(hermetic.policies) == 1
            with pytest.raises(ImportError):
                import xml.dom  # noqa: F401
        """})
    assert outcome(r) == {"passed": 2}, r


# --- session options ---------------------------------------------------------

SESSION = CONNECT + textwrap.dedent("""\
    import pytest
    def test_connect():
        connect()
    @pytest.mark.no_hermetic
    def test_exempt():
        connect()
    """)


def test_session_no_network(workdir, listener):
    lst = listener
    r = pytest_run(workdir, "--hermetic-no-network",
                   files={"test_s.py": SESSION},
                   env={"HM_PORT": str(lst.port)})
    assert outcome(r) == {"failed": 1, "passed": 1}, r
    assert "test_s.py::test_connect: guard=network" in r.out
    assert "(session options)" in r.out
    assert lst.accepted() == 1  # test_exempt


def test_session_allow_localhost(workdir, listener):
    lst = listener
    r = pytest_run(workdir, "--hermetic-no-network",
                   "--hermetic-allow-localhost",
                   files={"test_s.py": SESSION},
                   env={"HM_PORT": str(lst.port)})
    assert outcome(r) == {"passed": 2}, r
    assert lst.accepted() == 2


def test_session_allow_domain(workdir):
    # Only refusals are checked: nothing may be resolved for real.
    r = pytest_run(workdir, "--hermetic-no-network",
                   "--hermetic-allow-domain", "example.com",
                   files={"test_d.py": """\
        import socket, pytest
        from hermetic import PolicyViolation
        def test_other_name_refused(hermetic):
            assert "allow_domains=['example.com']" in hermetic.policies[0]
            with pytest.raises(PolicyViolation):
                socket.getaddrinfo("other.invalid", 80)
        """})
    assert outcome(r) == {"passed": 1}, r


def test_session_bad_value_is_a_usage_error(workdir):
    r = pytest_run(workdir, "--hermetic-no-network",
                   "--hermetic-allow-domain", "a..b",
                   files={"test_u.py": "def test_x():\n    pass\n"})
    assert r.rc == 4, r
    assert "hermetic: " in r.err and "a..b" in r.err, r


def test_session_fs_readonly_fixtures_still_work(workdir):
    files = {"test_fs.py": """\
        import pytest
        def test_write(tmp_path):          # tmp_path is created in setup
            (tmp_path / "f").write_text("x")
        def test_read(tmp_path):
            assert tmp_path.is_dir()
        """}
    r = pytest_run(workdir, "--hermetic-fs-readonly", files=files)
    assert outcome(r) == {"failed": 1, "passed": 1}, r
    assert "test_fs.py::test_write: guard=filesystem" in r.out, r
    r = pytest_run(workdir, files=files)
    assert outcome(r) == {"passed": 2}, r


def test_session_no_subprocess_and_profile(workdir):
    files = {"test_p.py": """\
        import subprocess
        def test_spawn():
            subprocess.run(["true"], check=True)
        """}
    for opts in (["--hermetic-no-subprocess"],
                 ["--hermetic-profile", "exec-deny"]):
        r = pytest_run(workdir, *opts, files=files)
        assert outcome(r) == {"failed": 1}, (opts, r)
        assert "guard=subprocess" in r.out, r
    r = pytest_run(workdir, files=files)
    assert outcome(r) == {"passed": 1}, r


def test_session_options_listed_in_help(workdir):
    r = pytest_run(workdir, "--help")
    for opt in ("--hermetic-no-network", "--hermetic-allow-localhost",
                "--hermetic-allow-domain", "--hermetic-no-subprocess",
                "--hermetic-fs-readonly", "--hermetic-allow-write",
                "--hermetic-block-native", "--hermetic-no-environment",
                "--hermetic-no-code-exec",
                "--hermetic-no-interpreter-mutation",
                "--hermetic-deny-import", "--hermetic-profile",
                "--hermetic-trace", "--hermetic-preload",
                "--hermetic-policy"):
        assert opt in r.out, opt


# --- fixture -------------------------------------------------------------------

def test_fixture(workdir):
    r = pytest_run(workdir, files={"test_fx.py": """\
        import os, pytest
        from hermetic import PolicyViolation
        def test_inside_and_after(hermetic):
            with hermetic(block_subprocess=True):
                with pytest.raises(PolicyViolation):
                    os.system("true")
            assert os.system("true") == 0
            assert "python" in hermetic.layers()
            assert sum(hermetic.counters().values()) >= 1
            assert hermetic.policies == []
        """})
    assert outcome(r) == {"passed": 1}, r


# --- subprocesses and C code: --hermetic-preload --------------------------------

NATIVE = """\
    import ctypes, errno, os, socket, struct, subprocess, pytest
    PORT = int(os.environ["HM_PORT"])
    PROBE = os.environ["HM_PROBE"]

    @pytest.mark.hermetic(block_network=True)
    def test_child():
        r = subprocess.run([PROBE, "connect", "127.0.0.1", str(PORT)],
                           capture_output=True, text=True)
        print("child:", r.stdout.strip())

    @pytest.mark.hermetic(block_network=True)
    def test_ctypes():
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
        sa = (struct.pack("=H", socket.AF_INET) + struct.pack("!H", PORT)
              + socket.inet_aton("127.0.0.1") + bytes(8))
        rc = libc.connect(fd, sa, len(sa))
        e = ctypes.get_errno()
        libc.close(fd)
        print("ctypes:", rc, errno.errorcode.get(e, e) if rc else "ok")
    """


def test_preload_covers_children_and_ctypes(workdir, listener):
    lst = listener
    env = {"HM_PORT": str(lst.port), "HM_PROBE": PROBE}
    # Without --hermetic-preload only the Python layer is there: the
    # child and the ctypes call are not seen (the documented limit).
    r = pytest_run(workdir, "-s", files={"test_n.py": NATIVE}, env=env)
    assert outcome(r) == {"passed": 2}, r
    assert "child: ok" in r.out and "ctypes: 0 ok" in r.out, r
    assert lst.accepted() == 2
    r = pytest_run(workdir, "-s", "--hermetic-preload", env=env)
    assert outcome(r) == {"passed": 2}, r
    assert "child: errno=ENETUNREACH" in r.out, r
    assert "ctypes: -1 ENETUNREACH" in r.out, r
    assert lst.accepted() == 2  # no new connection


def test_preload_with_xdist(workdir, listener):
    if not has_xdist():
        pytest.skip("pytest-xdist is not installed (apt: python3-pytest-xdist)")
    lst = listener
    env = {"HM_PORT": str(lst.port), "HM_PROBE": PROBE}
    r = pytest_run(workdir, "-n", "2", "--hermetic-preload", "-rA",
                   files={"test_n.py": NATIVE,
                          "test_many.py": suite_of_100()}, env=env)
    assert outcome(r) == {"passed": 102}, r
    assert "child: errno=ENETUNREACH" in r.out, r
    assert "ctypes: -1 ENETUNREACH" in r.out, r
    assert lst.accepted() == 90


def test_preload_refused_in_process(workdir):
    r = run([PYTHON, "-c", "import pytest, sys; sys.exit(pytest.main("
             "['-p', 'hermetic.pytest_plugin', '--hermetic-preload', "
             "'-p', 'no:cacheprovider', '-q']))"], cwd=workdir,
            env_extra={"PYTHONPATH": PYTHONPATH})
    assert r.rc == 4, r
    assert "--hermetic-preload needs pytest started as a program" in r.err, r


# --- the worked example in docs/pytest.md ---------------------------------------

def test_docs_worked_example(workdir):
    doc = (REPO / "docs" / "pytest.md").read_text()
    m = re.search(r"<!-- example: (\S+) -->\n```python\n(.*?)```", doc, re.S)
    assert m, "docs/pytest.md lost its worked example"
    name, code = m.group(1), m.group(2)
    cmd = re.search(r"<!-- command -->\n```sh\n\$ (.*?)\n", doc, re.S).group(1)
    expected = re.search(r"<!-- outcome -->\n```\n(.*?)\n```", doc,
                         re.S).group(1)
    (workdir / name).write_text(code)
    args = cmd.split()
    assert args[:3] == ["python3", "-m", "pytest"], cmd
    r = pytest_run(workdir, *[a for a in args[3:] if a != "-q"])
    for line in expected.splitlines():
        line = line.strip("-= ")  # separator width follows the terminal
        assert line in r.out, (line, r)
