"""taskd.gym: a TaskEnv episode to DONE, one truncated at max_steps, one past its deadline, a
failing setup, and VectorTaskEnv over 8 daemons."""

from __future__ import annotations

import os
import unittest

import support  # noqa: F401 - puts ctl/python on sys.path

import taskd
from support import start_many
from taskd.gym import TaskEnv, VectorTaskEnv


def broken_config_spec(directory: str) -> dict:
    conf = os.path.join(directory, "app.conf")
    return {"setup": [{"kind": "write", "path": conf, "content": "port=oops\n"}],
            "check": {"cmd": ["grep", "-q", "port=80", conf]}}


class TaskEnvTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.daemons = start_many(8)

    @classmethod
    def tearDownClass(cls) -> None:
        for daemon in cls.daemons:
            daemon.stop()

    def env(self, **kwargs) -> TaskEnv:
        daemon = self.daemons[0]
        env = TaskEnv(daemon.address, broken_config_spec(daemon.dir), **kwargs)
        self.addCleanup(env.close)
        return env

    def test_episode_to_done(self) -> None:
        env = self.env(max_steps=5)
        observation, info = env.reset(seed=1)
        self.assertEqual(observation["exit_code"], None)
        conf = os.path.join(self.daemons[0].dir, "app.conf")
        observation, reward, terminated, truncated, info = env.step(f"cat {conf}")
        self.assertEqual((observation["stdout"], observation["exit_code"]), ("port=oops\n", 0))
        self.assertEqual((reward, terminated, truncated, info["status"]),
                         (0.0, False, False, "INPROGRESS"))
        observation, reward, terminated, truncated, info = env.step(f"echo port=80 > {conf}")
        self.assertEqual((reward, terminated, truncated, info["status"]), (1.0, True, False, "DONE"))
        task_id = info["task_id"]
        env.close()
        with taskd.Client(self.daemons[0].address) as client:
            self.assertNotIn(task_id, [t["id"] for t in client.tasks.list()])  # close deleted it

    def test_truncated_at_max_steps_with_a_custom_reward(self) -> None:
        env = self.env(max_steps=2, reward=lambda obs, poll: -0.5 if obs["exit_code"] else 0.25)
        env.reset()
        _, reward, terminated, truncated, _ = env.step("false")
        self.assertEqual((reward, terminated, truncated), (-0.5, False, False))
        _, reward, terminated, truncated, info = env.step("true")
        self.assertEqual((reward, terminated, truncated), (0.25, False, True))
        self.assertEqual(info["step"], 2)
        env.reset()  # a new episode: a new task, the old one deleted
        self.assertEqual(env.steps, 0)

    def test_past_the_deadline_is_truncated_not_terminated(self) -> None:
        spec = dict(broken_config_spec(self.daemons[0].dir), deadline_ms=1)
        env = TaskEnv(self.daemons[0].address, spec)
        self.addCleanup(env.close)
        env.reset()
        _, reward, terminated, truncated, info = env.step("sleep 0.01")
        self.assertEqual((reward, terminated, truncated), (0.0, False, True), info)

    def test_failing_setup_raises(self) -> None:
        env = TaskEnv(self.daemons[0].address,
                      {"setup": [{"kind": "run", "cmd": ["false"]}]})
        self.addCleanup(env.close)
        with self.assertRaises(taskd.TaskSetupError) as failed:
            env.reset()
        self.assertEqual(failed.exception.failed_step, 0)

    def test_vector_env_over_8_daemons(self) -> None:
        envs = [TaskEnv(d.address, broken_config_spec(d.dir), max_steps=3) for d in self.daemons]
        with VectorTaskEnv(envs) as vector:
            observations, infos = vector.reset(seed=10)
            self.assertEqual(len(observations), 8)
            self.assertEqual([i["seed"] for i in infos], list(range(10, 18)))
            fixes = [f"echo port=80 > {os.path.join(d.dir, 'app.conf')}" for d in self.daemons]
            fixes[3] = "true"  # one env does not solve it
            _, rewards, terminated, truncated, infos = vector.step(fixes)
            self.assertEqual(rewards, [1.0] * 3 + [0.0] + [1.0] * 4)
            self.assertEqual(terminated, [True] * 3 + [False] + [True] * 4)
            self.assertEqual(truncated, [False] * 8)
            with self.assertRaises(ValueError):
                vector.step(["true"])


if __name__ == "__main__":
    unittest.main()
