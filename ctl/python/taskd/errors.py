"""Exceptions raised by the taskd client.

An error reply from the daemon raises :class:`RpcError`; anything on the way there (no socket,
a handshake that never completes, a connection that drops) raises :class:`ConnectionError`.
"""

from __future__ import annotations

import builtins
from typing import Any


class RpcError(Exception):
    """The daemon answered with a JSON-RPC error.

    ``code`` is the stable ``error.data.code`` string (``"NOT_FOUND"``, ``"BAD_STATE"``, ...),
    ``rpc_code`` the numeric JSON-RPC code, ``message`` the human text and ``data`` the whole
    ``error.data`` object (extra fields such as ``field`` or ``state``).
    """

    def __init__(self, code: str, message: str, data: dict[str, Any] | None = None,
                 rpc_code: int = 0, method: str | None = None) -> None:
        self.code = code
        self.message = message
        self.data = data or {}
        self.rpc_code = rpc_code
        self.method = method
        where = f"{method}: " if method else ""
        super().__init__(f"{where}{message} ({code})")

    @classmethod
    def from_error(cls, error: Any, method: str | None = None) -> "RpcError":
        """Builds the exception from a reply's ``error`` member (tolerating malformed ones)."""
        if not isinstance(error, dict):
            return cls("INTERNAL_ERROR", f"malformed error from taskd: {error!r}", method=method)
        data = error.get("data") if isinstance(error.get("data"), dict) else {}
        code = data.get("code") if isinstance(data.get("code"), str) else "INTERNAL_ERROR"
        rpc_code = error.get("code") if isinstance(error.get("code"), int) else 0
        return cls(code, str(error.get("message", "")), data, rpc_code, method)


class ConnectionError(builtins.ConnectionError):  # noqa: A001 - a subclass of the built-in
    """The daemon could not be reached, or the connection was lost.

    ``step`` names what failed (``"socket missing"``, ``"refused"``, ``"no OK line"``,
    ``"bad reply"``, ``"connect"``, ``"closed"``, ...), ``address`` the address tried.
    """

    def __init__(self, message: str, step: str = "connect", address: str = "") -> None:
        self.step = step
        self.address = address
        super().__init__(message)


class TaskSetupError(RuntimeError):
    """A task's setup ended FAIL (raised by :meth:`taskd.gym.TaskEnv.reset`)."""

    def __init__(self, task_id: str, failed_step: int | None, reason: str) -> None:
        self.task_id = task_id
        self.failed_step = failed_step
        self.reason = reason
        super().__init__(f"task {task_id}: setup failed at step {failed_step}: {reason}")
