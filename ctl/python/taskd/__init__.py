"""taskd's Python client (stdlib only).

- :class:`Client`: blocking JSON-RPC over ``unix:``, ``vsock:`` and Firecracker ``fc:`` addresses.
- :class:`AsyncClient`: the same over asyncio, many requests in flight on one connection.
- :class:`Fleet`: one ``async def episode(client)`` on many sandboxes, at most N at a time.
- :mod:`taskd.gym`: ``TaskEnv`` / ``VectorTaskEnv``, the Gymnasium API over a task.

See docs/python.md.
"""

from .address import default_address, parse_address
from .announce import AnnounceListener
from .async_client import AsyncClient
from .client import Client
from .errors import ConnectionError, RpcError, TaskSetupError
from .fleet import Fleet, FleetResult
from .protocol import PROTOCOL_VERSION, ExecResult, Turn

__version__ = "0.1.0"

__all__ = [
    "AnnounceListener", "AsyncClient", "Client", "ConnectionError", "ExecResult", "Fleet",
    "FleetResult", "PROTOCOL_VERSION", "RpcError", "TaskSetupError", "Turn", "default_address",
    "parse_address",
]
