"""The asyncio client: many requests in flight on one connection (matched by id), events as an
async iterator, and ``request_key`` calls that are re-sent after a reconnect.

The reader is an :class:`asyncio.BufferedProtocol` over one preallocated buffer: asyncio's
default stream path allocates a fresh large buffer per read, which dominated the cost of a
fleet of hundreds of connections (issue 14); this one reads in place and copies only lines.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import socket
from typing import Any, AsyncIterator, Callable

from .address import Address, connect, default_address, parse_address
from .client import MAX_LINE_BYTES, _add_to_turn
from .errors import ConnectionError, RpcError
from .families import DaemonMethods, ProgramMethods, SessionMethods, TaskMethods
from .protocol import ExecResult, Turn, encode_request, exec_params, result_of

BUFFER_BYTES = 64 * 1024
MIN_READ_BYTES = 4096
_CLOSED = object()


class _LineProtocol(asyncio.BufferedProtocol):
    """Splits the byte stream into lines in one reusable buffer (grown only for long lines)."""

    def __init__(self, on_line: Callable[[bytes], None],
                 on_lost: Callable[[Exception | None], None]) -> None:
        self._buffer = bytearray(BUFFER_BYTES)
        self._view = memoryview(self._buffer)
        self._start = 0  # first unconsumed byte
        self._end = 0    # end of the data
        self._on_line = on_line
        self._on_lost = on_lost
        self._can_write = asyncio.Event()
        self._can_write.set()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def get_buffer(self, sizehint: int) -> memoryview:
        if len(self._buffer) - self._end < MIN_READ_BYTES:
            size = self._end - self._start
            if self._start > 0:  # move the partial line to the front
                self._buffer[:size] = self._view[self._start:self._end]
                self._start, self._end = 0, size
            if len(self._buffer) - self._end < MIN_READ_BYTES:  # one very long line: grow
                if len(self._buffer) >= MAX_LINE_BYTES:
                    raise ConnectionError("reply line exceeds the client limit", "protocol")
                bigger = bytearray(len(self._buffer) * 2)  # a new buffer: views may be alive
                bigger[:size] = self._view[:size]
                self._buffer, self._view = bigger, memoryview(bigger)
        return self._view[self._end:]

    def buffer_updated(self, nbytes: int) -> None:
        scan = self._end
        self._end += nbytes
        find = self._buffer.find
        while True:
            newline = find(b"\n", scan, self._end)
            if newline < 0:
                break
            if newline > self._start:
                self._on_line(self._buffer[self._start:newline])
            self._start = scan = newline + 1
        if self._start == self._end:
            self._start = self._end = 0

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    async def writable(self) -> None:
        await self._can_write.wait()

    def connection_lost(self, exc: Exception | None) -> None:
        self._can_write.set()
        self._on_lost(exc)


class _AsyncSessions(SessionMethods):
    """``client.sessions``: the ``session.*`` methods, plus :meth:`ask`."""

    _owner: "AsyncClient"

    async def ask(self, message: str, id: str | None = None,
                  timeout: float | None = None) -> Turn:
        """Prompts the active session and waits for the turn's ``agent_end``."""
        client = self._owner
        queue: asyncio.Queue[Any] = asyncio.Queue()
        listener = ({"session"}, queue)
        client._listeners.append(listener)
        try:
            sent = await self.prompt(message, id)
            turn = Turn(id=sent["id"], turn=sent["turn"], output="")

            async def collect() -> Turn:
                while True:
                    event = await queue.get()
                    if event is _CLOSED:
                        raise ConnectionError("taskd closed the connection", "closed",
                                              str(client.address))
                    if event.get("id") == turn.id and _add_to_turn(turn, event):
                        return turn

            return await asyncio.wait_for(collect(), timeout)
        finally:
            client._listeners.remove(listener)


