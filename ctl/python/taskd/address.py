"""Daemon addresses and connecting to them, as taskctl does (common/address.cpp,
common/firecracker_connect.cpp).

``unix:PATH`` or a bare ``PATH``; ``vsock:CID:PORT`` (retried while the guest boots);
``fc:UDS_PATH:PORT`` -- Firecracker's host-side vsock socket: connect the UNIX socket, write
``CONNECT PORT\\n`` in one write, read one ``OK <n>\\n`` line within 1 s, then JSON-RPC. While the
guest still boots Firecracker closes the connection after ``CONNECT``, so ``fc:`` retries with a
short backoff (10 ms doubling to 250 ms) until the connect timeout; the final error names the
step that failed.
"""

from __future__ import annotations

import errno
import os
import socket
import time
from dataclasses import dataclass

from .errors import ConnectionError

MAX_UNIX_PATH = 107
FIRECRACKER_REPLY_TIMEOUT = 1.0
MAX_FIRECRACKER_REPLY = 64
FIRST_RETRY_DELAY = 0.010
MAX_RETRY_DELAY = 0.250


@dataclass(frozen=True)
class Address:
    """A parsed address: ``kind`` is ``"unix"``, ``"vsock"`` or ``"fc"``."""

    kind: str
    path: str = ""
    cid: int = 0
    port: int = 0

    def __str__(self) -> str:
        if self.kind == "unix":
            return f"unix:{self.path}"
        if self.kind == "vsock":
            return f"vsock:{self.cid}:{self.port}"
        return f"fc:{self.path}:{self.port}"


def default_address() -> str:
    """``$TASKD_SOCKET``, else the daemon's default socket (as taskctl picks it)."""
    if os.environ.get("TASKD_SOCKET"):
        return os.environ["TASKD_SOCKET"]
    if os.geteuid() == 0:
        return "/run/taskd.sock"
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return f"{runtime}/taskd.sock"
    return f"/tmp/taskd-{os.geteuid()}.sock"


def _bad(text: str, why: str) -> ValueError:
    return ValueError(f"invalid address '{text}': {why}")


def _number(text: str, original: str, what: str) -> int:
    if not text.isdigit() or int(text) > 0xFFFFFFFF:
        raise _bad(original, f"{what} must be a number")
    return int(text)


def _unix_path(original: str, path: str) -> str:
    if not path:
        raise _bad(original, "empty socket path")
    if len(path.encode()) > MAX_UNIX_PATH:
        raise _bad(original, f"socket path longer than {MAX_UNIX_PATH} bytes")
    if "\0" in path:
        raise _bad(original, "NUL in path")
    return path


def parse_address(text: str | os.PathLike[str]) -> Address:
    """Parses an address the way taskctl does; raises ValueError for a malformed one."""
    text = os.fspath(text)
    if text.startswith("unix:"):
        return Address("unix", path=_unix_path(text, text[5:]))
    if text.startswith("vsock:"):
        cid, sep, port = text[6:].partition(":")
        if not sep:
            raise _bad(text, "expected vsock:CID:PORT")
        cid_value = 0xFFFFFFFF if cid == "any" else _number(cid, text, "CID")
        return Address("vsock", cid=cid_value, port=_number(port, text, "port"))
    if text.startswith("fc:"):
        path, sep, port = text[3:].rpartition(":")  # the path itself may contain colons
        if not sep:
            raise _bad(text, "expected fc:PATH:PORT")
        return Address("fc", path=_unix_path(text, path), port=_number(port, text, "port"))
    colon, slash = text.find(":"), text.find("/")
    if colon >= 0 and (slash < 0 or colon < slash):
        raise _bad(text, "unknown scheme (use unix:, vsock: or fc:)")
    return Address("unix", path=_unix_path(text, text))


class _Failure(Exception):
    """One failed attempt: ``step``, a detail, and whether another attempt can help."""

    def __init__(self, step: str, detail: str, retry: bool = True) -> None:
        super().__init__(detail)
        self.step = step
        self.detail = detail
        self.retry = retry


def _connect_unix(path: str, timeout: float) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(max(timeout, 0.001))
    try:
        sock.connect(path)
    except OSError as e:
        sock.close()
        if e.errno == errno.ENOENT:
            raise _Failure("socket missing", f"{path} does not exist") from None
        if e.errno == errno.ECONNREFUSED:
            raise _Failure("refused", f"nothing accepts on {path}") from None
        raise _Failure("unreachable", f"{path}: {e.strerror or e}",
                       isinstance(e, TimeoutError)) from None
    return sock


