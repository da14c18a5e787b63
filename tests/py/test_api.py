"""The seed's Python API: hermetic_blocker / with_hermetic arguments and
validation, PolicyViolation, layers(), nesting, sealing, the decorator
(sync and async, reuse, recursion), async with, exceptions, and the
seed's examples run as written. Every scenario runs in a fresh
interpreter (pyhelpers.run_py)."""

import textwrap

import pytest

from conftest import PYTHON, PYTHONPATH, run
from pyhelpers import check, outcomes, run_py

SEED_ARGS = [
    "block_network", "block_subprocess", "fs_readonly", "fs_root",
    "block_environment", "block_code_exec", "block_interpreter_mutation",
    "block_native", "allow_localhost", "allow_domains", "deny_imports",
    "trace", "sealed",
]


# --------------------------------------------------------------------------
# package surface
# --------------------------------------------------------------------------

def test_exports_and_version():
    o, _ = check("""
        import inspect, hermetic, hermetic.errors
        from hermetic import PolicyViolation as A
        from hermetic.errors import PolicyViolation as B
        note("same", A is B)
        note("runtime", issubclass(A, RuntimeError))
        note("version", hermetic.__version__)
        note("alias", hermetic.with_hermetic is not None)
        params = inspect.signature(hermetic.hermetic_blocker).parameters
        note("params", sorted(params))
        note("kwonly", all(p.kind is p.KEYWORD_ONLY for p in params.values()))
        e = A("m", guard="network", target="h")
        note("attrs", [str(e), e.guard, e.target])
        note("default", [A("x").guard, A("x").target])
    """)
    assert o["same"].value is True and o["runtime"].value is True
    assert o["version"].value == "0.1.0"
    assert o["params"].value == sorted(SEED_ARGS + ["profile", "allow_write",
                                                   "allow_read", "policy", "audit"])
    assert o["kwonly"].value is True
    assert o["attrs"].value == ["m", "network", "h"]
    assert o["default"].value == [None, None]


def test_layers_without_preload():
    o, _ = check("""
        note("layers", sorted(hermetic.layers()))
        note("type", type(hermetic.layers()).__name__)
    """)
    assert o["layers"].value == ["python"]
    assert o["type"].value == "frozenset"


def test_nothing_blocked_without_a_block(tcp_listener, workdir):
    lst = tcp_listener()
    o, _ = check(f"""
        import socket, os, subprocess
        attempt("net", lambda: socket.create_connection(("127.0.0.1", {lst.port})).close())
        attempt("sub", subprocess.run, ["true"])
        attempt("fs", lambda: open({str(workdir / "f")!r}, "w").close())
        attempt("env", os.getenv, "PATH")
        attempt("eval", eval, "1")
        attempt("empty_block", lambda: hermetic_blocker().__enter__())
        attempt("net2", lambda: socket.create_connection(("127.0.0.1", {lst.port})).close())
    """)
    assert all(x.ok for x in o.values()), o


@pytest.mark.parametrize("arg", SEED_ARGS)
def test_every_kwarg_accepted(arg):
    value = {"fs_root": "'/'", "allow_domains": "['example.com']",
             "deny_imports": "['pickle']"}.get(arg, "True")
    extra = ", fs_readonly=True" if arg == "fs_root" else ""
    o, _ = check(f"""
        b = hermetic_blocker({arg}={value}{extra})
        with b:
            note("inside", True)
        note("repr", repr(b))
    """)
    assert o["inside"].value is True
    assert arg in o["repr"].value or arg == "fs_readonly"


# --------------------------------------------------------------------------
# bad input (issue 3 "Bad input")
# --------------------------------------------------------------------------

