"""The host's imports: the call's log and the tenant's key-value store.

Inside the component they call ``huashu:dialogue/log`` and ``huashu:dialogue/kv``. Run
natively (unit tests with CPython), log lines go to standard error and the store is a dict,
so handlers that use them can be tested without the host."""

import sys

_IN_HOST = sys.platform == "wasi"

if _IN_HOST:
    from wit_world.imports import kv as _kv
    from wit_world.imports import log as _log
    from componentize_py_types import Err as _Err


def _write(level_name: str, message: str):
    if _IN_HOST:
        _log.write(getattr(_log.Level, level_name), message)
    else:
        print(f"[{level_name}] {message}", file=sys.stderr)


class log:
    """``log.info("rating 5")``: lines appear in the call record's timeline."""

    debug = staticmethod(lambda message: _write("DEBUG", message))
    info = staticmethod(lambda message: _write("INFO", message))
    warn = staticmethod(lambda message: _write("WARN", message))
    error = staticmethod(lambda message: _write("ERROR", message))


class KvError(Exception):
    """A key-value operation failed; ``reason`` is the contract's ``kv-error`` case."""

    def __init__(self, reason):
        super().__init__(repr(reason))
        self.reason = reason


class kv:
    """The tenant's key-value store (keys ≤ 256 bytes, values ≤ 64 KiB, each operation
    counted against the call's budget). Raises ``KvError`` on failure."""

    _memory = {}

    @staticmethod
    def get(key: str):
        """The bytes stored under ``key``, or ``None``."""
        if not _IN_HOST:
            return kv._memory.get(key)
        try:
            return _kv.get(key)
        except _Err as e:
            raise KvError(e.value) from None

    @staticmethod
    def set(key: str, value: bytes):
        if not _IN_HOST:
            kv._memory[key] = bytes(value)
            return
        try:
            _kv.set(key, bytes(value))
        except _Err as e:
            raise KvError(e.value) from None

    @staticmethod
    def delete(key: str):
        if not _IN_HOST:
            kv._memory.pop(key, None)
            return
        try:
            _kv.delete(key)
        except _Err as e:
            raise KvError(e.value) from None
