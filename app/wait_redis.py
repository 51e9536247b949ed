"""Wait until Redis answers (the embedded one starts beside us); exit non-zero after a timeout."""

import sys
import time

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from app.config import Config
from app.queue import redis_url


def main(timeout: float = 30.0) -> int:
    """Ping REDIS_URL until it answers or the timeout passes."""
    url = redis_url({"REDIS_URL": Config.REDIS_URL, "INSTANCE_PATH": Config.INSTANCE_PATH})
    deadline = time.monotonic() + timeout
    while True:
        try:
            Redis.from_url(url).ping()
            return 0
        except (RedisConnectionError, FileNotFoundError, OSError):
            if time.monotonic() > deadline:
                print(f"Redis at {url} did not answer within {timeout:.0f} s", file=sys.stderr)
                return 1
            time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
