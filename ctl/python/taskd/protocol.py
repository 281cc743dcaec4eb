"""The wire format (docs/protocol.md): request lines, replies, and result types shared by the
blocking and asyncio clients."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from .errors import RpcError

PROTOCOL_VERSION = "1.2"


def encode_request(request_id: int, method: str, params: dict[str, Any] | None) -> bytes:
    """One request line (with its ``\\n``)."""
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params:
        message["params"] = params
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def result_of(reply: dict[str, Any], method: str | None = None) -> Any:
    """The reply's ``result``, or raises :class:`RpcError` for its ``error``."""
    if "error" in reply:
        raise RpcError.from_error(reply["error"], method)
    return reply.get("result")


def decode_stream(data: str, encoding: str | None) -> str | bytes:
    """Output as the daemon sent it: text when ``utf-8``, the decoded bytes when ``base64``."""
    if encoding == "base64":
        return base64.b64decode(data)
    return data


@dataclass
class ExecResult:
    """The result of ``exec.run``.

    ``stdout``/``stderr`` are ``str`` when the output was UTF-8 and ``bytes`` otherwise;
    ``exit_code`` is None when the command was killed by a signal (then ``signal`` is set).
    """

    exit_code: int | None
    signal: int | None
    timed_out: bool
    stdout: str | bytes
    stderr: str | bytes
    reason: str = "exited"
    exec_id: str = ""
    duration_ms: int = 0
    reused: bool = False
    error: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """True when the command exited with status 0."""
        return self.exit_code == 0

    @classmethod
    def from_result(cls, result: dict[str, Any]) -> "ExecResult":
        """Decodes an ``exec.run`` result object."""
        return cls(
            exit_code=result.get("exit_code"),
            signal=result.get("signal"),
            timed_out=bool(result.get("timed_out", False)),
            stdout=decode_stream(result.get("stdout", ""), result.get("stdout_encoding")),
            stderr=decode_stream(result.get("stderr", ""), result.get("stderr_encoding")),
            reason=result.get("reason", ""),
            exec_id=result.get("exec_id", ""),
            duration_ms=int(result.get("duration_ms", 0)),
            reused=bool(result.get("reused", False)),
            error=result.get("error", ""),
            raw=result,
        )


@dataclass
class Turn:
    """One agent turn from ``session.prompt``: what the agent printed and its ``usage``."""

    id: str
    turn: int
    output: str
    usage: Any = None
    events: list[dict[str, Any]] = field(default_factory=list, repr=False)


def exec_params(cmd: str | list[str], timeout: float | None, opts: dict[str, Any]) -> dict[str, Any]:
    """``exec.run`` params: a string ``cmd`` runs through ``sh -c``; ``timeout`` is in seconds;
    ``stdin`` may be bytes (sent as ``stdin_base64``)."""
    params: dict[str, Any] = {"cmd": ["sh", "-c", cmd] if isinstance(cmd, str) else list(cmd)}
    if timeout is not None:
        params["timeout_ms"] = int(timeout * 1000)
    for key, value in opts.items():
        if value is None:
            continue
        if key == "stdin" and isinstance(value, (bytes, bytearray)):
            params["stdin_base64"] = base64.b64encode(value).decode()
        else:
            params[key] = value
    return params
