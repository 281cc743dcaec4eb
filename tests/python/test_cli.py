"""python3 -m taskd: health, exec (exit status passed through), fleet-exec, unreachable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unittest

import support
from support import LocalDaemon

PACKAGE_DIR = os.path.join(support.HERE, "..", "..", "ctl", "python")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, PYTHONPATH=PACKAGE_DIR, **(env or {}))
    return subprocess.run([sys.executable, "-m", "taskd", *args], capture_output=True,
                          text=True, env=environment, timeout=60)


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.daemons = [LocalDaemon().start() for _ in range(3)]

    @classmethod
    def tearDownClass(cls) -> None:
        for daemon in cls.daemons:
            daemon.stop()

    def test_health_with_the_address_from_the_environment(self) -> None:
        done = run("health", env={"TASKD_SOCKET": self.daemons[0].address})
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertTrue(json.loads(done.stdout)["ok"])

    def test_exec_passes_output_and_status_through(self) -> None:
        done = run("-s", self.daemons[0].socket, "exec", "--", "sh", "-c", "echo hi; exit 4")
        self.assertEqual((done.returncode, done.stdout), (4, "hi\n"))

    def test_fleet_exec(self) -> None:
        listing = os.path.join(self.daemons[0].dir, "addresses")
        with open(listing, "w", encoding="utf-8") as f:
            f.write("".join(d.address + "\n" for d in self.daemons) + "unix:/nonexistent.sock\n")
        done = run("fleet-exec", listing, "--", "echo", "x")
        lines = [json.loads(line) for line in done.stdout.splitlines()]
        self.assertEqual(done.returncode, 1)  # one address failed
        self.assertEqual([line.get("stdout") for line in lines[:3]], ["x\n"] * 3)
        self.assertIn("socket missing", lines[3]["error"])

    def test_unreachable_exits_7(self) -> None:
        done = run("-s", "unix:/nonexistent.sock", "health")
        self.assertEqual(done.returncode, 7)
        self.assertIn("socket missing", done.stderr)


if __name__ == "__main__":
    unittest.main()
