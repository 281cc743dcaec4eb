"""Convenience methods per method family, written once for both clients.

Each method builds its params and calls ``owner._invoke(method, params, post)``: the blocking
client returns ``post(result)``, the asyncio client returns an awaitable of it. Params that are
None are left out, so the daemon's defaults apply.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Protocol


class _Invoker(Protocol):
    def _invoke(self, method: str, params: dict[str, Any],
                post: Callable[[Any], Any] | None = None) -> Any: ...


def _params(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _names(names: Iterable[str] | str) -> list[str]:
    return [names] if isinstance(names, str) else list(names)


class _Family:
    def __init__(self, owner: _Invoker) -> None:
        self._owner = owner

    def _call(self, method: str, params: dict[str, Any],
              post: Callable[[Any], Any] | None = None) -> Any:
        return self._owner._invoke(method, params, post)


class DaemonMethods(_Family):
    """``daemon.*`` and ``events.*``."""

    def health(self) -> Any:
        """``daemon.health``: ``ok``, ``uptime_ms``, ``pid``, counts of programs/tasks/sessions."""
        return self._call("daemon.health", {})

    def version(self) -> Any:
        """``daemon.version``: ``protocol``, ``version``, ``features``."""
        return self._call("daemon.version", {})

    def shutdown(self) -> Any:
        """``daemon.shutdown``: stops every child, then the daemon exits."""
        return self._call("daemon.shutdown", {})

    def reload(self, dry_run: bool = False) -> Any:
        """``daemon.reload``: re-reads the config; ``dry_run`` only reports the difference."""
        return self._call("daemon.reload", _params(dry_run=dry_run or None))

    def tail(self, offset: int | None = None, length: int | None = None) -> Any:
        """``daemon.tail``: a slice of the daemon's own log."""
        return self._call("daemon.tail", _params(offset=offset, length=length))

    def subscribe(self, *topics: str) -> Any:
        """``events.subscribe``: no topics means every topic."""
        return self._call("events.subscribe", _params(topics=list(topics) or None))

    def unsubscribe(self, *topics: str) -> Any:
        """``events.unsubscribe``: no topics means every topic."""
        return self._call("events.unsubscribe", _params(topics=list(topics) or None))


class TaskMethods(_Family):
    """``tasks.*``: an RL episode's task (docs/tasks.md)."""

    def create(self, id: str, spec: dict[str, Any] | None = None) -> Any:
        """``tasks.create``: runs the setup; the result has ``result`` READY or FAIL."""
        return self._call("tasks.create", {"id": id, "spec": spec or {}})

    def poll(self, id: str) -> Any:
        """``tasks.poll``: ``status`` is DONE, INPROGRESS or ERROR, with a ``description``."""
        return self._call("tasks.poll", {"id": id})

    def get(self, id: str) -> Any:
        """``tasks.get``: the task object."""
        return self._call("tasks.get", {"id": id})

    def list(self) -> Any:
        """``tasks.list``: every task object."""
        return self._call("tasks.list", {}, lambda result: result["tasks"])

    def delete(self, id: str, grace_ms: int | None = None) -> Any:
        """``tasks.delete``: stops the task's process and removes it (idempotent)."""
        return self._call("tasks.delete", _params(id=id, grace_ms=grace_ms))

    def sync(self, tasks: dict[str, Any] | Iterable[dict[str, Any]],
             grace_ms: int | None = None) -> Any:
        """``tasks.sync``: ``tasks`` as ``{id: spec}`` or a list of ``{"id", "spec"}``."""
        if isinstance(tasks, dict):
            entries = [{"id": key, "spec": spec} for key, spec in tasks.items()]
        else:
            entries = list(tasks)
        return self._call("tasks.sync", _params(tasks=entries, grace_ms=grace_ms))


class SessionMethods(_Family):
    """``session.*``: long-lived agent sessions (docs/agents.md)."""

    def open(self, id: str, model: str | None = None, thinking_level: str | None = None,
             working_folder: str | None = None, agent: list[str] | None = None) -> Any:
        """``session.open``: creates, resumes or recovers a session; answers once it is ready."""
        return self._call("session.open", _params(id=id, model=model,
                                                  thinking_level=thinking_level,
                                                  working_folder=working_folder, agent=agent))

    def switch(self, id: str) -> Any:
        """``session.switch``: answers ``switching`` at once; ``task_ready`` follows."""
        return self._call("session.switch", {"id": id})

    def prompt(self, message: str, id: str | None = None) -> Any:
        """``session.prompt``: answers ``sent``; the turn's events follow on this connection."""
        return self._call("session.prompt", _params(message=message, id=id))

    def state(self) -> Any:
        """``session.state``: ``active``, ``warm`` and every session's info."""
        return self._call("session.state", {})

    def stop(self, id: str) -> Any:
        """``session.stop``: stops the agent; the session can be resumed later."""
        return self._call("session.stop", {"id": id})


class ProgramMethods(_Family):
    """``programs.*``: supervised processes. ``names`` is one name or a list."""

    def status(self, *names: str) -> Any:
        """``programs.status``: every process when no names are given."""
        return self._call("programs.status", _params(names=list(names) or None))

    def start(self, names: Iterable[str] | str, wait: bool | None = None,
              timeout_ms: int | None = None) -> Any:
        """``programs.start``: per-name results."""
        return self._call("programs.start",
                          _params(names=_names(names), wait=wait, timeout_ms=timeout_ms))

    def stop(self, names: Iterable[str] | str, wait: bool | None = None,
             timeout_ms: int | None = None) -> Any:
        """``programs.stop``: per-name results."""
        return self._call("programs.stop",
                          _params(names=_names(names), wait=wait, timeout_ms=timeout_ms))

    def restart(self, names: Iterable[str] | str, wait: bool | None = None,
                timeout_ms: int | None = None) -> Any:
        """``programs.restart``: per-name results."""
        return self._call("programs.restart",
                          _params(names=_names(names), wait=wait, timeout_ms=timeout_ms))

    def signal(self, names: Iterable[str] | str, signal: str | int) -> Any:
        """``programs.signal``: to each main pid (``"HUP"``, ``"SIGUSR1"`` or a number)."""
        return self._call("programs.signal", {"names": _names(names), "signal": signal})

    def clear(self, names: Iterable[str] | str) -> Any:
        """``programs.clear``: empties the log files."""
        return self._call("programs.clear", {"names": _names(names)})

    def tail(self, name: str, stream: str | None = None, offset: int | None = None,
             length: int | None = None) -> Any:
        """``programs.tail``: a slice of a process's stdout or stderr log."""
        return self._call("programs.tail",
                          _params(name=name, stream=stream, offset=offset, length=length))

    def input(self, name: str, data: str, eof: bool | None = None) -> Any:
        """``programs.input``: writes to a ``stdin = "pipe"`` process; ``written`` bytes."""
        return self._call("programs.input", _params(name=name, data=data, eof=eof))
