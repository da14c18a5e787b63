"""hermetic_blocker: the seed API over the policy segment.

Each ``__enter__`` pushes one entry on the process's dynamic policy stack
(through ``_native``) and remembers its id in a per-instance stack kept in
a ContextVar, so the same instance can be entered recursively, from many
threads and from many asyncio tasks; each ``__exit__`` pops exactly the
entry its own ``__enter__`` pushed. Every layer (Python audit hook, libc
shim, children) sees an entry as soon as it is pushed. An action is
allowed only if every active entry allows it, so an inner block can only
add restrictions.
"""

import _thread
import contextlib
import contextvars
import sys
import functools
import os

from . import _guards, _native

__all__ = ["HermeticBlocker", "hermetic_blocker", "with_hermetic"]

_BOOL_ARGS = (
    "block_network",
    "block_subprocess",
    "fs_readonly",
    "block_environment",
    "block_code_exec",
    "block_interpreter_mutation",
    "block_native",
    "allow_localhost",
    "trace",
    "sealed",
)

_FLAG_OF = {
    "block_network": _native.F_BLOCK_NETWORK,
    "block_subprocess": _native.F_BLOCK_SUBPROCESS,
    "fs_readonly": _native.F_FS_READONLY,
    "block_environment": _native.F_BLOCK_ENVIRONMENT,
    "block_code_exec": _native.F_BLOCK_CODE_EXEC,
    "block_interpreter_mutation": _native.F_BLOCK_INTERP_MUTATION,
    "block_native": _native.F_BLOCK_NATIVE,
    "allow_localhost": _native.F_ALLOW_LOCALHOST,
    "trace": _native.F_TRACE,
}

# Flags a profile may contribute (profiles never set fs_root or sealed).
_PROFILE_MASK = (
    _native.F_BLOCK_NETWORK | _native.F_ALLOW_LOCALHOST
    | _native.F_BLOCK_SUBPROCESS | _native.F_FS_READONLY
    | _native.F_BLOCK_NATIVE | _native.F_BLOCK_ENVIRONMENT
    | _native.F_BLOCK_CODE_EXEC | _native.F_BLOCK_INTERP_MUTATION
)

# Entry ids this context pushed, per blocker instance: {key: (id, ...)}.
_ENTRIES = contextvars.ContextVar("hermetic_entries", default=None)

_CO_COROUTINE = 0x0080
_CO_GENERATOR = 0x0020
_CO_ASYNC_GENERATOR = 0x0200


def _code_flags(func):
    while isinstance(func, functools.partial):
        func = func.func
    func = getattr(func, "__func__", func)
    code = getattr(func, "__code__", None)
    return code.co_flags if code is not None else 0


def _string_list(name, value):
    """A list of str from an iterable; TypeError for str/bytes/non-str."""
    if isinstance(value, (str, bytes, bytearray)):
        raise TypeError(
            f"{name} must be an iterable of str, not a single "
            f"{type(value).__name__} (did you mean [{value!r}]?)")
    try:
        items = list(value)
    except TypeError:
        raise TypeError(
            f"{name} must be an iterable of str, not "
            f"{type(value).__name__}") from None
    for item in items:
        if not isinstance(item, str):
            raise TypeError(
                f"{name} entries must be str, not {type(item).__name__}")
    return items


def _path_list(name, value):
    """A list of non-empty path str from an iterable of str/PathLike;
    TypeError for a single str/bytes/PathLike or other types."""
    if isinstance(value, (str, bytes, bytearray, os.PathLike)):
        raise TypeError(
            f"{name} must be an iterable of paths, not a single "
            f"{type(value).__name__} (did you mean [{value!r}]?)")
    try:
        items = list(value)
    except TypeError:
        raise TypeError(
            f"{name} must be an iterable of paths, not "
            f"{type(value).__name__}") from None
    paths = []
    for item in items:
        if isinstance(item, os.PathLike):
            item = os.fspath(item)
        if not isinstance(item, str):
            raise TypeError(
                f"{name} entries must be str or os.PathLike, not "
                f"{type(item).__name__}")
        if not item or "\0" in item:
            raise ValueError(f"{name} entries must be non-empty paths "
                             f"without NUL: {item!r}")
        paths.append(item)
    return paths


