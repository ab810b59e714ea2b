import os
import socket

from worker.celery import app


@app.task(name="worker.tasks.maintenance.ping")
def ping(payload: str = "") -> dict:
    """Answer with who ran it: lets operators and tests check that a worker is consuming."""
    return {"payload": payload, "host": socket.gethostname(), "pid": os.getpid()}
