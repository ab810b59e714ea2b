"""A Spark standalone cluster (one master, one worker) on this machine, from what the pyspark package ships.

The pip package has no ``sbin/start-master.sh``, so the master and the worker are started as
``$SPARK_HOME/bin/spark-class org.apache.spark.deploy.master.Master`` and ``...deploy.worker.Worker``, with
SPARK_HOME the pyspark package folder, both bound to one address (127.0.0.1 by default). A state folder keeps
their process ids, ports, logs and the worker's scratch space, so ``stop`` and ``status`` find them again from
another process. Used by ``bin/spark-cluster``, the cluster test and ``bench/bench_sampling.py --master cluster``.
No Django needed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
STATE_FILE = "cluster.json"


@dataclass(frozen=True)
class Cluster:
    host: str
    port: int
    webui_port: int
    worker_cores: int
    worker_memory: str
    state_dir: str
    master_pid: int
    worker_pid: int

    @property
    def master_url(self) -> str:
        return f"spark://{self.host}:{self.port}"

    @property
    def webui_url(self) -> str:
        return f"http://{self.host}:{self.webui_port}"


class ClusterError(RuntimeError):
    pass


def spark_home() -> Path:
    """The pyspark package folder: it holds ``bin/spark-class`` and the jars."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def start(
    state_dir: Path | str,
    *,
    host: str = "127.0.0.1",
    port: int = 7077,
    webui_port: int = 8080,
    worker_cores: int = 2,
    worker_memory: str = "2g",
    timeout: float = 90.0,
) -> Cluster:
    """Start a master and one worker; return once the master is alive and the worker has registered.

    Raises ClusterError (with the log's tail) if they do not come up within `timeout` seconds; whatever was
    started is stopped again then.
    """
    state = Path(state_dir).resolve()
    if (running := _read_state(state)) is not None and _alive(running.master_pid):
        raise ClusterError(f"a cluster from {state} is already running at {running.master_url}: stop it first")
    (state / "work").mkdir(parents=True, exist_ok=True)
    env = _environment(host, state)
    master = _launch(
        [MASTER_CLASS, "--host", host, "--port", str(port), "--webui-port", str(webui_port)], state / "master.log", env
    )
    worker_args = [WORKER_CLASS, "--host", host, "--port", "0", "--webui-port", "0", "--cores", str(worker_cores)]
    worker_args += ["--memory", worker_memory, "--work-dir", str(state / "work"), f"spark://{host}:{port}"]
    worker = _launch(worker_args, state / "worker.log", env)
    cluster = Cluster(host, port, webui_port, worker_cores, worker_memory, str(state), master.pid, worker.pid)
    (state / STATE_FILE).write_text(json.dumps(asdict(cluster), indent=2))
    try:
        _wait_until_ready(cluster, timeout)
    except ClusterError:
        stop(state)
        raise
    return cluster


def stop(state_dir: Path | str, *, timeout: float = 30.0) -> bool:
    """Stop the worker, then the master, of the cluster started from `state_dir`; False if none was running."""
    state = Path(state_dir).resolve()
    cluster = _read_state(state)
    if cluster is None:
        return False
    stopped = False
    for pid in (cluster.worker_pid, cluster.master_pid):
        stopped |= _terminate(pid, timeout)
    (state / STATE_FILE).unlink(missing_ok=True)
    return stopped


def status(state_dir: Path | str) -> dict[str, Any] | None:
    """The master's JSON status (workers, cores, running and completed apps), or None if no cluster runs."""
    cluster = _read_state(Path(state_dir).resolve())
    if cluster is None or not _alive(cluster.master_pid):
        return None
    return master_json(cluster)


def master_json(cluster: Cluster) -> dict[str, Any]:
    with urllib.request.urlopen(f"{cluster.webui_url}/json/", timeout=5) as response:
        return json.load(response)


def read_cluster(state_dir: Path | str) -> Cluster | None:
    return _read_state(Path(state_dir).resolve())


def _environment(host: str, state: Path) -> dict[str, str]:
    home = spark_home()
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(home),
        SPARK_LOCAL_IP=host,  # the web UIs bind here too, not on every interface
        SPARK_LOG_DIR=str(state),
        SPARK_WORKER_DIR=str(state / "work"),
        PYSPARK_PYTHON=env.get("PYSPARK_PYTHON", sys.executable),
    )
    return env


def _launch(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    command = [str(spark_home() / "bin" / "spark-class"), *args]
    with open(log, "ab") as out:  # spark-class execs java, so the pid is the JVM's
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )


def _wait_until_ready(cluster: Cluster, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, pid in (("master", cluster.master_pid), ("worker", cluster.worker_pid)):
            if not _alive(pid):
                raise ClusterError(f"the Spark {name} exited while starting:\n{_tail(cluster, name)}")
        try:
            info = master_json(cluster)
        except (OSError, urllib.error.URLError, ValueError):
            info = {}
        if info.get("status") == "ALIVE" and int(info.get("aliveworkers", 0)) >= 1:
            return
        time.sleep(0.5)
    raise ClusterError(
        f"the Spark cluster at {cluster.master_url} was not ready after {timeout:.0f} s:\n"
        f"{_tail(cluster, 'master')}\n{_tail(cluster, 'worker')}"
    )


def _tail(cluster: Cluster, name: str, lines: int = 15) -> str:
    log = Path(cluster.state_dir) / f"{name}.log"
    text = log.read_text(errors="replace").splitlines()[-lines:] if log.exists() else ["(no log)"]
    return f"--- {log}\n" + "\n".join(text)


def _read_state(state: Path) -> Cluster | None:
    try:
        return Cluster(**json.loads((state / STATE_FILE).read_text()))
    except FileNotFoundError:
        return None


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)  # reaps our own child if it exited
        if waited == pid:
            return False
    except ChildProcessError:
        pass  # started by another process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _terminate(pid: int, timeout: float) -> bool:
    if not _alive(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    return True


def _default_state_dir() -> Path:
    var = os.environ.get("MOVIESITE_VAR_DIR") or str(Path(__file__).resolve().parent.parent / "var")
    return Path(var) / "spark-cluster"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spark-cluster", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.add_argument("--dir", type=Path, default=_default_state_dir(), help="state folder (pids, logs, ports)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7077)
    parser.add_argument("--webui-port", type=int, default=8080)
    parser.add_argument("--worker-cores", type=int, default=2)
    parser.add_argument("--worker-memory", default="2g")
    args = parser.parse_args(argv)
    if args.action == "start":
        try:
            cluster = start(
                args.dir, host=args.host, port=args.port, webui_port=args.webui_port,
                worker_cores=args.worker_cores, worker_memory=args.worker_memory,
            )  # fmt: skip
        except ClusterError as exc:
            print(exc, file=sys.stderr)
            return 1
        print(f"Spark master {cluster.master_url} (web UI {cluster.webui_url}); logs in {cluster.state_dir}")
        print(f"use it with: SPARK_MASTER={cluster.master_url}")
        return 0
    if args.action == "stop":
        print("stopped" if stop(args.dir) else f"no cluster was running from {args.dir}")
        return 0
    info = status(args.dir)
    if info is None:
        print(f"no cluster running from {args.dir}")
        return 3
    apps = ", ".join(f"{app['name']} ({app['cores']} cores)" for app in info.get("activeapps", [])) or "none"
    print(f"{info['url']}: {info['status']}, {info['aliveworkers']} worker(s), {info['coresused']}/{info['cores']}"
          f" cores used; running apps: {apps}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