class HermeticBlocker(contextlib.ContextDecorator,
                      contextlib.AbstractAsyncContextManager):
    """A validated policy that can be entered, awaited and used as a decorator.

    Create it with :func:`hermetic_blocker`. The policy is validated once,
    at creation; ``fs_root`` is resolved (realpath) at each entry (an
    absolute fs_root, hole or readable path: pinned to its creation-time
    realpath, see _resolved).
    """

    def __init__(self, *, flags, fs_root, domains, imports, sealed,
                 writable=(), readable=(), audit=False, resolved=None):
        self._audit = audit
        self._audit_lines = []  # JSON texts from _native (audit=True)
        self._flags = flags
        self._fs_root = fs_root
        self._writable = tuple(writable)
        self._readable = tuple(readable)
        self._domains = tuple(domains)
        self._imports = tuple(imports)
        self._sealed = sealed
        self._key = object()
        self._lock = _thread.allocate_lock()
        self._pushed = []  # every id this instance pushed, in order
        self._sealed_id = None
        # An absolute fs_root, hole or readable path is pinned to what it
        # resolved to now, when the policy was checked: a later entry must
        # not follow a symlink the blocked code put in its place (it may
        # replace a hole, or a hole inside another hole, and re-enter).
        resolved = resolved or {}
        self._pins = {p: resolved.get(p) or os.path.realpath(p)
                      for p in (fs_root, *self._writable, *self._readable)
                      if p is not None and os.path.isabs(p)}

    def _resolved(self, path):
        """@path as this entry uses it: pinned if absolute, else realpath
        against the current directory."""
        pin = self._pins.get(path)
        return pin if pin is not None else os.path.realpath(path)

    def _root(self):
        if self._fs_root is None:
            return None
        # Still an existing directory (ValueError otherwise), then the pin.
        root = _native.resolve_dir("fs_root", self._fs_root)
        pin = self._pins.get(self._fs_root)
        return pin if pin is not None else root

    # --- the policy ------------------------------------------------------

    @property
    def sealed(self):
        return self._sealed

    def __repr__(self):
        names = [n for n, f in _FLAG_OF.items() if self._flags & f]
        parts = [f"{n}=True" for n in names]
        if self._fs_root is not None:
            parts.append(f"fs_root={self._fs_root!r}")
        if self._writable:
            parts.append(f"allow_write={list(self._writable)!r}")
        if self._readable:
            parts.append(f"allow_read={list(self._readable)!r}")
        if self._domains:
            parts.append(f"allow_domains={list(self._domains)!r}")
        if self._imports:
            parts.append(f"deny_imports={list(self._imports)!r}")
        if self._sealed:
            parts.append("sealed=True")
        if self._audit:
            parts.append("audit=True")
        return f"hermetic_blocker({', '.join(parts)})"

    # --- audit mode (audit=True) ---------------------------------------------

    @property
    def audit(self):
        return self._audit

    @property
    def audit_records(self):
        """audit=True: the records (dicts, docs/audit.schema.json) of every
        action this block would have refused, so far."""
        import json  # lazily: json loads _json, which some tests watch
        return [json.loads(x) for x in list(self._audit_lines)]

    def audit_report(self):
        """The records as a report dict (docs/audit.schema.json)."""
        return {"version": 1, "command": list(sys.argv) or [""],
                "unreadable_records": 0, "records": self.audit_records}

    def write_audit_report(self, path):
        """Write :meth:`audit_report` as JSON to @path."""
        import json
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.audit_report(), f, indent=2)
            f.write("\n")

    def _push(self):
        root = self._root()
        if self._imports or self._flags & (_native.F_BLOCK_INTERP_MUTATION
                                           | _native.F_BLOCK_NATIVE):
            _guards.reguard(self._flags)
        # Writable holes, like the root, are resolved once per entry
        # (absolute ones: pinned at creation).
        holes = tuple(self._resolved(w) for w in self._writable)
        reads = tuple(self._resolved(r) for r in self._readable)
        return _native.push(self._flags, root, holes, self._domains,
                            self._imports, self._sealed, reads, self)

    # --- sync protocol -----------------------------------------------------

    def _audit_add(self):
        root = self._root()
        holes = tuple(self._resolved(w) for w in self._writable)
        reads = tuple(self._resolved(r) for r in self._readable)
        return _native.audit_add(self._flags, root, holes, self._domains,
                                 self._imports, reads, self._audit_lines)

    def __enter__(self):
        if self._audit:
            entry = self._audit_add()
            with self._lock:
                self._pushed.append(entry)
            return self
        if self._sealed:
            with self._lock:
                if self._sealed_id is None:
                    self._sealed_id = self._push()
            return self
        entry = self._push()
        with self._lock:
            self._pushed.append(entry)
        entries = _ENTRIES.get() or {}
        mine = entries.get(self._key, ()) + (entry,)
        _ENTRIES.set({**entries, self._key: mine})
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._audit:
            with self._lock:
                entry = self._pushed.pop() if self._pushed else None
            if entry is not None:
                _native.audit_remove(entry)
            return False
        if self._sealed:
            return False  # a sealed entry stays for the process's life
        entries = _ENTRIES.get() or {}
        mine = entries.get(self._key, ())
        entry = None
        with self._lock:
            if mine and mine[-1] in self._pushed:
                candidates = [mine[-1]]
            else:
                # Exited in another context than it was entered in (a
                # generator resumed elsewhere): the newest entry of this
                # instance that this frame entered.
                candidates = self._pushed[::-1]
            refused = None
            for cand in candidates:
                # _native decides whether this caller may remove it (the
                # frame that entered it; see _native.pop): a refusal
                # leaves the entry and this bookkeeping.
                try:
                    _native.pop(cand, self)
                except PermissionError as e:
                    refused = e
                    continue
                entry = cand
                self._pushed.remove(entry)
                break
            if entry is None and refused is not None:
                raise refused
        if mine:
            rest = tuple(e for e in mine if e != entry)
            new = dict(entries)
            if rest:
                new[self._key] = rest
            else:
                new.pop(self._key, None)
            _ENTRIES.set(new)
        return False

    # --- async protocol ------------------------------------------------------

    async def __aenter__(self):
        return self.__enter__()

    async def __aexit__(self, exc_type, exc, tb):
        return self.__exit__(exc_type, exc, tb)

    # --- decorator ---------------------------------------------------------

    def _recreate_cm(self):
        return self

    def __call__(self, func):
        flags = _code_flags(func)
        if flags & _CO_COROUTINE:
            @functools.wraps(func)
            async def async_wrapper(*args, **kwargs):
                async with self:
                    return await func(*args, **kwargs)
            return async_wrapper
        if flags & _CO_ASYNC_GENERATOR:
            @functools.wraps(func)
            async def agen_wrapper(*args, **kwargs):
                async with self:
                    agen = func(*args, **kwargs)
                    try:
                        value = await agen.__anext__()
                        while True:
                            try:
                                sent = yield value
                            except GeneratorExit:
                                await agen.aclose()
                                raise
                            except BaseException as e:  # noqa: B902
                                value = await agen.athrow(e)
                            else:
                                value = await agen.asend(sent)
                    except StopAsyncIteration:
                        return
            return agen_wrapper
        if flags & _CO_GENERATOR:
            @functools.wraps(func)
            def gen_wrapper(*args, **kwargs):
                with self:
                    return (yield from func(*args, **kwargs))
            return gen_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return wrapper