class AsyncClient:
    """An asyncio JSON-RPC client for taskd.

    ``async with taskd.AsyncClient(address) as client:`` or
    ``client = await taskd.AsyncClient.connect(address)``. Any number of calls may be awaited
    concurrently on one client. A call whose params carry a ``request_key`` (``exec.run``) is
    re-sent on a new connection when the connection drops (up to ``retries`` times): the daemon
    returns the first run's result instead of running it again.
    """

    def __init__(self, address: str | os.PathLike[str] | None = None, timeout: float = 10.0,
                 call_timeout: float | None = None, retries: int = 3) -> None:
        self.address: Address = parse_address(address if address is not None
                                               else default_address())
        self.timeout = timeout
        self.call_timeout = call_timeout
        self.retries = retries
        self._protocol: _LineProtocol | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._listeners: list[tuple[set[str] | None, asyncio.Queue[Any]]] = []
        self._next_id = 1
        self._reconnecting: asyncio.Lock | None = None
        self._closed = False
        self.daemon = DaemonMethods(self)
        self.tasks = TaskMethods(self)
        self.sessions = _AsyncSessions(self)
        self.programs = ProgramMethods(self)

    # -- lifecycle ---------------------------------------------------------------------------
    @classmethod
    async def connect(cls, address: str | os.PathLike[str] | None = None, timeout: float = 10.0,
                      call_timeout: float | None = None, retries: int = 3) -> "AsyncClient":
        """A connected client (``vsock:``/``fc:`` retry for up to ``timeout`` seconds)."""
        client = cls(address, timeout, call_timeout, retries)
        await client._open()
        return client

    async def __aenter__(self) -> "AsyncClient":
        if self._protocol is None:
            await self._open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Closes the connection; calls still waiting raise ConnectionError."""
        self._closed = True
        if self._protocol and self._protocol.transport:
            self._protocol.transport.close()
        self._lost(None)

    @property
    def connected(self) -> bool:
        """True while the connection is open."""
        return self._protocol is not None

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        sock = await self._connect_socket()
        protocol = _LineProtocol(self._on_line, lambda exc: None)
        protocol._on_lost = self._on_lost_from(protocol)  # only this connection's loss counts
        try:
            await loop.connect_accepted_socket(lambda: protocol, sock)
        except OSError as e:
            sock.close()
            raise ConnectionError(f"cannot connect to {self.address}: {e}", "connect",
                                  str(self.address)) from None
        self._protocol = protocol
        self._closed = False

    async def _connect_socket(self) -> socket.socket:
        if self.address.kind != "unix":  # blocking handshake with retries, off the loop
            return await asyncio.to_thread(connect, self.address, self.timeout)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, self.address.path),
                                   self.timeout)
        except (OSError, asyncio.TimeoutError) as e:
            sock.close()
            step = {errno.ENOENT: "socket missing", errno.ECONNREFUSED: "refused"}.get(
                getattr(e, "errno", None), "connect")
            raise ConnectionError(f"cannot connect to {self.address}: {step}: {e}", step,
                                  str(self.address)) from None
        return sock

    def _on_lost_from(self, protocol: _LineProtocol) -> Callable[[Exception | None], None]:
        def lost(exc: Exception | None) -> None:
            if protocol is self._protocol:
                self._lost(exc)
        return lost

    def _lost(self, exc: Exception | None) -> None:
        self._protocol = None
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(ConnectionError(
                    f"taskd closed the connection{f' ({exc})' if exc else ''}", "closed",
                    str(self.address)))
        for _, queue in self._listeners:
            queue.put_nowait(_CLOSED)

    # -- incoming ----------------------------------------------------------------------------
    def _on_line(self, line: bytearray) -> None:
        try:
            message = json.loads(line)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        reply_id = message.get("id")
        if reply_id is not None:
            future = self._pending.pop(reply_id, None)
            if future is not None and not future.done():
                future.set_result(message)
            return
        if "id" in message and "error" in message:  # an error the daemon could not attribute
            error = RpcError.from_error(message["error"])
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(error)
            self._pending.clear()
            return
        params = message.get("params")
        if message.get("method") == "event" and isinstance(params, dict):
            topic = params.get("topic")
            for topics, queue in self._listeners:
                if topics is None or topic in topics:
                    queue.put_nowait(params)

    # -- calls -------------------------------------------------------------------------------
    async def call(self, method: str, /, **params: Any) -> Any:
        """Calls ``method``; returns its result or raises :class:`RpcError` /
        :class:`taskd.ConnectionError` (or TimeoutError past ``call_timeout``)."""
        return await self.request(method, params)

    async def request(self, method: str, params: dict[str, Any] | None = None,
                      timeout: float | None = None) -> Any:
        """:meth:`call` with params as a dict and an optional per-call timeout (seconds)."""
        attempts = 1 + (self.retries if params and "request_key" in params else 0)
        for attempt in range(attempts):
            try:
                reply = await self._roundtrip(method, params, timeout)
                return result_of(reply, method)
            except ConnectionError:
                if attempt + 1 >= attempts or self._closed:
                    raise
                await self._reconnect()
        raise AssertionError("unreachable")

    async def _roundtrip(self, method: str, params: dict[str, Any] | None,
                         timeout: float | None) -> dict[str, Any]:
        protocol = self._protocol
        if protocol is None or protocol.transport is None:
            if self._closed:
                raise ConnectionError("the client is closed", "closed", str(self.address))
            await self._reconnect()
            protocol = self._protocol
            assert protocol is not None and protocol.transport is not None
        request_id = self._next_id
        self._next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        await protocol.writable()
        protocol.transport.write(encode_request(request_id, method, params))  # type: ignore
        limit = timeout if timeout is not None else self.call_timeout
        try:
            if limit is None:
                return await future
            return await asyncio.wait_for(future, limit)
        finally:
            self._pending.pop(request_id, None)

    async def _reconnect(self) -> None:
        if self._reconnecting is None:
            self._reconnecting = asyncio.Lock()
        async with self._reconnecting:
            if self._protocol is None and not self._closed:
                await self._open()

    def _invoke(self, method: str, params: dict[str, Any],
                post: Callable[[Any], Any] | None = None) -> Any:
        async def run() -> Any:
            result = await self.request(method, params)
            return post(result) if post else result
        return run()

    async def exec(self, cmd: str | list[str], timeout: float | None = None,
                   **opts: Any) -> ExecResult:
        """Runs a command with ``exec.run`` (see :meth:`taskd.Client.exec`)."""
        result = await self.request("exec.run", exec_params(cmd, timeout, opts))
        return ExecResult.from_result(result)

    async def health(self) -> dict[str, Any]:
        """``daemon.health``."""
        return await self.request("daemon.health")

    async def version(self) -> dict[str, Any]:
        """``daemon.version``."""
        return await self.request("daemon.version")

    async def events(self, *topics: str) -> AsyncIterator[dict[str, Any]]:
        """Subscribes to ``topics`` (none: every topic) and yields each event's params.

        The iteration ends with :class:`taskd.ConnectionError` when the connection closes.
        """
        queue: asyncio.Queue[Any] = asyncio.Queue()
        listener = (set(topics) or None, queue)
        self._listeners.append(listener)
        try:
            await self.daemon.subscribe(*topics)
            while True:
                event = await queue.get()
                if event is _CLOSED:
                    raise ConnectionError("taskd closed the connection", "closed",
                                          str(self.address))
                yield event
        finally:
            self._listeners.remove(listener)
