"""List endpoints cost the same number of queries whatever the page size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safety_workflow.services.incidents import incident_report

from .factories import person_for
from .helpers import API

pytestmark = pytest.mark.django_db


def queries(client, path, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params or {})
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def add_incidents(people, n, start=0):
    import datetime as dt

    from django.utils import timezone

    for i in range(start, start + n):
        incident_report(reporter=people.members, protected_person=person_for(people.councillor),
                        occurred_at=timezone.now() - dt.timedelta(days=i + 1), channel="email",
                        account=f"Message {i}")


@pytest.mark.parametrize("path", ["/incidents/", "/cases/", "/tasks/"])
def test_list_queries_do_not_grow_with_page_size(people, client_for, path):
    client = client_for(people.members)
    add_incidents(people, 3)
    small = queries(client, f"{API}{path}", {"page_size": 50})
    add_incidents(people, 27, start=3)
    large = queries(client, f"{API}{path}", {"page_size": 50})
    assert large == small, (small, large)


def test_councillor_incident_list_is_constant_too(people, client_for):
    client = client_for(people.councillor)
    add_incidents(people, 2)
    small = queries(client, f"{API}/incidents/")
    add_incidents(people, 20, start=2)
    assert queries(client, f"{API}/incidents/") == small


def test_protected_people_list_is_constant_whatever_the_page(people, client_for):
    """Each person's account, link, candidacies (with their election) and visible incident count: fixed cost."""
    import datetime as dt

    from django.utils import timezone

    from safety_workflow.models import Candidacy, ElectionPeriod

    from .factories import make_person

    election = ElectionPeriod.objects.create(name="County", poll_date=timezone.localdate(),
                                             starts_on=timezone.localdate() - dt.timedelta(days=30),
                                             ends_on=timezone.localdate() + dt.timedelta(days=1))
    cllr = person_for(people.councillor)

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            make_person("household", full_name=f"Relative {i}", relationship="son", linked_to=cllr)
            Candidacy.objects.create(person=make_person("candidate", full_name=f"Candidate {i}"),
                                     election=election, ward=f"Ward {i}")

    client = client_for(people.members)
    add(2, 0)
    add_incidents(people, 2)
    small = queries(client, f"{API}/protected-persons/", {"page_size": 50})
    add(15, 2)
    add_incidents(people, 5, start=2)
    assert queries(client, f"{API}/protected-persons/", {"page_size": 50}) == small
