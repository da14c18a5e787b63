"""Untrusted code removes the block around it (issue 8 class 3).

Inside an unsealed ``with hermetic_blocker(...)``, code can find the blocker
(``gc.get_objects()``, a frame's ``f_locals``) and call ``__exit__``, or
call ``_native.pop`` itself. An entry may now be removed only by the object
that pushed it, from the frame that entered it (or, for a manual
``__enter__()`` whose frame has returned, from the same thread and
context). The controls are the legitimate ways to leave a block: the
``with`` statement, the decorator, ``async with``, a generator, a thread,
``contextlib.ExitStack`` and a manual enter/exit pair in separate
functions (setUp/tearDown).
"""

import pytest

from pyhelpers import check

SETUP = r'''
import gc, sys, socket, threading, types, weakref, contextlib, asyncio
from hermetic import _native
from hermetic._blocker import HermeticBlocker

def net():
    # A loopback connect: refused under block_network, and harmless (no
    # listener, ECONNREFUSED) where the block is gone. Not a name lookup:
    # "localhost" is answered from /etc/hosts and no longer refused.
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", 9))
    except ConnectionRefusedError:
        pass
    finally:
        s.close()
    return "open"

def find_blockers():
    return [o for o in gc.get_objects() if isinstance(o, HermeticBlocker)]

def via_gc():
    for o in find_blockers():
        try:
            o.__exit__(None, None, None)
        except PermissionError:
            pass

def via_f_locals():
    b = sys._getframe(1).f_locals["b"]
    try:
        b.__exit__(None, None, None)
    except PermissionError:
        pass

def via_pop():
    for o in find_blockers():
        for e in list(o._pushed):
            for args in ((e,), (e, o), (e, None)):
                try:
                    _native.pop(*args)
                except (PermissionError, TypeError, KeyError):
                    pass

def via_thread():
    b = sys._getframe(1).f_locals["b"]
    def run():
        try:
            b.__exit__(None, None, None)
        except PermissionError:
            pass
    t = threading.Thread(target=run)
    t.start()
    t.join()

def via_trusted_code():
    """The blocker's own __exit__ code, given defaults, run as a weakref
    callback that the entering frame itself triggers."""
    b = sys._getframe(1).f_locals["b"]
    fn = types.FunctionType(HermeticBlocker.__exit__.__code__,
                            sys.modules["hermetic._blocker"].__dict__,
                            "__exit__", (None, None, None))
    class R(weakref.ref):
        _sealed = False
    class Obj:
        pass
    o = Obj()
    r = R(o, fn)
    r._key, r._lock, r._pushed = b._key, b._lock, b._pushed
    KEEP.append(r)
    return o   # the caller drops it: the callback runs in its frame

KEEP = []
'''

ATTACKS = SETUP + r'''
for name, fn in (("gc", via_gc), ("f_locals", via_f_locals),
                 ("pop", via_pop), ("thread", via_thread),
                 ("trusted_code", via_trusted_code)):
    b = hermetic_blocker(block_network=True)
    with b:
        fn()
        attempt(name, net)
    attempt(name + "_after", net)
'''


def test_block_cannot_be_removed_from_inside():
    got, r = check(ATTACKS)
    for name in ("gc", "f_locals", "pop", "thread", "trusted_code"):
        assert got[name].blocked, (name, got[name], r)
        # Control: the with statement itself still leaves the block.
        assert got[name + "_after"].ok, (name, got[name + "_after"], r)


CONTROLS = SETUP + r'''
with contextlib.ExitStack() as st:
    st.enter_context(hermetic_blocker(block_network=True))
    attempt("exitstack_in", net)
attempt("exitstack_out", net)

b2 = hermetic_blocker(block_network=True)
def set_up():
    b2.__enter__()
def tear_down():
    b2.__exit__(None, None, None)
set_up()
attempt("manual_in", net)
tear_down()
attempt("manual_out", net)

@hermetic_blocker(block_network=True)
def decorated():
    via_gc()
    return net()
attempt("decorated", decorated)
attempt("decorated_out", net)

async def amain():
    async with hermetic_blocker(block_network=True):
        via_gc()
        attempt("async_in", net)
asyncio.run(amain())
attempt("async_out", net)

def gen():
    with hermetic_blocker(block_network=True):
        yield 1
        yield 2
g = gen()
next(g)
via_gc()  # the consumer runs while the generator is suspended
attempt("gen_suspended", net)
next(g)
g.close()
attempt("gen_closed", net)

def in_thread():
    with hermetic_blocker(block_network=True):
        attempt("thread_in", net)
t = threading.Thread(target=in_thread)
t.start()
t.join()
attempt("thread_out", net)

b3 = hermetic_blocker(block_network=True)
with b3:
    with b3:
        attempt("recursive_in", net)
    attempt("recursive_mid", net)
attempt("recursive_out", net)

s = hermetic_blocker(fs_readonly=True, sealed=True)
s.__enter__()
try:
    _native.pop(s._sealed_id, s)
    note("sealed_pop", "popped")
except PermissionError as e:
    note("sealed_pop", str(e))
'''


def test_legitimate_exits_still_work():
    got, r = check(CONTROLS)
    for label in ("exitstack_in", "manual_in", "decorated", "async_in",
                  "gen_suspended", "thread_in", "recursive_in",
                  "recursive_mid"):
        assert got[label].blocked, (label, got[label], r)
    for label in ("exitstack_out", "manual_out", "decorated_out",
                  "async_out", "gen_closed", "thread_out", "recursive_out"):
        assert got[label].ok, (label, got[label], r)
    assert "sealed" in got["sealed_pop"].value, got


@pytest.mark.parametrize("preload", [False, True],
                         ids=["python-only", "with-shim"])
def test_gc_exit_refused_with_and_without_shim(preload):
    got, r = check(SETUP + r'''
b = hermetic_blocker(block_network=True)
with b:
    via_gc()
    attempt("inside", net)
attempt("outside", net)
''', preload=preload)
    assert got["inside"].blocked, r
    assert got["outside"].ok, r
