"""taskd.AsyncClient: 100 concurrent requests on one connection, events as an async iterator,
request_key retries across a reconnect, and the reader's preallocated buffer."""

from __future__ import annotations

import asyncio
import os
import unittest

import support  # noqa: F401 - puts ctl/python on sys.path

import taskd
from support import LocalDaemon
from taskd.async_client import _LineProtocol


class AsyncClientTest(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.daemon = LocalDaemon().start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.daemon.stop()

    async def test_hundred_concurrent_requests_on_one_connection(self) -> None:
        async with taskd.AsyncClient(self.daemon.address) as client:
            calls = [client.exec(["echo", str(i)]) if i % 2 else client.health()
                     for i in range(100)]
            results = await asyncio.gather(*calls)
            for i, result in enumerate(results):
                if i % 2:
                    self.assertEqual(result.stdout, f"{i}\n")  # each reply matched by id
                else:
                    self.assertTrue(result["ok"])
            self.assertEqual((await client.health())["connections"], 1)

    async def test_errors_and_families(self) -> None:
        client = await taskd.AsyncClient.connect(self.daemon.address)
        try:
            with self.assertRaises(taskd.RpcError) as missing:
                await client.tasks.poll("nope")
            self.assertEqual(missing.exception.code, "NOT_FOUND")
            self.assertEqual((await client.tasks.create("t"))["result"], "READY")
            self.assertEqual((await client.tasks.poll("t"))["status"], "DONE")
            self.assertEqual([t["id"] for t in await client.tasks.list()], ["t"])
            self.assertTrue((await client.tasks.delete("t"))["deleted"])
            self.assertEqual((await client.version())["protocol"], "1.2")
        finally:
            await client.close()

    async def test_events_async_iterator(self) -> None:
        async with taskd.AsyncClient(self.daemon.address) as watcher, \
                taskd.AsyncClient(self.daemon.address) as actor:
            events = watcher.events("task")
            first = asyncio.ensure_future(events.__anext__())
            # The subscription is in place once a second call on the watcher returns after it.
            while (await watcher.health())["subscribers"] < 1:
                await asyncio.sleep(0.005)
            await actor.tasks.create("ev")
            event = await asyncio.wait_for(first, 10)
            self.assertEqual((event["topic"], event["type"], event["id"]), ("task", "created", "ev"))
            await actor.tasks.delete("ev")
            await events.aclose()

    async def test_request_key_call_survives_a_reconnect(self) -> None:
        marker = os.path.join(self.daemon.dir, "runs")
        async with taskd.AsyncClient(self.daemon.address) as client:
            cmd = f"echo run >> {marker}; sleep 0.3; echo done"
            running = asyncio.ensure_future(client.exec(cmd, request_key="survive-1"))
            while not os.path.exists(marker):
                await asyncio.sleep(0.005)
            client._protocol.transport.abort()  # the connection drops mid-call
            result = await asyncio.wait_for(running, 20)
            self.assertEqual(result.stdout, "done\n")
            self.assertTrue(result.reused)  # collected, not run again
            with open(marker, encoding="utf-8") as f:
                self.assertEqual(f.read(), "run\n")
            # Without a key, a dropped call fails instead of running twice.
            plain = asyncio.ensure_future(client.exec(["sleep", "0.3"]))
            await asyncio.sleep(0.05)
            client._protocol.transport.abort()
            with self.assertRaises(taskd.ConnectionError):
                await plain
            self.assertTrue((await client.health())["ok"])  # reconnects for the next call


class LineReaderTest(unittest.TestCase):
    def test_reader_reuses_one_buffer_and_splits_lines(self) -> None:
        lines: list[bytes] = []
        protocol = _LineProtocol(lambda line: lines.append(bytes(line)), lambda exc: None)
        buffer = protocol.get_buffer(-1)
        base = protocol._buffer
        data = b'{"a":1}\n{"b":' + b"2}\n" + b'{"c"'
        buffer[:len(data)] = data
        protocol.buffer_updated(len(data))
        self.assertEqual(lines, [b'{"a":1}', b'{"b":2}'])
        rest = protocol.get_buffer(-1)
        rest[:4] = b":3}\n"
        protocol.buffer_updated(4)
        self.assertEqual(lines[-1], b'{"c":3}')
        self.assertIs(protocol._buffer, base)  # no new buffer per read
        long_line = b"x" * 200_000 + b"\n"  # longer than the buffer: it grows, and still splits
        offset = 0
        while offset < len(long_line):
            view = protocol.get_buffer(-1)
            n = min(len(view), len(long_line) - offset)
            view[:n] = long_line[offset:offset + n]
            protocol.buffer_updated(n)
            offset += n
        self.assertEqual(len(lines[-1]), 200_000)


if __name__ == "__main__":
    unittest.main()