def _read_reply_line(sock: socket.socket, deadline: float) -> tuple[str, bytes]:
    """Reads the handshake reply one byte at a time, so nothing after the OK line is consumed."""
    line = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "timeout", line
        sock.settimeout(left)
        try:
            byte = sock.recv(1)
        except TimeoutError:
            return "timeout", line
        except ConnectionResetError:
            return "closed", line
        if not byte:
            return "closed", line
        if byte == b"\n":
            return "line", line
        if len(line) >= MAX_FIRECRACKER_REPLY:
            return "too long", line
        line += byte


def firecracker_connect_once(path: str, port: int, time_left: float) -> socket.socket:
    """One ``fc:`` attempt: connect, ``CONNECT PORT``, expect ``OK <n>``. Raises _Failure."""
    start = time.monotonic()
    sock = _connect_unix(path, time_left)
    try:
        try:
            sock.sendall(f"CONNECT {port}\n".encode())  # one write: Firecracker does not reassemble
        except OSError as e:
            raise _Failure("no OK line", f"the connection closed before CONNECT was sent: {e}")
        budget = min(FIRECRACKER_REPLY_TIMEOUT, time_left - (time.monotonic() - start))
        status, line = _read_reply_line(sock, time.monotonic() + max(budget, 0.001))
        text = line.decode("ascii", "backslashreplace")
        if status == "closed" and line:
            raise _Failure("bad reply", f"closed after '{text}'", retry=False)
        if status == "closed":
            raise _Failure("no OK line", f"the connection was closed after CONNECT {port} "
                                         f"(nothing listening on guest vsock port {port} yet?)")
        if status == "timeout":
            raise _Failure("no OK line", f"no reply to CONNECT {port} within "
                                         f"{int(budget * 1000)} ms")
        rest = text[3:]
        if status == "too long" or not text.startswith("OK ") or not rest.isdigit():
            raise _Failure("bad reply", f"expected 'OK <port>', got '{text}'", retry=False)
    except BaseException:
        sock.close()
        raise
    sock.settimeout(None)
    return sock


def _vsock_connect_once(cid: int, port: int, time_left: float) -> socket.socket:
    try:
        sock = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    except (AttributeError, OSError) as e:
        raise _Failure("socket", f"no vsock here: {e}", retry=False) from None
    sock.settimeout(max(time_left, 0.001))
    try:
        sock.connect((cid, port))
    except OSError as e:
        sock.close()
        retry = isinstance(e, TimeoutError) or e.errno in (
            errno.ECONNRESET, errno.ECONNREFUSED, errno.ETIMEDOUT)
        raise _Failure("connect", str(e.strerror or e), retry) from None
    sock.settimeout(None)
    return sock


def _with_retries(name: str, attempt, timeout: float) -> socket.socket:
    start = time.monotonic()
    delay = FIRST_RETRY_DELAY
    attempts = 0
    while True:
        attempts += 1
        left = timeout - (time.monotonic() - start)
        try:
            return attempt(max(left, 0.001))
        except _Failure as failure:
            elapsed = time.monotonic() - start
            if not failure.retry or elapsed + delay >= timeout:
                raise ConnectionError(
                    f"cannot connect to {name}: {failure.step}: {failure.detail} "
                    f"({attempts} attempts in {elapsed:.1f} s)", failure.step, name) from None
            time.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_DELAY)


def connect(address: str | Address, timeout: float = 10.0) -> socket.socket:
    """A connected, blocking stream socket to the daemon at ``address``.

    UNIX sockets fail at once when nothing listens; ``vsock:`` and ``fc:`` retry until
    ``timeout`` seconds have passed. Raises :class:`taskd.ConnectionError` naming the step.
    """
    parsed = address if isinstance(address, Address) else parse_address(address)
    name = str(parsed)
    if parsed.kind == "unix":
        try:
            sock = _connect_unix(parsed.path, timeout)
            sock.settimeout(None)
            return sock
        except _Failure as failure:
            raise ConnectionError(f"cannot connect to {name}: {failure.step}: {failure.detail}",
                                  failure.step, name) from None
    if parsed.kind == "vsock":
        return _with_retries(name, lambda left: _vsock_connect_once(parsed.cid, parsed.port, left),
                             timeout)
    return _with_retries(name, lambda left: firecracker_connect_once(parsed.path, parsed.port, left),
                         timeout)