# The entering frame of a block is the first one outside these methods.
try:
    _native._bind_blocker(HermeticBlocker)
except RuntimeError:
    pass  # a re-imported copy: the first class stays the bound one


def _merge_policy_file(args, policy):
    """OR the policy file @policy into the keyword dict @args, the way the
    launcher merges --policy FILE with its flags. The file is parsed by
    the launcher's own C parser (json-c), through _native."""
    if isinstance(policy, os.PathLike):
        policy = os.fspath(policy)
    if not isinstance(policy, str):
        raise TypeError(
            f"policy must be a path (str or os.PathLike), not "
            f"{type(policy).__name__}")
    spec = _native.load_policy_file(policy)
    for name in _BOOL_ARGS:
        if spec[name] and args[name] is False:
            args[name] = True
    args["allow_domains"] = (_string_list("allow_domains", args["allow_domains"])
                             + spec["allow_domains"])
    args["deny_imports"] = (_string_list("deny_imports", args["deny_imports"])
                            + spec["deny_imports"])
    args["allow_write"] = (_path_list("allow_write", args["allow_write"])
                           + spec["allow_write"])
    args["allow_read"] = (_path_list("allow_read", args["allow_read"])
                          + spec["allow_read"])
    root = spec["fs_root"]
    if root is not None:
        mine = args["fs_root"]
        if mine is not None and os.path.realpath(mine) != os.path.realpath(root):
            raise ValueError(
                f"policy file {policy}: fs_root {root!r} differs from "
                f"fs_root={mine!r}")
        args["fs_root"] = root


