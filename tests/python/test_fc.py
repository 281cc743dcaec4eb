"""The fc: handshake against a stand-in for Firecracker's host-side vsock socket (Firecracker
cannot run here): a UNIX listener that reads "CONNECT PORT\\n" and answers "OK <n>\\n" then
forwards bytes to a real daemon, or closes early as Firecracker does while the guest boots, or
answers garbage."""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import threading
import time
import unittest

import support  # noqa: F401 - puts ctl/python on sys.path

import taskd
from support import LocalDaemon


class FakeFirecracker:
    """Connection i behaves as ``behaviours[min(i, len-1)]``: ``ok``, ``close`` or ``garbage``."""

    def __init__(self, path: str, target: str, behaviours: list[str]) -> None:
        self.path, self.target, self.behaviours = path, target, behaviours
        self.requests: list[bytes] = []
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(16)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            behaviour = self.behaviours[min(len(self.requests), len(self.behaviours) - 1)]
            request = b""
            while not request.endswith(b"\n"):
                byte = conn.recv(1)
                if not byte:
                    break
                request += byte
            self.requests.append(request)
            if behaviour == "close":
                conn.close()  # what Firecracker does while nothing listens in the guest
            elif behaviour == "garbage":
                conn.sendall(b"HTTP/1.1 400 Bad Request\n")
                conn.close()
            else:
                upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                upstream.connect(self.target)
                conn.sendall(b"OK 1073741824\n")
                for a, b in ((conn, upstream), (upstream, conn)):
                    threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


class FirecrackerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.daemon = LocalDaemon().start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.daemon.stop()

    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="taskd-fc-")
        self.uds = os.path.join(self.dir, "v.sock")
        self.fakes: list[FakeFirecracker] = []

    def tearDown(self) -> None:
        for fake in self.fakes:
            fake.close()
        for name in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, name))
        os.rmdir(self.dir)

    def fake(self, behaviours: list[str]) -> FakeFirecracker:
        fake = FakeFirecracker(self.uds, self.daemon.socket, behaviours)
        self.fakes.append(fake)
        return fake

    def test_handshake_then_json_rpc(self) -> None:
        fake = self.fake(["ok"])
        with taskd.Client(f"fc:{self.uds}:52") as client:
            self.assertTrue(client.health()["ok"])
            self.assertEqual(client.exec(["echo", "via fc"]).stdout, "via fc\n")
        self.assertEqual(fake.requests, [b"CONNECT 52\n"])

    def test_retries_while_the_socket_is_missing_and_the_guest_boots(self) -> None:
        outcome: dict[str, object] = {}

        def connect() -> None:
            try:
                with taskd.Client(f"fc:{self.uds}:52", timeout=20) as client:
                    outcome["health"] = client.health()
            except Exception as error:  # noqa: BLE001 - reported below
                outcome["error"] = error

        thread = threading.Thread(target=connect)
        thread.start()
        time.sleep(0.1)  # not an assertion: lets the client find no socket at first
        fake = self.fake(["close", "close", "ok"])  # then Firecracker up, guest still booting
        thread.join(30)
        self.assertNotIn("error", outcome)
        self.assertTrue(outcome["health"]["ok"])
        self.assertEqual(len(fake.requests), 3)

    def test_bad_reply_is_not_retried(self) -> None:
        fake = self.fake(["garbage"])
        with self.assertRaises(taskd.ConnectionError) as failed:
            taskd.Client(f"fc:{self.uds}:52", timeout=5)
        self.assertEqual(failed.exception.step, "bad reply")
        self.assertIn("HTTP/1.1 400", str(failed.exception))
        self.assertEqual(len(fake.requests), 1)

    def test_gives_up_at_the_timeout_naming_the_step(self) -> None:
        with self.assertRaises(taskd.ConnectionError) as failed:
            taskd.Client(f"fc:{self.uds}:52", timeout=0.3)
        self.assertEqual(failed.exception.step, "socket missing")
        self.assertIn("attempts in", str(failed.exception))

    def test_async_client_over_fc(self) -> None:
        self.fake(["close", "ok"])

        async def main() -> dict:
            async with taskd.AsyncClient(f"fc:{self.uds}:52") as client:
                return await client.health()

        self.assertTrue(asyncio.run(main())["ok"])


if __name__ == "__main__":
    unittest.main()
