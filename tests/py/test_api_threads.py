"""Concurrency: 8 threads entering and leaving blocks while others perform
guarded calls, one instance shared by threads and by asyncio tasks, and
no entry leaked afterwards. Each scenario runs in a fresh interpreter."""

from pyhelpers import check


def test_eight_threads_enter_and_leave_while_others_call(workdir):
    o, _ = check(f"""
        import os, threading, hermetic._native as n
        shared = hermetic_blocker(block_subprocess=True)
        stop = threading.Event()
        errors = []
        inside_ok = [0]
        def enterer(i):
            own = hermetic_blocker(fs_readonly=True) if i % 2 else shared
            try:
                for _ in range(300):
                    with own:
                        with shared:
                            # Inside: both must be refused, every time.
                            try:
                                os.system("true")
                                errors.append("subprocess allowed inside")
                            except PolicyViolation:
                                pass
            except BaseException as e:
                errors.append(repr(e))
        def caller():
            # Outside any block of its own: sees whatever is active, but
            # never crashes and never gets anything but ok/violation.
            while not stop.is_set():
                try:
                    os.stat("/")
                    open({str(workdir / "probe")!r}, "w").close()
                except PolicyViolation:
                    pass
                except BaseException as e:
                    errors.append(repr(e))
        callers = [threading.Thread(target=caller) for _ in range(2)]
        for t in callers:
            t.start()
        threads = [threading.Thread(target=enterer, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
        for t in callers:
            t.join()
        note("errors", errors[:5])
        note("depth", n.depth()[1])
        attempt("free_sub", os.system, "true")
        attempt("free_fs", lambda: open({str(workdir / "after")!r}, "w").close())
    """, timeout=300)
    assert o["errors"].value == []
    assert o["depth"].value == 0
    assert o["free_sub"].ok and o["free_fs"].ok


def test_decorated_function_called_from_threads_at_once():
    o, _ = check("""
        import os, threading, time, hermetic._native as n
        barrier = threading.Barrier(8)
        @with_hermetic(block_subprocess=True)
        def work():
            barrier.wait()
            time.sleep(0.01)
            try:
                os.system("true")
                return "ran"
            except PolicyViolation:
                return "blocked"
        results = []
        ts = [threading.Thread(target=lambda: results.append(work()))
              for _ in range(8)]
        for t in ts: t.start()
        for t in ts: t.join()
        note("results", sorted(set(results)))
        note("depth", n.depth()[1])
        attempt("free", os.system, "true")
    """)
    assert o["results"].value == ["blocked"]
    assert o["depth"].value == 0 and o["free"].ok


def test_policy_is_process_wide():
    # Documented: no per-thread sandbox; another thread hits the guard.
    o, _ = check("""
        import os, threading
        got = []
        go, done = threading.Event(), threading.Event()
        def other():
            go.wait()
            try:
                os.system("true"); got.append("ran")
            except PolicyViolation:
                got.append("blocked")
            done.set()
        t = threading.Thread(target=other); t.start()
        with hermetic_blocker(block_subprocess=True):
            go.set(); done.wait()
        t.join()
        note("other", got)
    """)
    assert o["other"].value == ["blocked"]


def test_shared_instance_across_asyncio_tasks():
    o, _ = check("""
        import asyncio, os, hermetic._native as n
        shared = hermetic_blocker(block_subprocess=True)
        async def task(i):
            async with shared:
                await asyncio.sleep(0.001 * (8 - i))
                try:
                    os.system("true")
                    return "ran"
                except PolicyViolation:
                    return "blocked"
        async def main():
            return await asyncio.gather(*(task(i) for i in range(8)))
        note("results", sorted(set(asyncio.run(main()))))
        note("depth", n.depth()[1])
        attempt("free", os.system, "true")

        @shared
        async def deco(i):
            await asyncio.sleep(0.001 * i)
            return n.depth()[1] >= 1
        async def main2():
            return await asyncio.gather(*(deco(i) for i in range(8)))
        note("deco", asyncio.run(main2()))
        note("depth2", n.depth()[1])
    """)
    assert o["results"].value == ["blocked"]
    assert o["depth"].value == 0 and o["free"].ok
    assert o["deco"].value == [True] * 8
    assert o["depth2"].value == 0
