"""The Gymnasium API over a taskd task, without importing gymnasium (duck-typed, so it drops into
gymnasium wrappers, RLlib or a plain loop).

An episode is one task: :meth:`TaskEnv.reset` creates it from the spec (its setup runs), each
:meth:`TaskEnv.step` runs the action as a shell command through ``exec.run`` and polls the task,
:meth:`TaskEnv.close` deletes it.
"""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence

from .client import Client
from .errors import TaskSetupError
from .protocol import ExecResult

Observation = dict[str, Any]
Reward = Callable[[Observation, dict[str, Any]], float]


def _observation(result: ExecResult | None) -> Observation:
    if result is None:
        return {"stdout": "", "stderr": "", "exit_code": None, "timed_out": False}

    def text(data: str | bytes) -> str:
        return data if isinstance(data, str) else data.decode("utf-8", "replace")

    return {"stdout": text(result.stdout), "stderr": text(result.stderr),
            "exit_code": result.exit_code, "timed_out": result.timed_out}


class TaskEnv:
    """One sandbox, one task per episode.

    ``spec`` is the task spec (``setup``, ``process``, ``check``, ``deadline_ms``: docs/tasks.md).
    ``step(action)`` runs ``sh -c action`` (``action_timeout`` seconds) and returns
    ``(observation, reward, terminated, truncated, info)``: the observation is a dict with the
    command's ``stdout``, ``stderr``, ``exit_code`` and ``timed_out``; ``terminated`` when the
    poll says DONE or ERROR; ``truncated`` at ``max_steps`` or once the task's deadline passed;
    ``reward`` is 1.0 on DONE else 0.0, unless ``reward(observation, poll) -> float`` is given.
    ``info`` has the poll's ``status`` and ``description``, the ``step`` and the ``exec`` result.
    """

    metadata: dict[str, Any] = {"render_modes": []}
    render_mode = None
    spec = None  # gymnasium's EnvSpec slot; the task spec is ``task_spec``

    def __init__(self, address: str | os.PathLike[str] | None, spec: dict[str, Any],
                 max_steps: int = 50, reward: Reward | None = None,
                 action_timeout: float = 60.0, task_id: str | None = None,
                 client: Client | None = None, connect_timeout: float = 10.0) -> None:
        self.task_spec = spec
        self.max_steps = max_steps
        self.reward_fn = reward
        self.action_timeout = action_timeout
        self.task_id_prefix = task_id
        self.client = client or Client(address, timeout=connect_timeout)
        self.task_id: str | None = None
        self.steps = 0
        self.episodes = 0

    @property
    def unwrapped(self) -> "TaskEnv":
        """Gymnasium's accessor for the innermost env."""
        return self

    def reset(self, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[Observation, dict[str, Any]]:
        """Starts an episode: deletes the previous task, creates a new one from the spec
        (``options["spec"]`` overrides it for this episode). Raises :class:`TaskSetupError`
        when the setup fails."""
        self._delete_task()
        self.episodes += 1
        self.steps = 0
        spec = (options or {}).get("spec", self.task_spec)
        prefix = self.task_id_prefix or f"env-{uuid.uuid4().hex[:12]}"
        task_id = f"{prefix}-{self.episodes}"
        created = self.client.tasks.create(task_id, spec)
        self.task_id = task_id
        if created.get("result") != "READY":
            raise TaskSetupError(task_id, created.get("failed_step"), created.get("reason", ""))
        return _observation(None), {"task_id": task_id, "seed": seed, "task": created["task"]}

    def step(self, action: str) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        """Runs ``action`` as a shell command, then polls the task."""
        if self.task_id is None:
            raise RuntimeError("call reset() before step()")
        self.steps += 1
        result = self.client.exec(action, timeout=self.action_timeout)
        observation = _observation(result)
        poll = self.client.tasks.poll(self.task_id)
        status = poll.get("status")
        deadline_passed = status == "ERROR" and poll.get("description", "").startswith(
            "deadline passed")
        terminated = status == "DONE" or (status == "ERROR" and not deadline_passed)
        truncated = not terminated and (deadline_passed or self.steps >= self.max_steps)
        if self.reward_fn is not None:
            reward = float(self.reward_fn(observation, poll))
        else:
            reward = 1.0 if status == "DONE" else 0.0
        info = {"status": status, "description": poll.get("description", ""),
                "step": self.steps, "task_id": self.task_id, "exec": result}
        return observation, reward, terminated, truncated, info

    def close(self) -> None:
        """Deletes the task and closes the connection (idempotent)."""
        try:
            self._delete_task()
        finally:
            self.client.close()

    def _delete_task(self) -> None:
        if self.task_id is not None:
            self.client.tasks.delete(self.task_id)
            self.task_id = None

    def __enter__(self) -> "TaskEnv":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class VectorTaskEnv:
    """Steps many :class:`TaskEnv` concurrently (one thread each: the envs block on I/O only).

    ``reset()`` returns ``(observations, infos)`` and ``step(actions)`` returns
    ``(observations, rewards, terminated, truncated, infos)``, each a list with one entry per
    env, in order. An env whose episode ended is not reset automatically; call
    :meth:`reset_at` (or :meth:`reset`) for it.
    """

    def __init__(self, envs: Sequence[TaskEnv]) -> None:
        self.envs = list(envs)
        self.num_envs = len(self.envs)
        self._pool = ThreadPoolExecutor(max_workers=max(1, self.num_envs))

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[list[Observation], list[dict[str, Any]]]:
        """Resets every env (``seed + i`` for env ``i`` when a seed is given)."""
        results = list(self._pool.map(
            lambda i: self.envs[i].reset(None if seed is None else seed + i, options),
            range(self.num_envs)))
        return [r[0] for r in results], [r[1] for r in results]

    def reset_at(self, index: int, seed: int | None = None,
                 options: dict[str, Any] | None = None) -> tuple[Observation, dict[str, Any]]:
        """Resets one env."""
        return self.envs[index].reset(seed, options)

    def step(self, actions: Sequence[str]) -> tuple[list[Observation], list[float], list[bool],
                                                   list[bool], list[dict[str, Any]]]:
        """One action per env, run concurrently."""
        if len(actions) != self.num_envs:
            raise ValueError(f"expected {self.num_envs} actions, got {len(actions)}")
        results = list(self._pool.map(lambda pair: pair[0].step(pair[1]),
                                      zip(self.envs, actions)))
        return ([r[0] for r in results], [r[1] for r in results], [r[2] for r in results],
                [r[3] for r in results], [r[4] for r in results])

    def close(self) -> None:
        """Closes every env."""
        try:
            list(self._pool.map(lambda env: env.close(), self.envs))
        finally:
            self._pool.shutdown()

    def __enter__(self) -> "VectorTaskEnv":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
