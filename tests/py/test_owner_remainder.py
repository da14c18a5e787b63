"""What docs/api.md ("Who can leave a block") says remains possible, checked
claim by claim (issue 8 class 3's documented remainder).

Each remaining way out is shown to work exactly as documented, next to
the neighbouring case that the owner rule still refuses, so a change in
either direction fails here and the page has to be updated.
"""

from pyhelpers import check

SETUP = r'''
import gc, sys, socket, threading
from hermetic import _native
from hermetic._blocker import HermeticBlocker

def net():
    # A loopback connect to port 9: refused under block_network; with the
    # block gone, the kernel refuses it (no listener), which is "open".
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", 9))
    except ConnectionRefusedError:
        pass
    finally:
        s.close()
    return "open"

def exit_all():
    """Untrusted code: __exit__ every blocker gc can find."""
    for o in gc.get_objects():
        if isinstance(o, HermeticBlocker):
            try:
                o.__exit__(None, None, None)
            except PermissionError:
                pass
'''


def test_manual_enter_can_be_left_by_code_in_the_same_thread():
    """Claim: a block entered by a plain function that has returned (setUp)
    can be left by any code of the same thread and context, including
    code called inside it; not from another thread."""
    got, r = check(SETUP + r'''
b = hermetic_blocker(block_network=True)
def set_up():
    b.__enter__()

set_up()
def from_thread():
    exit_all()
t = threading.Thread(target=from_thread)
t.start()
t.join()
attempt("after_other_thread", net)      # refused: another thread
def untrusted():
    exit_all()
untrusted()
attempt("after_same_thread", net)       # the documented remainder
''')
    assert got["after_other_thread"].blocked, r
    assert got["after_same_thread"].ok, r


def test_with_statement_block_cannot_be_left_the_same_way():
    """Control for the claim above: prefer a with statement around
    untrusted code; there the same call is refused."""
    got, r = check(SETUP + r'''
with hermetic_blocker(block_network=True):
    exit_all()
    attempt("inside", net)
attempt("outside", net)
''')
    assert got["inside"].blocked, r
    assert got["outside"].ok, r


def test_suspended_generator_block_ends_when_closed():
    """Claim: a block held by a suspended generator ends when code that
    reaches the generator closes it (as a teardown would); calling the
    blocker's __exit__ directly is still refused."""
    got, r = check(SETUP + r'''
import types
def fixture():
    with hermetic_blocker(block_network=True):
        yield

g = fixture()
next(g)
exit_all()
attempt("exit_refused", net)
for o in gc.get_objects():
    if isinstance(o, types.GeneratorType) and o.gi_code.co_name == "fixture":
        o.close()
attempt("after_close", net)
''')
    assert got["exit_refused"].blocked, r
    assert got["after_close"].ok, r


def test_replaced_method_needs_the_entering_frame():
    """Claim: code that makes one of HermeticBlocker's methods run the
    blocker's own __exit__ gets the block removed only if the entering frame
    then uses the blocker inside the block."""
    got, r = check(SETUP + r'''
import types
orig_repr = HermeticBlocker.__repr__

def untrusted_patch():
    # The blocker's own __exit__ code, with defaults, as __repr__.
    HermeticBlocker.__repr__ = types.FunctionType(
        HermeticBlocker.__exit__.__code__,
        sys.modules["hermetic._blocker"].__dict__, "__repr__",
        (None, None, None))

b = hermetic_blocker(block_network=True)
with b:
    untrusted_patch()
    exit_all()                  # other frames: still refused
    attempt("not_used", net)
HermeticBlocker.__repr__ = orig_repr
attempt("not_used_after", net)

b2 = hermetic_blocker(block_network=True)
with b2:
    untrusted_patch()
    try:
        repr(b2)                # the entering frame itself uses it
    except TypeError:
        pass
    attempt("used_by_entering_frame", net)
HermeticBlocker.__repr__ = orig_repr
''')
    assert got["not_used"].blocked, r
    assert got["not_used_after"].ok, r
    assert got["used_by_entering_frame"].ok, r


def test_sealed_block_survives_every_remaining_way():
    """Claim: use sealed=True for a block that must never end."""
    got, r = check(SETUP + r'''
s = hermetic_blocker(block_network=True, sealed=True)
def set_up():
    s.__enter__()
set_up()
exit_all()
import types
HermeticBlocker.__repr__ = types.FunctionType(
    HermeticBlocker.__exit__.__code__,
    sys.modules["hermetic._blocker"].__dict__, "__repr__", (None, None, None))
try:
    repr(s)
except TypeError:
    pass
try:
    _native.pop(s._sealed_id, s)
    note("pop", "popped")
except PermissionError as e:
    note("pop", "refused")
attempt("still", net)
''')
    assert got["pop"].value == "refused", r
    assert got["still"].blocked, r


def test_proc_self_mem_refused_inside_a_block():
    """Claim: native code's usual way to patch the interpreter in place,
    writing /proc/self/mem, is refused while a guard is active; reading it
    outside a block (the control) is allowed."""
    got, r = check(SETUP + r'''
def write_mem():
    with open("/proc/self/mem", "r+b"):
        return "opened"
with hermetic_blocker(block_network=True):
    attempt("inside", write_mem)
def read_mem():
    with open("/proc/self/mem", "rb"):
        return "opened"
attempt("outside_read", read_mem)
''')
    assert got["inside"].blocked, r
    assert got["outside_read"].ok, r
