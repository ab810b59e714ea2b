import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT_ROOT = Path(__file__).parent.parent


@pytest.fixture
def tiny_dataset(tmp_path: Path) -> Path:
    """A writable copy of the hand-written ML-1M-format fixture (70 users, 27 movies, 1,567 ratings)."""
    target = tmp_path / "ml-1m"
    shutil.copytree(FIXTURES / "ml-tiny", target)
    return target


def database_url_for_subprocess() -> str:
    """The URL of the database this test runs on (the test database), for a worker process."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user, host, port = settings["USER"], settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


class WorkerProcess:
    """A real `celery worker` child process, started on its own queue names."""

    def __init__(self, env: dict[str, str], queues: str, log: Path) -> None:
        self.log = log
        command = [
            sys.executable, "-m", "celery", "-A", "worker", "worker", "-Q", queues, "-c", "1",
            "--pool", "prefork", "--without-mingle", "--without-gossip", "-l", "info",
            "-n", f"test-{uuid.uuid4().hex[:8]}@%h",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log.read_text()[-3000:]}")
            if "ready." in self.log.read_text(errors="replace"):
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready after {timeout}s:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the whole process group, as an out-of-memory killer or a pulled plug would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def start_worker(tmp_path: Path):
    """Start real worker processes: start_worker(env_overrides, queues="default,training")."""
    started: list[WorkerProcess] = []

    def start(env_overrides: dict[str, str] | None = None, queues: str = "default,training") -> WorkerProcess:
        env = {**os.environ, "DATABASE_URL": database_url_for_subprocess(), **(env_overrides or {})}
        worker = WorkerProcess(env, queues, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()
