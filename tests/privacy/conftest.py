"""The export tests' small school, receiver and real RQ worker, for the personal data tests."""

from tests.exports.conftest import (  # noqa: F401 (fixtures)
    instance_path,
    portal,
    receiver,
    school,
    settings,
    work,
    worker_env,
)
