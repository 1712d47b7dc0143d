"""Serve the example host as production runs it: the web server, the task workers and the scheduler.

    manage.py serve_demo [--addr 127.0.0.1:8000]

Starts, each in its own process group: ``runserver``; one worker for the "default" queue (notices,
scheduled work) and one for "bundles" (``db_worker`` on the database queue, ``rqworker`` when
TASK_ENGINE=rq); and ``safety_workflow_scheduler``. A worker or the scheduler that dies is started
again (as systemd's ``Restart=always`` would). When the server stops, or on Ctrl-C or SIGTERM, every
process is stopped, so nothing is left running. `make demo` runs this.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

MANAGE = Path(__file__).resolve().parents[3] / "manage.py"
QUEUES = ("default", "bundles")


def worker_command(queue: str) -> list[str]:
    if getattr(settings, "TASK_ENGINE", "database") == "rq":
        return ["rqworker", "--job-class", "django_tasks_rq.Job", queue]
    return ["db_worker", "--queue-name", queue, "--interval", "0.5", "--no-reload"]


class Command(BaseCommand):
    help = "Run the server, a worker per task queue and the scheduler; stop them all together."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="Address and port for runserver.")
        parser.add_argument("--noreload", action="store_true", help="Run the server without its autoreloader.")

    def handle(self, *args: Any, **options: Any) -> None:
        children: dict[str, tuple[list[str], subprocess.Popen]] = {}
        stopping: list[int] = []

        started_at: dict[str, float] = {}

        def start(name: str, argv: list[str]) -> None:
            started_at[name] = time.monotonic()
            command = [sys.executable, str(MANAGE), *argv]
            children[name] = (argv, subprocess.Popen(command, start_new_session=True))
            self.stdout.write(f"started {name} (pid {children[name][1].pid}): {' '.join(argv)}")

        def stop_all() -> None:
            for _, process in children.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            deadline = time.monotonic() + 20
            for name, (_, process) in children.items():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                self.stdout.write(f"stopped {name}")

        def on_signal(signum: int, frame: Any) -> None:
            stopping.append(signum)

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        server = ["runserver", options["addr"], *(["--noreload"] if options["noreload"] else [])]
        start("server", server)
        if getattr(settings, "TASK_ENGINE", "database") != "immediate":  # immediate: tasks run in the request
            for queue in QUEUES:
                start(f"worker:{queue}", worker_command(queue))
        start("scheduler", ["safety_workflow_scheduler"])
        status = 0
        try:
            while not stopping:
                time.sleep(0.5)
                for name, (argv, process) in list(children.items()):
                    if process.poll() is None or time.monotonic() - started_at[name] < 5:
                        continue  # running, or died just after starting: not again more than every 5 s
                    if name == "server":
                        status = process.returncode or 0
                        stopping.append(0)
                        break
                    self.stderr.write(f"{name} exited ({process.returncode}); starting it again")
                    start(name, argv)
        finally:
            stop_all()
        if status:
            sys.exit(status)