BAD_INPUT = [
    ("fs_root='/tmp'", "ValueError", "fs_root requires fs_readonly=True"),
    ("allow_domains='example.com'", "TypeError", "allow_domains"),
    ("deny_imports='pickle'", "TypeError", "deny_imports"),
    ("allow_domains=b'example.com'", "TypeError", "allow_domains"),
    ("allow_domains=5", "TypeError", "allow_domains"),
    ("allow_domains=[5]", "TypeError", "allow_domains"),
    ("deny_imports=[None]", "TypeError", "deny_imports"),
    ("block_network=1", "TypeError", "block_network"),
    ("block_network='yes'", "TypeError", "block_network"),
    ("trace=None", "TypeError", "trace"),
    ("sealed=0", "TypeError", "sealed"),
    ("fs_readonly=True, fs_root=5", "TypeError", "fs_root"),
    ("fs_readonly=True, fs_root=''", "ValueError", "fs_root"),
    ("allow_domains=['not a domain']", "ValueError", "allow_domains"),
    ("allow_domains=['a..b']", "ValueError", "allow_domains"),
    ("allow_domains=['*']", "ValueError", "allow_domains"),
    ("allow_domains=['']", "ValueError", "allow_domains"),
    ("deny_imports=['1abc']", "ValueError", "deny_imports"),
    ("deny_imports=['a..b']", "ValueError", "deny_imports"),
    ("profile='does-not-exist'", "ValueError",
     "Unknown hermetic profile: 'does-not-exist'"),
    ("profile=3", "TypeError", "profile"),
    ("no_network=True", "TypeError", "no_network"),
    ("block_netwrk=True", "TypeError", "block_netwrk"),
]


@pytest.mark.parametrize("args,exc,text", BAD_INPUT)
def test_bad_input(args, exc, text):
    o, _ = check(f"""
        attempt("make", lambda: hermetic_blocker({args}))
        attempt("alias", lambda: with_hermetic({args}))
    """)
    for label in ("make", "alias"):
        assert o[label].kind == "error", o[label]
        assert o[label].fields[0] == exc, o[label]
        assert text in o[label].fields[1], o[label]


def test_positional_arguments_rejected():
    o, _ = check("""
        attempt("pos", lambda: hermetic_blocker("net-hermetic"))
        attempt("pos_alias", lambda: with_hermetic(True))
    """)
    assert o["pos"].kind == "error" and o["pos"].fields[0] == "TypeError"
    assert o["pos_alias"].fields[0] == "TypeError"


def test_string_domains_never_iterated_into_characters():
    # The original turned "example.com" into ['e','x',...] and allowed
    # single-letter hosts; here it is a TypeError before anything runs.
    o, _ = check("""
        attempt("s", lambda: hermetic_blocker(block_network=True,
                                              allow_domains="a.com"))
    """)
    assert o["s"].fields[0] == "TypeError"


def test_profiles():
    o, _ = check("""
        import socket, os
        note("names", hermetic.profiles())
        with hermetic_blocker(profile="block-all"):
            attempt("dns", socket.getaddrinfo, "example.com", 80)
            attempt("write", open, "/tmp/hermetic-profile-x", "w")
            attempt("env", os.getenv, "PATH")
        with hermetic_blocker(profile="net-hermetic"):
            attempt("dns2", socket.getaddrinfo, "example.com", 80)
            attempt("local", socket.getaddrinfo, "localhost", 80)
            attempt("sub", os.system, "true")
    """)
    assert o["names"].value == ["block-all", "net-hermetic", "exec-deny",
                                "fs-readonly", "block-native"]
    assert o["dns"].blocked and o["write"].blocked and o["env"].blocked
    assert o["dns2"].blocked and o["local"].ok and o["sub"].ok


# --------------------------------------------------------------------------
# nesting, sealing, reentrancy
# --------------------------------------------------------------------------

def test_nesting_is_a_conjunction(tcp_listener):
    lst = tcp_listener()
    o, _ = check(f"""
        import socket, os
        def conn():
            socket.create_connection(("127.0.0.1", {lst.port}), timeout=5).close()
        with hermetic_blocker(block_network=True):
            attempt("outer", conn)
            with hermetic_blocker(block_subprocess=True, allow_localhost=True):
                attempt("inner_net", conn)          # cannot re-open
                attempt("inner_sub", os.system, "true")
                with hermetic_blocker(block_network=True,
                                      allow_domains=["example.com"]):
                    attempt("inner_dns", socket.getaddrinfo, "example.com", 80)
            attempt("back_sub", os.system, "true")
            attempt("back_net", conn)
        attempt("none", conn)
    """)
    assert o["outer"].blocked and o["inner_net"].blocked
    assert o["inner_sub"].blocked and o["inner_dns"].blocked
    assert o["back_sub"].ok and o["back_net"].blocked
    assert o["none"].ok
    assert lst.accepted() == 1


