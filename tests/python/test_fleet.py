"""taskd.Fleet over 32 local daemons with one killed mid-run, run_sync, and wait_ready by
polling and by the announce hello."""

from __future__ import annotations

import asyncio
import os
import tempfile
import unittest

import support  # noqa: F401 - puts ctl/python on sys.path

import taskd
from support import LocalDaemon, start_many


class FleetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.daemons = start_many(32)

    @classmethod
    def tearDownClass(cls) -> None:
        for daemon in cls.daemons:
            daemon.stop()

    def test_one_daemon_killed_mid_run_is_reported_and_the_rest_finish(self) -> None:
        victim = 7
        fleet = taskd.Fleet([d.address for d in self.daemons], concurrency=32, timeout=30)
        started = asyncio.Event

        async def main() -> list[taskd.FleetResult]:
            all_started = started()
            count = 0

            async def episode(client: taskd.AsyncClient) -> str:
                nonlocal count
                marker = os.path.join(tempfile.gettempdir(), f"never-{os.getpid()}")
                spec = {"check": {"cmd": ["test", "-e", marker]}}
                await client.tasks.create("ep", spec)
                count += 1
                if count == len(self.daemons):
                    all_started.set()
                await all_started.wait()  # every episode is mid-run when the victim dies
                result = await client.exec(["sh", "-c", "sleep 0.2; echo acted"])
                poll = await client.tasks.poll("ep")
                await client.tasks.delete("ep")
                return result.stdout + poll["status"]

            async def kill_when_started() -> None:
                await all_started.wait()
                await asyncio.sleep(0.05)  # the victim's exec is running
                await asyncio.to_thread(self.daemons[victim].kill)

            killer = asyncio.ensure_future(kill_when_started())
            try:
                return await fleet.run(episode)
            finally:
                await killer
                await fleet.close()

        results = asyncio.run(main())
        self.assertEqual([r.address for r in results], [d.address for d in self.daemons])
        for index, result in enumerate(results):
            if index == victim:
                self.assertIsInstance(result.error, taskd.ConnectionError, result)
                self.assertFalse(result.ok)
            else:
                self.assertTrue(result.ok, result)
                self.assertEqual(result.value, "acted\nINPROGRESS")
        self.daemons[victim].stop()
        self.daemons[victim] = LocalDaemon().start()

    def test_run_sync_and_connection_failures(self) -> None:
        addresses = [d.address for d in self.daemons[:4]] + ["unix:/nonexistent/taskd.sock"]
        fleet = taskd.Fleet(addresses, concurrency=2, retries=1)

        async def episode(client: taskd.AsyncClient) -> int:
            return (await client.health())["pid"]

        results = fleet.run_sync(episode)
        self.assertEqual([r.ok for r in results], [True] * 4 + [False])
        self.assertEqual(results[4].error.step, "socket missing")
        self.assertEqual(len({r.value for r in results[:4]}), 4)

    def test_wait_ready_by_polling(self) -> None:
        fleet = taskd.Fleet([d.address for d in self.daemons[:8]])

        async def main() -> list[taskd.FleetResult]:
            async with fleet:
                return await fleet.wait_ready(timeout=10)

        self.assertTrue(all(r.ok and r.value["ok"] for r in asyncio.run(main())))


class AnnounceTest(unittest.TestCase):
    def test_wait_ready_on_the_announce_hello(self) -> None:
        listen_dir = tempfile.mkdtemp(prefix="taskd-announce-")
        paths = [os.path.join(listen_dir, f"guest{i}.sock") for i in range(4)]
        daemons = [LocalDaemon(daemon_config=f'announce = "unix:{path}"') for path in paths]
        fleet = taskd.Fleet([d.address for d in daemons])

        async def main() -> list[taskd.FleetResult]:
            async with taskd.AnnounceListener(paths) as listener:  # listening before the boot
                for daemon in daemons:
                    await asyncio.to_thread(daemon.start, False)
                return await fleet.wait_ready(timeout=20, announce=listener)

        try:
            results = asyncio.run(main())
        finally:
            for daemon in daemons:
                daemon.stop()
            os.rmdir(listen_dir)
        for result in results:
            self.assertTrue(result.ok, result)
            self.assertEqual(result.value["type"], "ready")
            self.assertEqual(result.value["protocol"], taskd.PROTOCOL_VERSION)
            self.assertTrue(result.value["boot_id"])

    def test_a_guest_that_never_announces_times_out(self) -> None:
        listen_dir = tempfile.mkdtemp(prefix="taskd-announce-")
        path = os.path.join(listen_dir, "silent.sock")
        fleet = taskd.Fleet(["unix:/nonexistent.sock"])
        results = asyncio.run(fleet.wait_ready(timeout=0.2, announce=[path]))
        os.rmdir(listen_dir)
        self.assertIsInstance(results[0].error, TimeoutError)


if __name__ == "__main__":
    unittest.main()
