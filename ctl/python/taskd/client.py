"""The blocking client: one connection, one request at a time (not thread-safe; use one Client
per thread, or :class:`taskd.AsyncClient` for many requests in flight)."""

from __future__ import annotations

import collections
import json
import os
import socket
import time
from typing import Any, Callable

from .address import Address, connect, default_address, parse_address
from .errors import ConnectionError, RpcError
from .families import DaemonMethods, ProgramMethods, SessionMethods, TaskMethods
from .protocol import ExecResult, Turn, encode_request, exec_params, result_of

READ_CHUNK = 64 * 1024
MAX_LINE_BYTES = 256 * 1024 * 1024  # exec output is at most 2 x 64 MiB, base64 adds a third


class _SyncSessions(SessionMethods):
    """``client.sessions``: the ``session.*`` methods, plus :meth:`ask`."""

    _owner: "Client"

    def ask(self, message: str, id: str | None = None, timeout: float | None = None) -> Turn:
        """Prompts the active session and waits for the turn's ``agent_end``.

        Raises :class:`RpcError` (``PI_PROCESS_DEAD``) when the agent dies during the turn.
        """
        client = self._owner
        sent = self.prompt(message, id)
        deadline = None if timeout is None else time.monotonic() + timeout
        turn = Turn(id=sent["id"], turn=sent["turn"], output="")
        while True:
            event = client._next_turn_event(sent["id"], deadline)
            if _add_to_turn(turn, event):
                return turn


def _add_to_turn(turn: Turn, event: dict[str, Any]) -> bool:
    """Adds a ``session`` event to ``turn``; True once the turn ended (raises if the agent died)."""
    kind = event.get("type")
    if kind == "task_error" or kind == "task_stopped":
        raise RpcError(event.get("code", "PI_PROCESS_DEAD"),
                       event.get("message") or f"session {turn.id}: {event.get('reason', kind)}",
                       event, -32007, "session.prompt")
    if event.get("turn") != turn.turn:
        return False  # output outside this turn (a banner, say)
    turn.events.append(event)
    if kind == "agent_output":
        turn.output += event.get("chunk", "")
    elif kind == "agent_end":
        turn.usage = event.get("usage")
        return True
    return False


