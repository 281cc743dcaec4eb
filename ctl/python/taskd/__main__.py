"""``python3 -m taskd [-s ADDRESS] COMMAND``: a tiny CLI over the package.

  health                                   daemon.health
  exec [--timeout S] -- CMD [ARG...]       run a command, print its output, exit with its status
  fleet-exec ADDRESSES_FILE [--concurrency N] [--timeout S] -- CMD [ARG...]
                                           run a command on every address (one per line)

The address defaults to ``$TASKD_SOCKET``, else the daemon's default socket, as for taskctl.
Exit status: the command's for ``exec``; 0 when every address succeeded for ``fleet-exec`` (else
1); 7 when the daemon cannot be reached (taskctl's code); 1 for an error reply; 2 for usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Sequence

from .address import default_address
from .async_client import AsyncClient
from .client import Client
from .errors import ConnectionError, RpcError
from .fleet import Fleet

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 7


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python3 -m taskd", description="taskd client")
    parser.add_argument("-s", "--socket", default=None,
                        help="daemon address (default: $TASKD_SOCKET or the default socket)")
    parser.add_argument("--connect-timeout", type=float, default=10.0)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("health", help="daemon.health")
    run = commands.add_parser("exec", help="run a command")
    run.add_argument("--timeout", type=float, default=None, help="seconds")
    run.add_argument("cmd", nargs=argparse.REMAINDER)
    fleet = commands.add_parser("fleet-exec", help="run a command on many daemons")
    fleet.add_argument("addresses_file")
    fleet.add_argument("--concurrency", type=int, default=64)
    fleet.add_argument("--timeout", type=float, default=None, help="seconds per command")
    fleet.add_argument("cmd", nargs=argparse.REMAINDER)
    return parser


def _command(words: list[str]) -> list[str]:
    return words[1:] if words and words[0] == "--" else words


def _write(data: str | bytes, stream) -> None:
    if isinstance(data, bytes):
        stream.flush()
        stream.buffer.write(data)
    else:
        stream.write(data)


def _exec(address: str, args: argparse.Namespace) -> int:
    cmd = _command(args.cmd)
    if not cmd:
        print("python3 -m taskd exec: no command (use: exec -- CMD ...)", file=sys.stderr)
        return EXIT_USAGE
    with Client(address, timeout=args.connect_timeout) as client:
        result = client.exec(cmd, timeout=args.timeout)
    _write(result.stdout, sys.stdout)
    _write(result.stderr, sys.stderr)
    if result.error:
        print(f"taskd: {result.error}", file=sys.stderr)
    if result.exit_code is None:
        return 128 + (result.signal or 0) if result.signal else EXIT_ERROR
    return result.exit_code


def _fleet_exec(args: argparse.Namespace) -> int:
    cmd = _command(args.cmd)
    if not cmd:
        print("python3 -m taskd fleet-exec: no command", file=sys.stderr)
        return EXIT_USAGE
    with open(args.addresses_file, encoding="utf-8") as f:
        addresses = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    fleet = Fleet(addresses, concurrency=args.concurrency, connect_timeout=args.connect_timeout)

    async def episode(client: AsyncClient) -> dict:
        result = await client.exec(cmd, timeout=args.timeout)
        return {"exit_code": result.exit_code, "signal": result.signal,
                "stdout": result.stdout if isinstance(result.stdout, str) else None}

    failed = 0
    for outcome in fleet.run_sync(episode):
        line: dict = {"address": outcome.address}
        if outcome.error is not None:
            line["error"] = str(outcome.error)
        else:
            line.update(outcome.value)
        failed += outcome.error is not None or outcome.value.get("exit_code") != 0
        print(json.dumps(line), flush=True)
    return 0 if failed == 0 else EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    address = args.socket or default_address()
    try:
        if args.command == "health":
            with Client(address, timeout=args.connect_timeout) as client:
                print(json.dumps(client.health()))
            return 0
        if args.command == "exec":
            return _exec(address, args)
        return _fleet_exec(args)
    except ConnectionError as e:
        print(f"taskd: {e}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except RpcError as e:
        print(f"error: {e.message} ({e.code})", file=sys.stderr)
        return EXIT_ERROR
    except (ValueError, OSError) as e:
        print(f"taskd: {e}", file=sys.stderr)
        return EXIT_USAGE if isinstance(e, ValueError) else EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
