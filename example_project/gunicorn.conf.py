"""gunicorn for the example host: ``gunicorn -c gunicorn.conf.py council_host.wsgi:application``.

Sized for the machine it runs on. A request to the API spends much of its time waiting for PostgreSQL,
so each worker process runs threads (gthread): one process per core, and a few threads in each, keep
the cores busy without a process per request. Each thread holds its own persistent database connection
(``CONN_MAX_AGE`` in settings.py), so workers x threads is the number of connections to allow for in
PostgreSQL's ``max_connections`` (plus the task workers). Override with the environment:
GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_BIND.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS") or multiprocessing.cpu_count())
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
# Keep-alive connections from a reverse proxy (nginx) on the same machine.
keepalive = 5
# A request that takes longer than this is killed: the API does nothing slow in a request (bundle builds and
# notices are tasks), so 30 s means something is stuck.
timeout = 30
graceful_timeout = 30
# Recycle workers now and then (memory growth in long-lived processes), staggered so they do not restart together.
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
control_socket_disable = True  # no shared control socket under $HOME (gunicorn 24+)