def test_fs_roots_intersect(workdir):
    (workdir / "a" / "b").mkdir(parents=True)
    (workdir / "a" / "b" / "f").write_text("x")
    (workdir / "a" / "g").write_text("y")
    (workdir / "c").mkdir()
    (workdir / "c" / "h").write_text("z")
    w = str(workdir)
    o, _ = check(f"""
        w = {w!r}
        with hermetic_blocker(fs_readonly=True, fs_root=w + "/a"):
            with hermetic_blocker(fs_readonly=True, fs_root=w + "/c"):
                attempt("c_in_inner_only", lambda: open(w + "/c/h").read())
                attempt("a_in_outer_only", lambda: open(w + "/a/g").read())
            with hermetic_blocker(fs_readonly=True, fs_root=w + "/a/b"):
                attempt("both", lambda: open(w + "/a/b/f").read())
                attempt("outer_only", lambda: open(w + "/a/g").read())
            attempt("outer_again", lambda: open(w + "/a/g").read())
    """)
    assert o["c_in_inner_only"].blocked and o["a_in_outer_only"].blocked
    assert o["both"].ok and o["outer_only"].blocked and o["outer_again"].ok


def test_same_instance_entered_twice_and_recursion():
    o, _ = check("""
        import os, hermetic._native as n
        b = hermetic_blocker(block_subprocess=True)
        with b:
            with b:
                note("depth2", n.depth()[1])
            attempt("still", os.system, "true")
        note("depth0", n.depth()[1])
        attempt("free", os.system, "true")

        @b
        def rec(k):
            if k:
                return rec(k - 1)
            return n.depth()[1]
        note("rec", rec(5))
        note("after_rec", n.depth()[1])
        attempt("free2", os.system, "true")
    """)
    assert o["depth2"].value == 2 and o["still"].blocked
    assert o["depth0"].value == 0 and o["free"].ok
    assert o["rec"].value == 6
    assert o["after_rec"].value == 0 and o["free2"].ok


def test_too_many_nested_blocks_fail_closed():
    o, _ = check("""
        import contextlib, os, hermetic._native as n
        ran = []
        def deep():
            with contextlib.ExitStack() as stack:
                for _ in range(n.MAX_DYN):
                    stack.enter_context(hermetic_blocker(block_subprocess=True))
                with hermetic_blocker(block_network=True):
                    ran.append("body")
        attempt("deep", deep)
        note("ran", ran)
        note("depth", n.depth()[1])
        attempt("free", os.system, "true")
    """)
    assert o["deep"].kind == "error" and o["deep"].fields[0] == "RuntimeError"
    assert "too many active blocks" in o["deep"].fields[1]
    assert o["ran"].value == [] and o["depth"].value == 0 and o["free"].ok


def test_exceptions_propagate_and_pop():
    o, _ = check("""
        import os, hermetic._native as n
        class Boom(Exception):
            pass
        def body():
            with hermetic_blocker(block_subprocess=True):
                raise Boom("x")
        attempt("raises", body)
        note("depth", n.depth()[1])
        @with_hermetic(block_subprocess=True)
        def deco():
            os.system("true")
        attempt("deco", deco)
        note("depth2", n.depth()[1])
        b = hermetic_blocker(block_subprocess=True)
        b.__enter__()
        b.__exit__(None, None, None)
        attempt("exit_twice", b.__exit__, None, None, None)
        attempt("free", os.system, "true")
    """)
    assert o["raises"].kind == "error" and o["raises"].fields[0] == "Boom"
    assert o["depth"].value == 0
    assert o["deco"].blocked and o["depth2"].value == 0
    assert o["exit_twice"].ok and o["free"].ok


def test_sealed_entry_stays(tcp_listener):
    o, _ = check("""
        import os, hermetic._native as n
        with hermetic_blocker(block_subprocess=True, sealed=True):
            pass
        attempt("after", os.system, "true")
        with hermetic_blocker():
            pass
        attempt("after_empty_block", os.system, "true")
        note("depth", n.depth()[1])
        attempt("pop", n.pop, 1)
        attempt("still", os.system, "true")
        @with_hermetic(block_network=True, sealed=True)
        def f():
            return n.depth()[1]
        note("calls", [f() for _ in range(40)])
    """)
    assert o["after"].blocked and o["after_empty_block"].blocked
    assert o["depth"].value == 1
    assert o["pop"].kind == "error" and o["pop"].fields[0] == "PermissionError"
    assert o["still"].blocked
    # One sealed entry per instance, however often it is entered.
    assert o["calls"].value == [2] * 40


