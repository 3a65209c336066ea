"""Shared fixtures: a pinned clock, the people of two client organizations, a vendor of the
first, and a check that the real PostgreSQL and Redis the suite needs are reachable before
anything runs."""

import os
from datetime import datetime

import pytest
import time_machine

from tests.factories import (
    PASSWORD,
    AdminFactory,
    EngagementFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)
from tests.helpers import A_NOVEMBER_WEDNESDAY
from vendors.models import Contact, Vendor


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "clock(moment): the tests are written for this moment (ISO 8601, with offset)"
    )
    if os.environ.get("VAPPORTAL_SKIP_SERVICE_CHECK"):
        return
    from django.conf import settings

    problems = [
        problem for problem in (_postgres_problem(settings), _redis_problem(settings)) if problem
    ]
    if problems:
        pytest.exit("\n".join(problems), returncode=3)


def _postgres_problem(settings) -> str:
    import psycopg

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return f"The tests need PostgreSQL; DATABASE_URL names {db['ENGINE']}."
    try:
        psycopg.connect(
            host=db["HOST"],
            port=db["PORT"] or 5432,
            user=db["USER"],
            password=db["PASSWORD"],
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.OperationalError as error:
        return (
            f"PostgreSQL is not reachable at {db['HOST']}:{db['PORT'] or 5432} ({error}). "
            "Start it, for example: pg_ctlcluster --skip-systemctl-redirect "
            "$(ls /etc/postgresql) main start; or set DATABASE_URL."
        )
    return ""


def _redis_problem(settings) -> str:
    import redis

    url = settings.CELERY_BROKER_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        return (
            f"Redis is not reachable at {url} ({error}). Start it, for example: "
            'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" '
            "--appendonly no; or set CELERY_BROKER_URL."
        )
    return ""


# Every test runs on this clock unless it travels elsewhere itself: a Wednesday morning in
# Chicago, far from a daylight-saving change or a month's end. Set VAPPORTAL_TEST_CLOCK to run
# the suite at another moment (an ISO 8601 time with its offset). The clock ticks, so waits
# and timeouts still pass. The integration tests' workers are other processes with the real
# clock, so those tests keep it too and compute every time from it.
# Tests whose expectations are written for one moment (a date printed without its year, an
# hour in standard time) say so with `pytest.mark.clock(A_NOVEMBER_WEDNESDAY)`, and keep it
# whatever VAPPORTAL_TEST_CLOCK says.
TEST_CLOCK = datetime.fromisoformat(os.environ.get("VAPPORTAL_TEST_CLOCK", A_NOVEMBER_WEDNESDAY))


@pytest.fixture(autouse=True)
def _pinned_clock(request):
    if request.node.get_closest_marker("integration"):
        yield
        return
    marker = request.node.get_closest_marker("clock")
    moment = datetime.fromisoformat(marker.args[0]) if marker else TEST_CLOCK
    with time_machine.travel(moment, tick=True):
        yield


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings, tmp_path):
    """Files the tests upload land in a folder of their own, not in var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Bergstrom Cars", slug="bergstrom-cars")


@pytest.fixture
def owner(organization):
    return MembershipFactory(organization=organization, user__full_name="Renard Bergstrom").user


@pytest.fixture
def manager(organization):
    return MembershipFactory(
        organization=organization, role="manager", user__full_name="Jill Meyer"
    ).user


@pytest.fixture
def engagement(organization):
    return EngagementFactory(organization=organization, assistant__full_name="Rhonda Hayes")


@pytest.fixture
def assistant(engagement):
    return engagement.assistant


@pytest.fixture
def other_organization(db):
    return OrganizationFactory(name="Lakeshore Dental Group", slug="lakeshore-dental")


@pytest.fixture
def outsider(other_organization):
    """An owner of another organization: must see nothing of the first."""
    return MembershipFactory(organization=other_organization, user__full_name="Elena Park").user


@pytest.fixture
def other_assistant(other_organization):
    return EngagementFactory(organization=other_organization).assistant


@pytest.fixture
def vendor(organization):
    return Vendor.objects.create(
        organization=organization, name="Fox Valley Detailing", category="Detailing"
    )


@pytest.fixture
def contact(vendor):
    return Contact.objects.create(
        vendor=vendor, name="Dana Fox", role="Owner", email="dana@foxvalley.example"
    )


@pytest.fixture
def admin_user(db):
    return AdminFactory(full_name="Alex Morgan")


@pytest.fixture
def stranger(db):
    """Logged in, but neither member, assistant nor admin."""
    return UserFactory()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def client_for(client):
    """`client_for(user)` logs a test client in as that person."""

    def login(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return login
