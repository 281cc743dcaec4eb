"""Listening for taskd's ``announce`` hello: the one ``daemon``/``ready`` event a guest sends to
``[daemon] announce`` once it listens (daemon/rpc/announce.cpp, docs/firecracker.md).

For a Firecracker guest with ``announce = "vsock:2:PORT"`` the host listens on the UNIX socket
``<uds_path>_PORT`` (Firecracker forwards guest-initiated connections there); for a local daemon
with ``announce = "unix:PATH"`` the host listens on ``PATH``. Listen *before* the guest boots:
taskd retries for about 6 s, then gives up.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

MAX_HELLO_BYTES = 64 * 1024


class AnnounceListener:
    """UNIX listeners that collect one hello per path.

    ``await listener.start()`` (or ``async with``) binds every path; ``await listener.wait(path)``
    returns that path's hello (the event's params: ``boot_id``, ``version``, ``protocol``,
    ``vsock_port``, ``time_ms``). A later hello on the same path (a rebooted or restored guest,
    with a new ``boot_id``) replaces the earlier one and is returned by the next :meth:`wait`.
    """

    def __init__(self, paths: list[str]) -> None:
        self.paths = [os.fspath(path) for path in paths]
        self._servers: list[asyncio.AbstractServer] = []
        self._hellos: dict[str, dict[str, Any]] = {}
        self._arrived: dict[str, asyncio.Event] = {}

    @classmethod
    def for_firecracker(cls, uds_paths: list[str], port: int) -> "AnnounceListener":
        """Listens where Firecracker forwards a guest's connection to host port ``port``."""
        return cls([f"{path}_{port}" for path in uds_paths])

    async def start(self) -> "AnnounceListener":
        """Binds every path (a stale socket file is replaced)."""
        for path in self.paths:
            self._arrived[path] = asyncio.Event()
            if os.path.exists(path):
                os.unlink(path)
            server = await asyncio.start_unix_server(
                lambda r, w, p=path: self._receive(p, r, w), path, limit=MAX_HELLO_BYTES)
            self._servers.append(server)
        return self

    async def close(self) -> None:
        """Stops listening and removes the socket files."""
        for server in self._servers:
            server.close()
            await server.wait_closed()
        self._servers.clear()
        for path in self.paths:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    async def __aenter__(self) -> "AnnounceListener":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def hello(self, path: str) -> dict[str, Any] | None:
        """The latest hello received on ``path``, or None."""
        return self._hellos.get(path)

    async def wait(self, path: str, timeout: float | None = None) -> dict[str, Any]:
        """Waits for a hello on ``path`` (returns at once if one arrived and was not taken)."""
        event = self._arrived[path]
        await asyncio.wait_for(event.wait(), timeout)
        event.clear()
        return self._hellos[path]

    async def _receive(self, path: str, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 5.0)
            message = json.loads(line)
            params = message.get("params") if isinstance(message, dict) else None
            if isinstance(params, dict) and params.get("type") == "ready":
                self._hellos[path] = params
                self._arrived[path].set()
        except (ValueError, asyncio.TimeoutError, asyncio.LimitOverrunError, OSError):
            pass  # not a hello: ignored
        finally:
            writer.close()
