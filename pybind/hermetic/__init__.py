"""hermetic: refuse network, subprocess, file system writes and more, from
inside Python (``hermetic_blocker``) or around any program (the
``hermetic`` launcher).

Importing this package loads ``hermetic._native``, which attaches to the
process's policy segment (the libc shim's when ``libhermetic.so`` is
preloaded, otherwise a private one) and installs the Python layer: one C
audit hook plus a few permanent guards for what raises no audit event.
Nothing is blocked until a policy is active.
"""

# What the package imports after _native installs the audit hook is
# imported first, so a base policy that refuses fresh imports (an
# unreadable HERMETIC_POLICY fails closed) cannot half-load hermetic.
# hermetic's own modules are never refused. Kept small: every Python
# target under the launcher pays for it at start-up.
import _thread  # noqa: F401
import os  # noqa: F401
import sys  # noqa: F401

from . import errors
from .errors import *  # noqa: F401,F403  (every exception, errors.__all__)
from . import _guards  # noqa: E402  (imports _native)
from . import _native  # noqa: E402

_guards.install()

# The one version number is CMake's project(VERSION), compiled into _native.
__version__ = _native.VERSION

__all__ = [
    "__version__",
    "hermetic_blocker",
    "with_hermetic",
    "HermeticBlocker",
    *errors.__all__,
    "layers",
    "counters",
    "profiles",
]


_LAZY = ("hermetic_blocker", "with_hermetic", "HermeticBlocker")


def __getattr__(name):
    # The API module (and contextlib, contextvars) load on first use, so a
    # launched Python target that never calls it does not pay for them.
    if name in _LAZY:
        from . import _blocker

        for n in _LAZY:
            globals()[n] = getattr(_blocker, n)
        return globals()[name]
    raise AttributeError(f"module 'hermetic' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


def layers():
    """The enforcement layers live in this process, as a frozenset.

    ``"python"``: the audit hook (always, once hermetic is imported);
    ``"libc"``: libhermetic.so is preloaded and shares this process's
    policy segment, so blocks also govern C extensions, ctypes calls and
    child processes; ``"kernel"``: the launcher sealed the process with
    the kernel layer (``--seal``).
    """
    return frozenset(_native.layers())


def counters():
    """Blocks counted per family in this process (a dict of ints)."""
    return _native.counters()


def profiles():
    """The names accepted by ``hermetic_blocker(profile=...)``."""
    return list(_native.profiles())
