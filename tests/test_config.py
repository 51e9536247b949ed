"""Configuration: embedded defaults, and production's refusal of a missing secret key."""

import os
import subprocess
import sys

import pytest

from app import create_app
from app.config import ConfigError
from app.db import db, init_db


def test_production_refuses_to_start_without_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(
            {
                "ENV_NAME": "production",
                "SECRET_KEY": "",
                "INSTANCE_PATH": tmp_path,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            }
        )


def test_development_generates_and_keeps_a_secret_key(tmp_path):
    config = {
        "ENV_NAME": "development",
        "SECRET_KEY": "",
        "INSTANCE_PATH": tmp_path,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }
    first = create_app(dict(config)).config["SECRET_KEY"]
    second = create_app(dict(config)).config["SECRET_KEY"]
    assert len(first) >= 32 and first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_defaults_are_embedded(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["EJOURNAL_INSTANCE"] = str(tmp_path)
    code = (
        "from app.config import Config; from app.queue import redis_url;"
        "print(Config.DATABASE_URL);"
        "print(redis_url({'REDIS_URL': Config.REDIS_URL, 'INSTANCE_PATH': Config.INSTANCE_PATH}));"
        "print(Config.SCHOOL_TIMEZONE)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [f"sqlite:///{tmp_path / 'ejournal.db'}", f"unix://{tmp_path / 'redis.sock'}", "Europe/Moscow"]


def _backend_pids(times: int) -> set[int]:
    pids = set()
    for _ in range(times):
        db.connect(reuse_if_open=True)
        pids.add(db.execute_sql("SELECT pg_backend_pid()").fetchone()[0])
        db.close()
    return pids


@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="only PostgreSQL pools connections")
def test_a_web_process_reuses_its_postgresql_connections_and_pool_0_opens_one_per_request(database_url):
    init_db(database_url, pool=4)
    assert len(_backend_pids(3)) == 1
    init_db(database_url, pool=0)
    assert len(_backend_pids(3)) == 3
