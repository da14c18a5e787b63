"""Small permanent guards for what raises no audit event.

Installed once, at ``import hermetic``, and never removed (there is no
uninstall function). Each one asks ``_native`` on every call and is
transparent while no active layer blocks its family:

* ``os.environ`` / ``os.environb`` (and ``posix.environ``): reads raise
  ``environment disabled``, writes ``environment mutation disabled`` under
  block_environment. The backing dict moves into ``_native``; the
  ``_data`` attribute becomes a checked property.
* ``sys.path``, ``sys.meta_path``, ``sys.path_hooks``: list subclasses that
  refuse mutation under block_interpreter_mutation.
* ``sys.path_importer_cache``: a dict subclass that refuses writes under
  block_interpreter_mutation unless the writer is the import system
  itself (frozen importlib, the stdlib ``importlib`` package, ``pkgutil``,
  ``zipimport``), so first-time imports keep working.
* ``importlib.import_module``: the deny_imports check for modules that are
  already loaded (fresh imports are checked by the audit hook).
* ``os.mkfifo`` / ``os.mknod`` (no audit event): read-only checks.
"""

import os
import sys

from . import _native


def _wraps(orig, wrapper):
    """functools.wraps without importing functools (start-up cost)."""
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        try:
            setattr(wrapper, attr, getattr(orig, attr))
        except (AttributeError, TypeError):
            pass
    wrapper.__wrapped__ = orig
    wrapper._hermetic_guard = True
    return wrapper

_LIST_LABELS = ("path", "meta_path", "path_hooks")


def _checked(name):
    def method(self, *args, **kwargs):
        _native.check_interp(self._hm_label)
        return getattr(list, name)(self, *args, **kwargs)

    method.__name__ = name
    method.__qualname__ = "GuardedList." + name
    return method


class GuardedList(list):
    """A list that refuses mutation while interpreter mutation is blocked."""

    __slots__ = ("_hm_label",)

    def __init__(self, iterable=(), label="sys.path"):
        list.__init__(self, iterable)
        self._hm_label = label

    for _name in ("append", "extend", "insert", "pop", "remove", "clear",
                  "sort", "reverse", "__setitem__", "__delitem__",
                  "__iadd__", "__imul__"):
        locals()[_name] = _checked(_name)
    del _name

    def __reduce_ex__(self, protocol):
        return (list, (list(self),))

    def __copy__(self):
        return list(self)


def _guard_sys_lists():
    for name in _LIST_LABELS:
        cur = getattr(sys, name)
        if isinstance(cur, GuardedList):
            continue
        setattr(sys, name, GuardedList(cur, "sys." + name))
    cur = sys.path_importer_cache
    if not isinstance(cur, GuardedImporterCache) and type(cur) is dict:
        sys.path_importer_cache = GuardedImporterCache(cur)


_STDLIB = os.path.dirname(os.__file__)
_IMPORT_SYSTEM_FILES = frozenset((
    "<frozen importlib._bootstrap>",
    "<frozen importlib._bootstrap_external>",
    "<frozen zipimport>",
    os.path.join(_STDLIB, "pkgutil.py"),
    os.path.join(_STDLIB, "zipimport.py"),
))
_IMPORTLIB_DIR = os.path.join(_STDLIB, "importlib") + os.sep


def _cache_write_check(depth=2):
    """Refuse a write into sys.path_importer_cache under
    block_interpreter_mutation unless the import system makes it (it caches
    a finder per new path entry on every first-time import)."""
    fn = sys._getframe(depth).f_code.co_filename
    if fn in _IMPORT_SYSTEM_FILES or fn.startswith(_IMPORTLIB_DIR):
        return
    _native.check_interp("sys.path_importer_cache")


def _checked_cache(name):
    def method(self, *args, **kwargs):
        _cache_write_check()
        return getattr(dict, name)(self, *args, **kwargs)

    method.__name__ = name
    method.__qualname__ = "GuardedImporterCache." + name
    return method


class GuardedImporterCache(dict):
    """sys.path_importer_cache: a program cannot plant or drop finders
    while interpreter mutation is blocked; the import system can."""

    __slots__ = ()

    for _name in ("__setitem__", "__delitem__", "clear", "pop", "popitem",
                  "setdefault", "update", "__ior__"):
        locals()[_name] = _checked_cache(_name)
    del _name

    def __reduce_ex__(self, protocol):
        return (dict, (dict(self),))

    def __copy__(self):
        return dict(self)


def _read(self, key=None):
    _native.check_env(False, key)


def _write(self, key=None):
    _native.check_env(True, key)


