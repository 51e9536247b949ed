"""What a job or a service needs to reach its school: the instance folder, the database, Redis, the clock.

Built once and passed as an argument (services never read the environment or Flask):
- the web: by the factory from `app.config` (`app.extensions["settings"]`, `app_settings(app)`);
- a worker: by each job when it starts (`Settings.from_env()`, the variables `app/config.py` names).

Growing past one school (DESIGN): every job carries its school's key and the worker finds the
school's database by it (`database_url_for`). One installation serves one school today: its key is
`DEFAULT_SCHOOL` and it maps to `DATABASE_URL`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from app.clock import SchoolClock
from app.config import read_environment
from app.embedded_redis import url_for_instance

DEFAULT_SCHOOL = "default"


class UnknownSchool(LookupError):
    """Raised when a job names a school this process does not serve."""


@dataclass(frozen=True)
class Settings:
    """The settings of one school's process, fixed once built."""

    instance_path: Path
    database_url: str
    # Resolved: REDIS_URL, or the embedded Redis of the instance folder when it is empty.
    redis_url: str
    timezone: str
    school: str = DEFAULT_SCHOOL
    clock: SchoolClock = field(init=False, compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "instance_path", Path(self.instance_path))
        object.__setattr__(self, "clock", SchoolClock(self.timezone))

    @classmethod
    def from_config(cls, config: Mapping) -> "Settings":
        """Build the settings from a config mapping (`app.config`, or the environment's values)."""
        instance = Path(config["INSTANCE_PATH"])
        return cls(
            instance_path=instance,
            database_url=config["DATABASE_URL"],
            redis_url=config.get("REDIS_URL") or url_for_instance(instance),
            timezone=config["SCHOOL_TIMEZONE"],
        )

    @classmethod
    def from_env(cls, environ: Mapping | None = None) -> "Settings":
        """Build the settings from the environment as it is now (a worker's start of a job)."""
        return cls.from_config(read_environment(environ))

    @property
    def schools(self) -> dict[str, str]:
        """Return the database URL of every school this process serves, by key."""
        return {self.school: self.database_url}

    def database_url_for(self, school: str) -> str:
        """Return the database URL of the school a job names; refuse a school this process does not serve."""
        try:
            return self.schools[school]
        except KeyError:
            raise UnknownSchool(f"This worker does not serve the school {school!r}") from None


def app_settings(app) -> Settings:
    """Return the settings the factory built for this application."""
    return app.extensions["settings"]
