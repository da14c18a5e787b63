"""Exceptions raised by hermetic.

Every blocked action raises a :class:`PolicyViolation` (a ``RuntimeError``)
carrying the original tool's message, ``.guard`` (which guard refused it)
and ``.target`` (a host, path, module name, ... or None). Some violations
are also instances of a standard exception class, so standard-library code
that tolerates a missing module or an unwritable file keeps working:

* :class:`ImportBlocked` (and :class:`NativeImportBlocked`) are also
  ``ImportError``, so ``try: import _json / except ImportError:`` fallbacks
  see a blocked import as a missing module;
* :class:`FilesystemBlocked` is also ``PermissionError`` (errno EACCES),
  the error the libc layer reports for the same action;
* :class:`SocketBlocked` (a socket family or type refused at creation) is
  also ``PermissionError``, so ``except OSError`` feature probes see the
  family as unavailable;
* :class:`ConnectBlocked` (a connect, sendto or sendmsg to a refused peer)
  is also an ``OSError`` with errno ENETUNREACH, what the libc layer and an
  offline machine say, and :class:`LookupBlocked` (a refused name lookup)
  is also a ``socket.gaierror`` (:class:`AddressLookupBlocked`, a refused
  ``gethostbyaddr``, a ``socket.herror``), so HTTP clients (urllib3,
  requests, pip, asyncio) take their normal network-error path instead of
  dying with a traceback.
"""

import errno as _errno

import _socket

__all__ = [
    "HermeticError",
    "PolicyViolation",
    "ImportBlocked",
    "NativeImportBlocked",
    "FilesystemBlocked",
    "SocketBlocked",
    "ConnectBlocked",
    "LookupBlocked",
    "AddressLookupBlocked",
]

# netdb.h: EAI_FAIL ("non-recoverable failure in name resolution") and
# NO_RECOVERY, the codes clients do not retry (the libc layer's h_errno).
_EAI_FAIL = getattr(_socket, "EAI_FAIL", -4)
_NO_RECOVERY = 3


class HermeticError(RuntimeError):
    """Base class of every hermetic exception."""


class PolicyViolation(HermeticError):
    """An action refused by the active hermetic policy.

    ``str(exc)`` is the message (for example ``network disabled:
    connect(127.0.0.1)``); ``guard`` is one of ``"network"``,
    ``"subprocess"``, ``"filesystem"``, ``"environment"``, ``"code_exec"``,
    ``"interpreter"``, ``"imports"`` (or None); ``target`` is an optional
    detail such as the host, path or module name.
    """

    def __init__(self, message="", *, guard=None, target=None):
        super().__init__(message)
        self.message = message
        self.guard = guard
        self.target = target

    def __str__(self):
        return self.message

    def __reduce__(self):
        return (_rebuild, (type(self), self.message, self.guard, self.target))


def _rebuild(cls, message, guard, target):
    return cls(message, guard=guard, target=target)


class ImportBlocked(PolicyViolation, ImportError):
    """An import refused by ``deny_imports`` (also an ``ImportError``)."""

    def __init__(self, message="", *, guard="imports", target=None):
        PolicyViolation.__init__(self, message, guard=guard, target=target)
        ImportError.__init__(self, message, name=target)


class NativeImportBlocked(ImportBlocked):
    """An extension-module import refused by ``block_native``."""


class SocketBlocked(PolicyViolation, PermissionError):
    """A socket family or type refused by ``block_network`` at creation
    (``socket(AF_PACKET, ...)``, ``AF_CAN``, raw IP, ...).

    Also a ``PermissionError`` with errno EACCES, as the libc layer says, so
    ``except OSError`` feature probes treat the family as unavailable.
    """

    def __init__(self, message="", *, guard="network", target=None):
        PolicyViolation.__init__(self, message, guard=guard, target=target)
        PermissionError.__init__(self, _errno.EACCES, message)

    def __str__(self):
        return self.message


class FilesystemBlocked(PolicyViolation, PermissionError):
    """A file system action refused by ``fs_readonly``/``fs_root``.

    Also a ``PermissionError`` with errno EACCES and ``filename`` set.
    """

    def __init__(self, message="", *, guard="filesystem", target=None):
        PolicyViolation.__init__(self, message, guard=guard, target=target)
        PermissionError.__init__(self, _errno.EACCES, message, target)

    def __str__(self):
        return self.message


class ConnectBlocked(PolicyViolation, OSError):
    """A connect, sendto or sendmsg to a peer refused by ``block_network``.

    Also an ``OSError`` with errno ENETUNREACH ("Network is unreachable"),
    what the libc layer returns for the same call and what an offline
    machine says: clients give up at once (no ``ECONNREFUSED`` retry loop)
    and report it as a network failure. ``str(exc)`` stays the message
    (``network disabled: connect(127.0.0.2)``).
    """

    def __init__(self, message="", *, guard="network", target=None):
        PolicyViolation.__init__(self, message, guard=guard, target=target)
        OSError.__init__(self, _errno.ENETUNREACH, message)

    def __str__(self):
        return self.message


class LookupBlocked(PolicyViolation, _socket.gaierror):
    """A name lookup (``getaddrinfo``, ``gethostbyname``, ``getnameinfo``,
    a connect to a name) refused by ``block_network``.

    Also a ``socket.gaierror`` with errno ``EAI_FAIL`` (a non-recoverable
    failure, not the retryable ``EAI_AGAIN``).
    """

    def __init__(self, message="", *, guard="network", target=None):
        PolicyViolation.__init__(self, message, guard=guard, target=target)
        _socket.gaierror.__init__(self, _EAI_FAIL, message)

    def __str__(self):
        return self.message


class AddressLookupBlocked(PolicyViolation, _socket.herror):
    """A reverse lookup (``gethostbyaddr`` of an address) refused by
    ``block_network``. Also a ``socket.herror`` with ``NO_RECOVERY``, the
    libc layer's ``h_errno`` for the same call.
    """

    def __init__(self, message="", *, guard="network", target=None):
        PolicyViolation.__init__(self, message, guard=guard, target=target)
        _socket.herror.__init__(self, _NO_RECOVERY, message)

    def __str__(self):
        return self.message
