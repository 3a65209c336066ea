"""Threading an inbound reply stays index-backed with 100,000 stored messages: the queries the
service runs to find a reply's conversation, by Message-ID and by sender and subject, are
explained by PostgreSQL and must read vendors_message through an index, never a Seq Scan."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from vendors import services
from vendors.models import Contact, Message, Vendor

from .conftest import reply

STORED = 100_000
ORGANIZATIONS = 20
ADDRESSES = 500


@pytest.fixture
def stored_messages(organization, owner):
    """100,000 sent messages spread over 20 organizations, 500 vendor addresses and many
    subjects, written with one INSERT … SELECT so the test stays fast; then ANALYZE, as
    autovacuum would have done on a real database."""
    from tests.factories import OrganizationFactory

    organizations = [organization] + [OrganizationFactory() for _ in range(ORGANIZATIONS - 1)]
    vendors = Vendor.objects.bulk_create(
        Vendor(organization=org, name=f"Vendor {n}")
        for n, org in enumerate(organizations * (ADDRESSES // ORGANIZATIONS))
    )
    Contact.objects.bulk_create(
        Contact(vendor=v, name=f"Contact {n}", email=f"contact{n}@vendor{n}.example")
        for n, v in enumerate(vendors)
    )
    org_ids = [o.pk for o in organizations]
    vendor_ids = [v.pk for v in vendors]
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO vendors_message (
                organization_id, vendor_id, direction, kind, status, subject, body,
                from_address, to_address, reply_to, cc_owner, message_id, in_reply_to,
                authority, happened_at, created_at
            )
            SELECT
                (%(orgs)s::bigint[])[1 + (g %% %(o)s)],
                (%(vendors)s::bigint[])[1 + (g %% %(a)s)],
                'out', 'email', 'sent',
                'Subject ' || (g %% 5000), 'Body of message ' || g,
                'Renard Bergstrom <portal@vaportal.example>',
                'contact' || (g %% %(a)s) || '@vendor' || (g %% %(a)s) || '.example',
                'renard@bergstromcars.example', false,
                'stored-' || g || '@vaportal.example', '', 'send',
                now() - make_interval(mins => g), now() - make_interval(mins => g)
            FROM generate_series(1, %(n)s) AS g
            """,
            {
                "orgs": org_ids,
                "vendors": vendor_ids,
                "o": ORGANIZATIONS,
                "a": ADDRESSES,
                "n": STORED,
            },
        )
        cursor.execute("ANALYZE vendors_message")
        cursor.execute("ANALYZE vendors_contact")
        cursor.execute("ANALYZE vendors_vendor")
    assert time.monotonic() - started < 20
    assert Message.objects.count() == STORED
    return organizations


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def message_queries_of(find) -> tuple[object, list[str]]:
    """What `find()` returns and the SQL it ran against vendors_message."""
    with CaptureQueriesContext(connection) as captured:
        found = find()
    return found, [q["sql"] for q in captured if '"vendors_message"' in q["sql"]]


def assert_index_backed(sql: str) -> None:
    plan = explain(sql)
    assert "Seq Scan on vendors_message" not in plan, plan
    assert any(
        scan in line and "vendors_message" in line
        for line in plan.splitlines()
        for scan in ("Index Scan", "Index Only Scan", "Bitmap Index Scan")
    ) or ("Bitmap Heap Scan on vendors_message" in plan), plan


def test_threading_by_message_id_uses_an_index(stored_messages):
    references = ["unknown@elsewhere.example", "stored-4242@vaportal.example"]

    parent, queries = message_queries_of(lambda: services._replied_to(references))

    assert parent.message_id == "stored-4242@vaportal.example"
    assert len(queries) == 1
    assert "message_id" in queries[0]
    assert_index_backed(queries[0])


def test_threading_by_sender_and_subject_uses_an_index(stored_messages):
    # Message 7777 went to contact 277 with "Subject 2777".
    sender, subject = "contact277@vendor277.example", "RE: Subject 2777"
    organization = Message.objects.get(message_id="stored-7777@vaportal.example").organization

    parent, queries = message_queries_of(
        lambda: services._same_conversation(organization, sender, subject)
    )

    assert parent is not None
    assert (parent.to_address, parent.subject) == (sender, "Subject 2777")
    assert len(queries) == 1
    assert "to_address" in queries[0]
    assert_index_backed(queries[0])


def test_a_reference_that_matches_nothing_falls_back_through_indexes_too(stored_messages):
    sender, subject = "contact277@vendor277.example", "Re: Subject 2777"
    organization = Message.objects.get(message_id="stored-7777@vaportal.example").organization

    parent, queries = message_queries_of(
        lambda: (
            services._replied_to(["nobody@nowhere.example"])
            or services._same_conversation(organization, sender, subject)
        )
    )

    assert parent is not None
    assert len(queries) == 2
    for sql in queries:
        assert_index_backed(sql)


def test_receiving_a_reply_reads_stored_messages_only_through_indexes(stored_messages):
    raw = reply(
        "stored-7777@vaportal.example",
        sender="contact277@vendor277.example",
        message_id="new-reply@vendor277.example",
        subject="Re: Subject 2777",
    )

    (message, created), queries = message_queries_of(lambda: services.inbound_receive(raw))

    assert created
    assert message.thread.message_id == "stored-7777@vaportal.example"
    selects = [sql for sql in queries if sql.lstrip().upper().startswith("SELECT")]
    assert len(selects) >= 2  # the duplicate check and the parent by Message-ID
    for sql in selects:
        assert_index_backed(sql)