def hermetic_blocker(
    *,
    block_network=False,
    block_subprocess=False,
    fs_readonly=False,
    fs_root=None,
    block_environment=False,
    block_code_exec=False,
    block_interpreter_mutation=False,
    block_native=False,
    allow_localhost=False,
    allow_domains=(),
    deny_imports=(),
    trace=False,
    sealed=False,
    profile=None,
    allow_write=(),
    allow_read=(),
    policy=None,
    audit=False,
):
    """Build a policy block: a context manager, async context manager and
    decorator (sync and async functions) that enforces the policy while
    active. All arguments are keyword-only; see docs/api.md.
    """
    args = dict(locals())
    if policy is not None:
        _merge_policy_file(args, policy)
        fs_root, allow_write = args["fs_root"], args["allow_write"]
        allow_read = args["allow_read"]
        allow_domains, deny_imports = args["allow_domains"], args["deny_imports"]
        sealed = args["sealed"]
    for name in _BOOL_ARGS:
        if not isinstance(args[name], bool):
            raise TypeError(
                f"{name} must be a bool, not {type(args[name]).__name__}")
    flags = 0
    for name, bit in _FLAG_OF.items():
        if args[name]:
            flags |= bit
    if profile is not None:
        if not isinstance(profile, str):
            raise TypeError(
                f"profile must be a str, not {type(profile).__name__}")
        flags |= _native.profile_flags(profile) & _PROFILE_MASK
    if fs_root is not None:
        if isinstance(fs_root, os.PathLike):
            fs_root = os.fspath(fs_root)
        if not isinstance(fs_root, str):
            raise TypeError(
                f"fs_root must be a str or None, not "
                f"{type(fs_root).__name__}")
        if not fs_root:
            raise ValueError("fs_root must not be empty")
        if "\0" in fs_root:
            raise ValueError("fs_root must not contain NUL")
        if not flags & _native.F_FS_READONLY:
            raise ValueError("fs_root requires fs_readonly=True")
        # The launcher's rule, from the core: an existing directory (fail
        # closed now, not with every read refused later).
        _native.resolve_dir("fs_root", fs_root)
    writable = _path_list("allow_write", allow_write)
    if writable and not flags & _native.F_FS_READONLY:
        raise ValueError("allow_write requires fs_readonly=True")
    # The launcher's rule (--allow-write): each hole is an existing
    # directory, checked now by the core's validation; an absolute one is
    # pinned to this resolution, a relative one resolved again at entry.
    holes = tuple(_native.resolve_dir("allow_write", w) for w in writable)
    readable = _path_list("allow_read", allow_read)
    if readable and fs_root is None:
        raise ValueError("allow_read requires fs_root (without a root "
                         "every read is allowed)")
    domains = [_native.normalize_domain(d)
               for d in _string_list("allow_domains", allow_domains)]
    imports = [_native.normalize_import(n)
               for n in _string_list("deny_imports", deny_imports)]
    # The lists share one pool per block (the core's HM_POOL_MAX bytes):
    # build the policy once now, so one that does not fit is a ValueError
    # here rather than at entry.
    root = None if fs_root is None else _native.resolve_dir("fs_root", fs_root)
    reads = tuple(os.path.realpath(r) for r in readable)
    _native.check_policy(flags, root, holes, domains, imports, reads)
    # What was checked is what later entries use (absolute paths: pinned).
    resolved = dict(zip(writable, holes))
    resolved.update(zip(readable, reads))
    if fs_root is not None:
        resolved[fs_root] = root
    if not isinstance(audit, bool):
        raise TypeError(f"audit must be a bool, not {type(audit).__name__}")
    if audit and sealed:
        raise ValueError("audit=True cannot be sealed (it enforces nothing)")
    return HermeticBlocker(flags=flags, fs_root=fs_root, domains=domains,
                           imports=imports, sealed=sealed, writable=writable,
                           readable=readable, audit=audit, resolved=resolved)


def with_hermetic(**kwargs):
    """Alias of :func:`hermetic_blocker`, kept for readability as a decorator."""
    return hermetic_blocker(**kwargs)