def test_sealed_policy_reaches_children():
    o, _ = check(f"""
        import subprocess, sys
        with hermetic_blocker(block_network=True, sealed=True):
            pass
        r = subprocess.run([sys.executable, "-c",
            "import os; print(os.environ.get('HERMETIC_POLICY', ''))"],
            capture_output=True, text=True)
        note("child_sees", bool(r.stdout.strip()) or "none")
    """)
    # Without the shim nothing re-injects the policy into children (the
    # Python layer alone cannot); with it, see test_py_preload.py.
    assert o["child_sees"].value == "none"


# --------------------------------------------------------------------------
# decorator and async
# --------------------------------------------------------------------------

def test_decorator_pushes_per_call():
    o, _ = check("""
        import os, hermetic._native as n
        @hermetic_blocker(block_subprocess=True)
        def f():
            os.system("true")
        note("defined_depth", n.depth()[1])
        attempt("call1", f)
        attempt("call2", f)
        attempt("between", os.system, "true")
        note("name", f.__name__)
    """)
    assert o["defined_depth"].value == 0
    assert o["call1"].blocked and o["call2"].blocked and o["between"].ok
    assert o["name"].value == "f"


def test_async_decorator_protects_the_body():
    o, _ = check("""
        import asyncio, os, inspect, hermetic._native as n
        @with_hermetic(block_subprocess=True)
        async def job():
            await asyncio.sleep(0)
            os.system("true")
        note("is_coro_fn", inspect.iscoroutinefunction(job))
        attempt("job", asyncio.run, job())
        note("depth", n.depth()[1])
        attempt("free", os.system, "true")

        async def main():
            async with hermetic_blocker(block_subprocess=True):
                await asyncio.sleep(0)
                try:
                    os.system("true")
                    return "ran"
                except PolicyViolation as e:
                    return str(e)
        note("async_with", asyncio.run(main()))
    """)
    assert o["is_coro_fn"].value is True
    assert o["job"].blocked and o["depth"].value == 0 and o["free"].ok
    assert o["async_with"].value == "subprocess disabled"


def test_generator_decorator_covers_the_body():
    o, _ = check("""
        import os, hermetic._native as n
        @hermetic_blocker(block_subprocess=True)
        def gen():
            yield 1
            os.system("true")
            yield 2
        attempt("gen", lambda: list(gen()))
        note("depth", n.depth()[1])
    """)
    assert o["gen"].blocked and o["depth"].value == 0


def test_async_generator_decorator_covers_the_body():
    o, _ = check("""
        import asyncio, os, hermetic._native as n
        @hermetic_blocker(block_subprocess=True)
        async def agen():
            yield n.depth()[1]
            os.system("true")
            yield "not reached"
        async def main():
            got = []
            try:
                async for x in agen():
                    got.append(x)
            except PolicyViolation as e:
                got.append(str(e))
            return got
        note("got", asyncio.run(main()))
        note("depth", n.depth()[1])
    """)
    assert o["got"].value == [1, "subprocess disabled"]
    assert o["depth"].value == 0


# --------------------------------------------------------------------------
# the seed's examples, as written
# --------------------------------------------------------------------------

