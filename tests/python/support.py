"""Starting real taskd daemons for the Python client tests (as tests/support/daemon_harness.cpp
does): a temp dir with a config that puts the socket and data_dir there, --foreground, and
readiness by --ready-fd, never by sleeping."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Callable

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "ctl", "python"))

TASKD_BIN = os.environ.get("TASKD_BIN", os.path.join(HERE, "..", "..", "build", "daemon", "taskd"))
ECHO_AGENT_BIN = os.environ.get("ECHO_AGENT_BIN",
                                os.path.join(HERE, "..", "..", "build", "tests", "echo_agent"))


class LocalDaemon:
    """One real taskd in its own temp dir. ``daemon_config`` lines go under ``[daemon]``,
    ``config`` after it (other tables)."""

    def __init__(self, daemon_config: str = "", config: str = "",
                 log_level: str = "info") -> None:
        self.dir = tempfile.mkdtemp(prefix="taskd-py-")
        self.socket = os.path.join(self.dir, "taskd.sock")
        self.address = "unix:" + self.socket
        self.config_path = os.path.join(self.dir, "taskd.toml")
        self.log_path = os.path.join(self.dir, "stderr.log")
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(f'[daemon]\nsocket = "{self.socket}"\ndata_dir = "{self.dir}/data"\n'
                    f'log_level = "{log_level}"\n{daemon_config}\n{config}')
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, wait: bool = True) -> "LocalDaemon":
        """Starts taskd; with ``wait``, returns once it listens (its ready fd)."""
        read_end, write_end = os.pipe()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [TASKD_BIN, "-c", self.config_path, "--foreground", "--ready-fd", str(write_end)],
                pass_fds=(write_end,), stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        os.close(write_end)
        try:
            if wait:
                ready, _, _ = select.select([read_end], [], [], 20)
                if not ready or os.read(read_end, 1) != b"\n":
                    raise RuntimeError(f"taskd did not become ready:\n{self.log()}")
        finally:
            os.close(read_end)
        return self

    def log(self) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL: a sandbox that dies."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """SIGTERM, wait, remove the dir."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_many(count: int, **kwargs: str) -> list[LocalDaemon]:
    """``count`` daemons started together (then each waited for)."""
    daemons = [LocalDaemon(**kwargs) for _ in range(count)]
    try:
        for daemon in daemons:
            daemon.start()
    except BaseException:
        for daemon in daemons:
            daemon.stop()
        raise
    return daemons


def wait_until(condition: Callable[[], object], timeout: float = 10.0) -> bool:
    """Polls ``condition`` every few ms until it holds or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return bool(condition())
