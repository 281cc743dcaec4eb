"""taskd.Client against a real daemon: every convenience method, and errors as RpcError codes."""

from __future__ import annotations

import builtins
import os
import unittest

import support  # noqa: F401 - puts ctl/python on sys.path

import taskd
from support import ECHO_AGENT_BIN, LocalDaemon, wait_until

PROGRAMS = """
[programs.cat]
cmd = ["cat"]
stdin = "pipe"
starttime = 0
"""


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        sessions = f'[sessions]\nagent = ["{ECHO_AGENT_BIN}"]\nready = "line"\n'
        cls.daemon = LocalDaemon(config=PROGRAMS + sessions).start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.daemon.stop()

    def setUp(self) -> None:
        self.client = taskd.Client(self.daemon.address, timeout=5)
        self.addCleanup(self.client.close)

    def test_daemon_family(self) -> None:
        self.assertTrue(self.client.health()["ok"])
        self.assertEqual(self.client.version()["protocol"], taskd.PROTOCOL_VERSION)
        self.assertIn("ready", self.client.daemon.tail(length=100000)["data"])
        self.assertFalse(self.client.daemon.reload(dry_run=True)["applied"])
        self.assertEqual(self.client.subscribe("task")["topics"], ["task"])
        self.assertEqual(self.client.daemon.unsubscribe()["topics"], [])
        self.assertEqual(self.client.call("daemon.health")["connections"] >= 1, True)

    def test_exec_text_binary_stdin_and_timeout(self) -> None:
        result = self.client.exec("echo out; echo err >&2; exit 3")
        self.assertEqual((result.exit_code, result.stdout, result.stderr), (3, "out\n", "err\n"))
        self.assertFalse(result.ok)
        binary = self.client.exec(["printf", "\\377\\000"])
        self.assertEqual(binary.stdout, b"\xff\x00")
        echoed = self.client.exec(["cat"], stdin=b"\xfe bytes in")
        self.assertEqual(echoed.stdout, b"\xfe bytes in")
        self.assertEqual(self.client.exec(["cat"], stdin="text").stdout, "text")
        slow = self.client.exec(["sleep", "5"], timeout=0.2, kill_grace_ms=100)
        self.assertTrue(slow.timed_out)
        self.assertIsNone(slow.exit_code)
        self.assertEqual(slow.signal, 15)
        keyed = self.client.exec(["echo", "once"], request_key="k-1")
        again = self.client.exec(["echo", "once"], request_key="k-1")
        self.assertTrue(again.reused)  # the first run's result, not a second run
        self.assertEqual((again.stdout, keyed.reused), ("once\n", False))

    def test_tasks_family(self) -> None:
        path = os.path.join(self.daemon.dir, "app.conf")
        spec = {"setup": [{"kind": "write", "path": path, "content": "port=oops\n"}],
                "check": {"cmd": ["grep", "-q", "port=80", path]}}
        created = self.client.tasks.create("fix", spec)
        self.assertEqual(created["result"], "READY")
        self.assertEqual(self.client.tasks.poll("fix")["status"], "INPROGRESS")
        self.client.exec(f"echo port=80 > {path}")
        self.assertEqual(self.client.tasks.poll("fix")["status"], "DONE")
        self.assertEqual(self.client.tasks.get("fix")["id"], "fix")
        self.assertIn("fix", [t["id"] for t in self.client.tasks.list()])
        synced = self.client.tasks.sync({"fix": spec, "other": {}})
        self.assertEqual((synced["unchanged"], synced["created"]), (["fix"], ["other"]))
        self.assertTrue(self.client.tasks.delete("fix")["deleted"])
        self.assertTrue(self.client.tasks.delete("other", grace_ms=100)["deleted"])
        self.assertFalse(self.client.tasks.delete("fix")["deleted"])

    def test_programs_family(self) -> None:
        programs = self.client.programs
        self.assertTrue(wait_until(
            lambda: programs.status("cat")["processes"][0]["state"] == "RUNNING"))
        self.assertEqual(programs.input("cat", "hello\n")["written"], 6)
        self.assertTrue(wait_until(lambda: programs.tail("cat")["data"] == "hello\n"))
        self.assertTrue(programs.clear("cat")["results"][0]["ok"])
        self.assertEqual(programs.tail("cat", stream="stdout", offset=0)["data"], "")
        self.assertTrue(programs.signal("cat", "CONT")["results"][0]["ok"])
        self.assertEqual(programs.stop("cat")["results"][0]["state"], "STOPPED")
        self.assertEqual(programs.start(["cat"])["results"][0]["state"], "RUNNING")
        self.assertTrue(programs.restart("cat", timeout_ms=10000)["results"][0]["ok"])

    def test_sessions_family_and_ask(self) -> None:
        sessions = self.client.sessions
        self.assertEqual(sessions.open("s1", model="m")["mode"], "created")
        self.assertEqual(sessions.switch("s1")["status"], "switching")
        self.assertTrue(wait_until(lambda: sessions.state()["active"] == "s1"))
        turn = sessions.ask("hello", timeout=10)  # no subscription needed (issue 14)
        self.assertEqual((turn.id, turn.turn, turn.output), ("s1", 1, "echo: hello\n"))
        self.assertEqual(turn.usage["turn"], 1)
        with self.assertRaises(taskd.RpcError) as died:
            sessions.ask("crash", timeout=10)
        self.assertEqual(died.exception.code, "PI_PROCESS_DEAD")
        with self.assertRaises(taskd.RpcError) as dead:
            sessions.prompt("again")
        self.assertEqual(dead.exception.code, "PI_PROCESS_DEAD")
        self.assertEqual(sessions.open("s1")["mode"], "recovered")
        self.assertEqual(sessions.stop("s1")["state"], "stopped")

    def test_errors_map_to_rpc_error_codes(self) -> None:
        with self.assertRaises(taskd.RpcError) as missing:
            self.client.tasks.get("nope")
        self.assertEqual((missing.exception.code, missing.exception.rpc_code), ("NOT_FOUND", -32001))
        with self.assertRaises(taskd.RpcError) as typo:
            self.client.call("tasks.poll", id="x", bogus=1)
        self.assertEqual(typo.exception.code, "INVALID_PARAMS")
        self.assertEqual(typo.exception.data.get("field"), "bogus")
        with self.assertRaises(taskd.RpcError) as unknown:
            self.client.call("no.such")
        self.assertEqual(unknown.exception.code, "METHOD_NOT_FOUND")
        with self.assertRaises(taskd.RpcError) as exists:
            self.client.tasks.create("dup")
            self.client.tasks.create("dup")
        self.assertEqual(exists.exception.code, "ALREADY_EXISTS")
        self.client.tasks.delete("dup")

    def test_connection_errors_name_the_step(self) -> None:
        with self.assertRaises(taskd.ConnectionError) as missing:
            taskd.Client(os.path.join(self.daemon.dir, "absent.sock"))
        self.assertIsInstance(missing.exception, builtins.ConnectionError)
        self.assertEqual(missing.exception.step, "socket missing")
        with self.assertRaises(ValueError):
            taskd.Client("vsok:3:52")

    def test_context_manager_closes(self) -> None:
        with taskd.Client(self.daemon.address) as client:
            client.health()
        with self.assertRaises(taskd.ConnectionError):
            client.health()


if __name__ == "__main__":
    unittest.main()
