"""Fixtures of the saved-jobs tests: the jobs tests' clients and factories."""

from tests.jobs.conftest import (  # noqa: F401 - fixtures shared with the jobs tests
    admin,
    admin_client,
    admin_user,
    make_job,
    user_client,
)
