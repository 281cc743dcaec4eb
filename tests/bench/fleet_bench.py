#!/usr/bin/env python3
"""fleet_bench: episodes per second of the Python ``taskd.Fleet`` over N local daemons against
the C++ fan-out of exec_bench, in the same run, with the ratio (issue 14: target within 1.5x,
and 256 daemons with no failures).

An episode, as in exec_bench's fan-out: tasks.create with a write step and a check, exec.run
that fixes the file, tasks.poll (must say DONE), tasks.delete; each daemon runs ``--episodes``
of them in sequence on one connection, all daemons at once.

  fleet_bench.py --taskd build/daemon/taskd --exec-bench build/tests/bench/exec_bench
                 [--instances 64,256] [--episodes 20]

It also measures the read path the AsyncClient avoids: ``recv(256 KiB)`` (asyncio's default
Protocol path allocates that per read) against ``recv_into`` a preallocated 64 KiB buffer.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "ctl", "python"))

import support  # noqa: E402
import taskd  # noqa: E402


def start_daemons(count: int) -> list[support.LocalDaemon]:
    return support.start_many(count, log_level="warn")


async def fleet_run(daemons: list[support.LocalDaemon], episodes: int) -> tuple[float, int, int]:
    """(seconds, episodes done, failures) for ``episodes`` per daemon through one Fleet."""
    fleet = taskd.Fleet([d.address for d in daemons], concurrency=len(daemons), timeout=600)
    directories = {d.address: d.dir for d in daemons}

    async def episode(client: taskd.AsyncClient) -> int:
        failures = 0
        directory = directories[str(client.address)]
        for e in range(episodes):
            task_id = f"ep{e}"
            conf = f"{directory}/{task_id}.conf"
            spec = {"setup": [{"kind": "write", "path": conf, "content": "port=oops\n"}],
                    "check": {"cmd": ["grep", "-q", "port=80", conf]}}
            created = await client.tasks.create(task_id, spec)
            await client.exec(["sh", "-c", f"echo port=80 > {conf}"])
            polled = await client.tasks.poll(task_id)
            await client.tasks.delete(task_id)
            failures += created["result"] != "READY" or polled["status"] != "DONE"
        return failures

    async with fleet:
        await fleet.wait_ready(timeout=30)  # connections open before the clock starts
        start = time.perf_counter()
        cpu_start = time.process_time()
        results = await fleet.run(episode)
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
    # One thread's share of a loaded machine against exec_bench's thread per daemon: the client's
    # own CPU per episode shows whether the client or the scheduler is the limit.
    print(f"  Fleet client CPU: {cpu * 1000 / (len(daemons) * episodes):.2f} ms per episode, "
          f"{cpu / seconds * 100:.0f}% of one core")
    failures = sum(r.value if r.ok else episodes for r in results)
    errors = [r for r in results if not r.ok]
    for r in errors[:3]:
        print(f"  fleet error at {r.address}: {r.error!r}")
    return seconds, len(daemons) * episodes, failures


def cpp_fan_out(exec_bench: str, instances: int, episodes: int) -> tuple[float, int]:
    """(episodes/s, failures) from exec_bench's fan-out line."""
    done = subprocess.run([exec_bench, "--runs", "10", "--clients", "1", "--per-client", "1",
                           "--instances", str(instances), "--episodes", str(episodes)],
                          capture_output=True, text=True, timeout=1200, check=True)
    match = re.search(r"fan-out: .*?: (\d+) episodes/s.*?(\d+) failures", done.stdout)
    if not match:
        raise RuntimeError(f"no fan-out line in exec_bench output:\n{done.stdout}")
    return float(match.group(1)), int(match.group(2))


def read_path(reads: int = 2000) -> tuple[float, float]:
    """Microseconds per read: recv(256 KiB) against recv_into a preallocated 64 KiB buffer."""
    a, b = socket.socketpair()
    line = b'{"jsonrpc":"2.0","id":1,"result":{"ok":true}}\n'
    buffer = bytearray(64 * 1024)

    def measure(read) -> float:
        start = time.perf_counter()
        for _ in range(reads):
            a.sendall(line)
            read()
        return (time.perf_counter() - start) / reads * 1e6

    fresh = measure(lambda: b.recv(256 * 1024))
    reused = measure(lambda: b.recv_into(buffer))
    a.close()
    b.close()
    return fresh, reused


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taskd", required=True)
    parser.add_argument("--exec-bench", required=True)
    parser.add_argument("--instances", default="64,256")
    parser.add_argument("--episodes", type=int, default=20)
    args = parser.parse_args()
    support.TASKD_BIN = args.taskd
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 256 connections + pipes

    fresh, reused = read_path()
    print(f"read path: recv(256 KiB) {fresh:.1f} us/read, recv_into(64 KiB prealloc) "
          f"{reused:.1f} us/read")
    worst = 0.0
    failed = 0
    for instances in (int(n) for n in args.instances.split(",")):
        cpp_rate, cpp_failures = cpp_fan_out(args.exec_bench, instances, args.episodes)
        daemons = start_daemons(instances)
        try:
            seconds, count, failures = asyncio.run(fleet_run(daemons, args.episodes))
        finally:
            for daemon in daemons:
                daemon.stop()
        rate = count / seconds
        ratio = cpp_rate / rate if rate else float("inf")
        worst = max(worst, ratio)
        failed += failures + cpp_failures
        print(f"{instances} daemons x {args.episodes} episodes: Fleet {rate:.0f} episodes/s "
              f"({failures} failures), C++ fan-out {cpp_rate:.0f} episodes/s ({cpp_failures} "
              f"failures), ratio C++/Python {ratio:.2f} (target <= 1.5) "
              f"[{'met' if ratio <= 1.5 else 'MISSED'}]")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