class Client:
    """A blocking JSON-RPC client for taskd.

    ``address`` takes the forms taskctl does (``unix:PATH``, a bare path, ``vsock:CID:PORT``,
    ``fc:UDS_PATH:PORT``; default ``$TASKD_SOCKET`` or the daemon's default socket). ``timeout``
    bounds connecting (``vsock:``/``fc:`` retry while the guest boots); ``call_timeout`` bounds each
    call (None: wait as long as the method takes, e.g. a long ``exec.run``).

    Families: ``client.daemon``, ``client.tasks``, ``client.sessions``, ``client.programs``; and
    ``client.exec(...)``. Usable as a context manager (the connection closes at the end).
    """

    def __init__(self, address: str | os.PathLike[str] | None = None, timeout: float = 10.0,
                 call_timeout: float | None = None) -> None:
        self.address: Address = parse_address(address if address is not None
                                               else default_address())
        self.timeout = timeout
        self.call_timeout = call_timeout
        self._sock: socket.socket | None = connect(self.address, timeout)
        self._pending = bytearray()
        self._chunk = bytearray(READ_CHUNK)  # preallocated: no allocation per read
        self._next_id = 1
        self._events: collections.deque[dict[str, Any]] = collections.deque()
        self.daemon = DaemonMethods(self)
        self.tasks = TaskMethods(self)
        self.sessions = _SyncSessions(self)
        self.programs = ProgramMethods(self)

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Closes the connection (idempotent)."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls -------------------------------------------------------------------------------
    def call(self, method: str, /, **params: Any) -> Any:
        """Calls ``method`` with ``params``; returns the result (a dict for every taskd method).

        Raises :class:`RpcError` for an error reply, :class:`taskd.ConnectionError` when the
        connection fails and TimeoutError past ``call_timeout``.
        """
        return self.request(method, params)

    def request(self, method: str, params: dict[str, Any] | None = None,
                timeout: float | None = None) -> Any:
        """:meth:`call` with params as a dict and an optional per-call timeout (seconds)."""
        request_id = self._next_id
        self._next_id += 1
        self._send(encode_request(request_id, method, params))
        limit = timeout if timeout is not None else self.call_timeout
        deadline = None if limit is None else time.monotonic() + limit
        while True:
            message = self._read_message(deadline)
            reply_id = message.get("id", _ABSENT)
            if reply_id is _ABSENT:
                self._events.append(message.get("params", {}))
            elif reply_id == request_id:
                return result_of(message, method)
            elif reply_id is None and "error" in message:
                raise RpcError.from_error(message["error"], method)  # e.g. LIMIT_EXCEEDED

    def _invoke(self, method: str, params: dict[str, Any],
                post: Callable[[Any], Any] | None = None) -> Any:
        result = self.request(method, params)
        return post(result) if post else result

    def exec(self, cmd: str | list[str], timeout: float | None = None, **opts: Any) -> ExecResult:
        """Runs a command with ``exec.run`` (a string runs through ``sh -c``).

        ``timeout`` in seconds; ``opts`` are ``exec.run`` params (``env``, ``cwd``, ``stdin`` as
        str or bytes, ``request_key``, ``max_output_bytes``, ``user``, ...).
        """
        return ExecResult.from_result(self.request("exec.run", exec_params(cmd, timeout, opts)))

    def health(self) -> dict[str, Any]:
        """``daemon.health``."""
        return self.daemon.health()

    def version(self) -> dict[str, Any]:
        """``daemon.version``."""
        return self.daemon.version()

    # -- events ------------------------------------------------------------------------------
    def subscribe(self, *topics: str) -> dict[str, Any]:
        """``events.subscribe``; read them with :meth:`next_event`."""
        return self.daemon.subscribe(*topics)

    def next_event(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next event's params (kept ones first), or None after ``timeout`` seconds."""
        if self._events:
            return self._events.popleft()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                message = self._read_message(deadline)
            except TimeoutError:
                return None
            if "id" not in message:
                return message.get("params", {})

    def _next_turn_event(self, session_id: str, deadline: float | None) -> dict[str, Any]:
        for index, event in enumerate(self._events):
            if event.get("topic") == "session" and event.get("id") == session_id:
                del self._events[index]
                return event
        while True:
            message = self._read_message(deadline)
            params = message.get("params", {})
            if "id" in message:
                continue  # a late reply
            if params.get("topic") == "session" and params.get("id") == session_id:
                return params
            self._events.append(params)

    # -- transport ---------------------------------------------------------------------------
    def _send(self, data: bytes) -> None:
        if self._sock is None:
            raise ConnectionError("the client is closed", "closed", str(self.address))
        try:
            self._sock.settimeout(None)
            self._sock.sendall(data)
        except OSError as e:
            # The daemon may have said why before closing (a refused vsock peer: FORBIDDEN).
            reason = self._pending_error()
            self.close()
            if reason is not None:
                raise reason from None
            raise ConnectionError(f"taskd closed the connection ({e})", "send",
                                  str(self.address)) from None

    def _pending_error(self) -> RpcError | None:
        try:
            message = self._read_message(time.monotonic() + 0.2)
        except (OSError, ValueError):
            return None
        if message.get("id", _ABSENT) is None and "error" in message:
            return RpcError.from_error(message["error"])
        return None

    def _read_message(self, deadline: float | None) -> dict[str, Any]:
        line = self._read_line(deadline)
        try:
            message = json.loads(line)
        except ValueError:
            self.close()
            raise ConnectionError(f"unreadable line from taskd: {line[:200]!r}", "protocol",
                                  str(self.address)) from None
        if not isinstance(message, dict):
            return {}
        return message

    def _read_line(self, deadline: float | None) -> bytes:
        while True:
            newline = self._pending.find(b"\n")
            if newline >= 0:
                line = bytes(self._pending[:newline])
                del self._pending[:newline + 1]
                if line.strip():
                    return line
                continue
            if len(self._pending) > MAX_LINE_BYTES:
                self.close()
                raise ConnectionError("reply line exceeds the client limit", "protocol",
                                      str(self.address))
            self._fill(deadline)

    def _fill(self, deadline: float | None) -> None:
        if self._sock is None:
            raise ConnectionError("the client is closed", "closed", str(self.address))
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise TimeoutError("timed out waiting for taskd")
        self._sock.settimeout(left)
        try:
            n = self._sock.recv_into(self._chunk)
        except TimeoutError:
            raise TimeoutError("timed out waiting for taskd") from None
        except OSError as e:
            self.close()
            raise ConnectionError(f"taskd closed the connection ({e})", "closed",
                                  str(self.address)) from None
        if n == 0:
            self.close()
            raise ConnectionError("taskd closed the connection", "closed", str(self.address))
        self._pending += memoryview(self._chunk)[:n]


class _Absent:
    pass


_ABSENT: Any = _Absent()