class GuardedEnviron(os._Environ):
    """os._Environ whose every read and write asks the active policy.

    Under block_environment a few interpreter variables that hold no
    secrets (PYTHONASYNCIODEBUG, read by asyncio for every event loop)
    stay readable one key at a time; see _native.env_benign.
    """

    @property
    def _data(self):
        return _native.env_data()

    def _benign(self, key):
        if self.encodekey is not _encode_str or not isinstance(key, str):
            return NotImplemented
        if not _native.flags() & _ENV_FLAGS:
            return NotImplemented
        return _native.env_benign(key)

    def __getitem__(self, key):
        value = self._benign(key)
        if value is not NotImplemented:
            if value is None:
                raise KeyError(key)
            return value
        _read(self, key)
        return super().__getitem__(key)

    def __setitem__(self, key, value):
        _write(self, key)
        super().__setitem__(key, value)

    def __delitem__(self, key):
        _write(self, key)
        super().__delitem__(key)

    def __iter__(self):
        _read(self)
        return super().__iter__()

    def __len__(self):
        _read(self)
        return super().__len__()

    def __contains__(self, key):
        value = self._benign(key)
        if value is not NotImplemented:
            return value is not None
        _read(self, key)
        return super().__contains__(key)

    def __repr__(self):
        _read(self)
        return super().__repr__()

    def __eq__(self, other):
        _read(self)
        return super().__eq__(other)

    __hash__ = None

    def get(self, key, default=None):
        value = self._benign(key)
        if value is not NotImplemented:
            return default if value is None else value
        _read(self, key)
        return super().get(key, default)

    def copy(self):
        _read(self)
        return super().copy()

    def keys(self):
        _read(self)
        return super().keys()

    def items(self):
        _read(self)
        return super().items()

    def values(self):
        _read(self)
        return super().values()

    def setdefault(self, key, value):
        _write(self, key)
        return super().setdefault(key, value)

    def pop(self, key, *default):
        _write(self, key)
        return super().pop(key, *default)

    def popitem(self):
        _write(self)
        return super().popitem()

    def clear(self):
        _write(self)
        return super().clear()

    def update(self, *args, **kwargs):
        _write(self)
        return super().update(*args, **kwargs)

    def __ior__(self, other):
        _write(self)
        return super().__ior__(other)

    def __or__(self, other):
        _read(self)
        return super().__or__(other)

    def __ror__(self, other):
        _read(self)
        return super().__ror__(other)


_ENV_FLAGS = _native.F_BLOCK_ENVIRONMENT | _native.F_INVALID
_encode_str = None


def _guard_environ():
    global _encode_str
    env = os.environ
    _encode_str = env.encodekey
    if isinstance(env, GuardedEnviron):
        return
    data = env.__dict__.get("_data")
    if data is None:
        return
    try:
        _native._set_env_data(data)
    except RuntimeError:
        return  # another copy of hermetic already owns it
    envs = [env]
    envb = getattr(os, "environb", None)
    if envb is not None and envb.__dict__.get("_data") is data:
        envs.append(envb)
    for e in envs:
        e.__class__ = GuardedEnviron
        del e.__dict__["_data"]
    posix = sys.modules.get(os.name)
    if posix is not None and getattr(posix, "environ", None) is data:
        posix.environ = envb if envb is not None else env


def _guard_import_module():
    """Wrap importlib.import_module if importlib is loaded (called again
    at every push of a deny_imports entry, for a later import)."""
    importlib = sys.modules.get("importlib")
    orig = getattr(importlib, "import_module", None)
    if orig is None or getattr(orig, "_hermetic_guard", False):
        return

    def import_module(name, package=None):
        if _native.import_checks_active() and isinstance(name, str):
            absname = name
            if name.startswith(".") and package:
                level = len(name) - len(name.lstrip("."))
                bootstrap = sys.modules["importlib._bootstrap"]
                try:
                    absname = bootstrap._resolve_name(
                        name[level:], package, level)
                except (ImportError, ValueError):
                    absname = None
            if absname:
                _native.check_import(absname)
        return orig(name, package)

    importlib.import_module = _wraps(orig, import_module)


def _guard_mutator(name):
    posix = sys.modules.get(os.name)
    orig = getattr(os, name, None)
    if orig is None or getattr(orig, "_hermetic_guard", False):
        return

    def guarded(path, *args, dir_fd=None, **kwargs):
        _native.check_mutate("os." + name, path, dir_fd)
        if dir_fd is not None:
            kwargs["dir_fd"] = dir_fd
        return orig(path, *args, **kwargs)

    guarded = _wraps(orig, guarded)
    setattr(os, name, guarded)
    if posix is not None and getattr(posix, name, None) is orig:
        setattr(posix, name, guarded)
    # os.supports_dir_fd & co. hold function objects: the wrapper must be
    # in the same sets as the original, or feature probes (CPython's
    # test_posix: "needs dir_fd support in os.mkfifo()") see it missing.
    for group in ("supports_dir_fd", "supports_fd", "supports_follow_symlinks",
                  "supports_effective_ids"):
        members = getattr(os, group, None)
        if isinstance(members, set) and orig in members:
            members.add(guarded)


_installed = False


def install():
    """Install every guard once (idempotent)."""
    global _installed
    if _installed:
        return
    _guard_environ()
    _guard_sys_lists()
    _guard_import_module()
    _guard_find_library()
    _guard_mutator("mkfifo")
    _guard_mutator("mknod")
    _installed = True


def _guard_find_library():
    """ctypes.util.find_library (and find_msvcrt) under block_native: the
    original refuses them (original-hermetic.md 3.7); they raise no audit
    event of their own, so the wrapper raises "ctypes.util.<name>", which
    _native judges like every ctypes.* event ("native interface blocked").
    ctypes.util itself cannot be imported fresh under block_native, so the
    wrapper matters for a module imported before the block: it is wrapped
    at install and at every push."""
    util = sys.modules.get("ctypes.util")
    if util is None:
        return
    for name in ("find_library", "find_msvcrt"):
        orig = getattr(util, name, None)
        if orig is None or getattr(orig, "_hermetic_guard", False):
            continue

        def guarded(*args, _orig=orig, _ev="ctypes.util." + name, **kw):
            sys.audit(_ev, *args)
            return _orig(*args, **kw)

        setattr(util, name, _wraps(orig, guarded))


def reguard(flags):
    """At each push: re-wrap sys.path & co if the whole object was
    reassigned, and wrap importlib.import_module and
    ctypes.util.find_library if they appeared since."""
    if flags & _native.F_BLOCK_INTERP_MUTATION:
        _guard_sys_lists()
    _guard_import_module()
    _guard_find_library()