def test_seed_examples(tmp_path, http_server):
    test_file = tmp_path / "test_seed_example.py"
    test_file.write_text(textwrap.dedent(f"""
        import asyncio
        import os
        import urllib.request

        import pytest
        from hermetic import hermetic_blocker, with_hermetic
        from hermetic.errors import PolicyViolation

        @pytest.fixture
        def no_network():
            with hermetic_blocker(block_network=True, allow_localhost=True):
                yield

        def test_offline_path(no_network):
            with pytest.raises(PolicyViolation):
                import socket
                socket.getaddrinfo("example.com", 443)
            assert urllib.request.urlopen({http_server.url!r}).read()

        def test_context_manager():
            with hermetic_blocker(block_network=True, block_subprocess=True):
                with pytest.raises(PolicyViolation):
                    os.system("echo hi")

        def test_decorator():
            @hermetic_blocker(block_network=True)
            def main():
                urllib.request.urlopen({http_server.url!r})
            with pytest.raises(PolicyViolation):
                main()

        def test_async():
            async def main():
                async with hermetic_blocker(block_network=True):
                    await asyncio.sleep(0)
                    urllib.request.urlopen({http_server.url!r})
            with pytest.raises(PolicyViolation):
                asyncio.run(main())

        def test_nesting():
            with hermetic_blocker(block_network=True):
                with hermetic_blocker(block_subprocess=True):
                    with pytest.raises(PolicyViolation):
                        os.system("true")
                os.system("true")
                with pytest.raises(PolicyViolation):
                    urllib.request.urlopen({http_server.url!r})
            urllib.request.urlopen({http_server.url!r}).read()

        def test_catching(capsys):
            with hermetic_blocker(block_subprocess=True):
                try:
                    import os
                    os.system("echo hi")
                except PolicyViolation as e:
                    print(f"blocked: {{e}}")
            assert capsys.readouterr().out == "blocked: subprocess disabled\\n"

        def test_agent_runner(tmp_path):
            ws = tmp_path / "agent-workspace"
            ws.mkdir()
            (ws / "input.txt").write_text("hello")
            @with_hermetic(
                block_network=True,
                allow_domains=["api.openai.com", "api.anthropic.com"],
                block_subprocess=True,
                fs_readonly=True,
                fs_root=str(ws),
                block_environment=True,
                block_code_exec=True,
                block_interpreter_mutation=True,
                deny_imports=["pickle", "marshal"],
                block_native=True,
                trace=True,
            )
            def run_agent_tool(tool_call):
                return tool_call()
            assert run_agent_tool(lambda: open(ws / "input.txt").read()) == "hello"
            for bad in (lambda: os.system("x"), lambda: eval("1"),
                        lambda: __import__("pickle"), lambda: os.environ["HOME"],
                        lambda: open(ws / "out.txt", "w")):
                with pytest.raises(PolicyViolation):
                    run_agent_tool(bad)
    """))
    r = run([PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-q",
             str(test_file)], env_extra={"PYTHONPATH": PYTHONPATH},
            cwd=tmp_path, timeout=300)
    assert r.rc == 0, str(r)
    assert "7 passed" in r.out, str(r)


# --------------------------------------------------------------------------
# robustness: re-import, subinterpreters, fork
# --------------------------------------------------------------------------

def test_reimported_native_keeps_one_hook_and_the_originals():
    o, _ = check("""
        import builtins, os, sys
        before = builtins.eval
        del sys.modules["hermetic._native"]
        import hermetic._native as n2
        note("rewrapped", builtins.eval is not before)
        with hermetic_blocker(block_subprocess=True, block_code_exec=True):
            attempt("system", os.system, "true")
            attempt("eval", eval, "1")
        attempt("eval_after", eval, "1 + 1")
        note("depth", n2.depth())
    """)
    assert o["system"].blocked and o["eval"].blocked
    assert o["eval"].message == "dynamic code execution disabled: eval"
    assert o["eval_after"].value == "2"
    assert o["depth"].value == (0, 0)


def test_subinterpreters_are_covered():
    inner = textwrap.dedent(f"""
        import os, sys
        try:
            os.system("true"); print("@@['bare', 'value', 'ran']")
        except Exception as e:
            print("@@" + repr(["bare", "value", [type(e).__name__, str(e)]]))
        sys.path.insert(0, {PYTHONPATH!r})
        import hermetic
        try:
            os.system("true"); print("@@['with', 'value', 'ran']")
        except Exception as e:
            print("@@" + repr(["with", "value", [type(e).__name__, str(e)]]))
    """)
    o, _ = check(f"""
        import _xxsubinterpreters as si
        interp = si.create()
        with hermetic_blocker(block_subprocess=True):
            # No hermetic in the subinterpreter: the process-wide hook
            # still denies (PermissionError); with it, a PolicyViolation.
            si.run_string(interp, {inner!r})
        si.run_string(interp, 'import os; print("@@" + repr(["after", "value", os.system("true")]))')
    """)
    assert o["bare"].value == ["PermissionError", "subprocess disabled"]
    assert o["with"].value == ["PolicyViolation", "subprocess disabled"]
    assert o["after"].value == 0


def test_forked_child_has_its_own_stack():
    o, _ = check("""
        import os, hermetic._native as n
        with hermetic_blocker(block_network=True):
            pid = os.fork()
            if pid == 0:
                with hermetic_blocker(block_subprocess=True):
                    note("child_depth", n.depth()[1])
                    attempt("child_system", os.system, "true")
                note("child_after", n.depth()[1])
                os._exit(0)
            os.waitpid(pid, 0)
            note("parent_depth", n.depth()[1])
        attempt("parent_system", os.system, "true")
    """)
    assert o["child_depth"].value == 2 and o["child_system"].blocked
    assert o["child_after"].value == 1
    assert o["parent_depth"].value == 1 and o["parent_system"].ok
