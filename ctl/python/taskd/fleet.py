"""Running one episode on many sandboxes: ``results = await fleet.run(episode)``.

Each address gets its own :class:`taskd.AsyncClient`, kept open between runs; at most
``concurrency`` episodes are in flight. A dead sandbox never stops the others: its
:class:`FleetResult` carries the error and nothing is raised.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Sequence

from .address import parse_address
from .announce import AnnounceListener
from .async_client import AsyncClient
from .errors import ConnectionError

Episode = Callable[[AsyncClient], Awaitable[Any]]


@dataclass
class FleetResult:
    """One address's outcome: ``value`` returned by the episode, or the ``error`` it raised."""

    address: str
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """True when the episode returned."""
        return self.error is None


class Fleet:
    """Many taskd endpoints driven together.

    ``concurrency`` bounds episodes in flight; ``timeout`` (seconds, None: none) bounds each
    episode on each endpoint; ``connect_timeout`` bounds connecting (``fc:``/``vsock:`` retry
    while a guest boots); ``retries`` is how many more times connecting is tried (with a short
    backoff). An episode that started is never re-run by the Fleet (it may have had effects):
    make its calls idempotent with ``request_key`` to survive a dropped connection.
    """

    def __init__(self, addresses: Sequence[str | os.PathLike[str]], concurrency: int = 64,
                 timeout: float | None = None, connect_timeout: float = 10.0,
                 retries: int = 1) -> None:
        self.addresses = [os.fspath(address) for address in addresses]
        for address in self.addresses:
            parse_address(address)  # a typo fails here, not in the middle of a run
        self.concurrency = max(1, concurrency)
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.retries = retries
        self._clients: dict[int, AsyncClient] = {}

    async def run(self, episode: Episode) -> list[FleetResult]:
        """Runs ``await episode(client)`` on every address; one result per address, in order."""
        limit = asyncio.Semaphore(self.concurrency)

        async def one(index: int) -> FleetResult:
            async with limit:
                return await self._run_one(index, episode)

        return list(await asyncio.gather(*(one(i) for i in range(len(self.addresses)))))

    def run_sync(self, episode: Episode) -> list[FleetResult]:
        """:meth:`run` for code without an event loop (connections close at the end)."""
        async def run_and_close() -> list[FleetResult]:
            try:
                return await self.run(episode)
            finally:
                await self.close()
        return asyncio.run(run_and_close())

    async def close(self) -> None:
        """Closes every kept connection."""
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.close()

    async def __aenter__(self) -> "Fleet":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _client(self, index: int) -> AsyncClient:
        client = self._clients.get(index)
        if client is None or not client.connected:
            client = await AsyncClient.connect(self.addresses[index], self.connect_timeout)
            self._clients[index] = client
        return client

    async def _run_one(self, index: int, episode: Episode) -> FleetResult:
        address = self.addresses[index]
        delay = 0.05
        for attempt in range(self.retries + 1):
            try:
                client = await self._client(index)
            except ConnectionError as error:
                if attempt == self.retries:
                    return FleetResult(address, error=error)
                await asyncio.sleep(delay)
                delay *= 2
                continue
            try:
                return FleetResult(address, await asyncio.wait_for(episode(client), self.timeout))
            except Exception as error:  # noqa: BLE001 - reported per address, never raised
                if isinstance(error, (ConnectionError, asyncio.TimeoutError)):
                    self._drop(index)  # replies may still come: start clean next time
                return FleetResult(address, error=error)
        raise AssertionError("unreachable")

    def _drop(self, index: int) -> None:
        client = self._clients.pop(index, None)
        if client is not None:
            asyncio.ensure_future(client.close())

    async def wait_ready(self, timeout: float = 60.0,
                         announce: AnnounceListener | Sequence[str] | None = None,
                         poll_interval: float = 0.05) -> list[FleetResult]:
        """Waits until every endpoint is ready; one result per address, in order.

        Without ``announce``, polls: connects and calls ``daemon.health`` until it answers
        (value: the health). With ``announce`` -- an :class:`AnnounceListener` started before the
        guests boot, or one announce socket path per address (then listened on now) -- waits for
        each guest's hello (value: the hello's params, with ``boot_id``). An endpoint not ready
        within ``timeout`` seconds gets a TimeoutError.
        """
        if announce is None:
            return await self._poll_ready(timeout, poll_interval)
        listener = announce if isinstance(announce, AnnounceListener) else None
        if listener is None:
            listener = await AnnounceListener(list(announce)).start()  # type: ignore[arg-type]
        if len(listener.paths) != len(self.addresses):
            raise ValueError("one announce path per address is needed")
        try:
            async def hello(index: int) -> FleetResult:
                address = self.addresses[index]
                try:
                    return FleetResult(address, await listener.wait(listener.paths[index], timeout))
                except asyncio.TimeoutError:
                    return FleetResult(address, error=TimeoutError(
                        f"{address}: no announce hello within {timeout} s"))
            return list(await asyncio.gather(*(hello(i) for i in range(len(self.addresses)))))
        finally:
            if announce is not listener:
                await listener.close()

    async def _poll_ready(self, timeout: float, interval: float) -> list[FleetResult]:
        deadline = time.monotonic() + timeout
        limit = asyncio.Semaphore(self.concurrency)

        async def poll(index: int) -> FleetResult:
            address = self.addresses[index]
            last: BaseException | None = None
            while time.monotonic() < deadline:
                try:
                    async with limit:
                        client = await self._client(index)
                        return FleetResult(address, await asyncio.wait_for(
                            client.health(), max(deadline - time.monotonic(), 0.001)))
                except (ConnectionError, asyncio.TimeoutError, OSError) as error:
                    self._drop(index)
                    last = error
                await asyncio.sleep(interval)
            return FleetResult(address, error=TimeoutError(
                f"{address}: not ready within {timeout} s (last error: {last})"))

        return list(await asyncio.gather(*(poll(i) for i in range(len(self.addresses)))))
