"""Who sees register entries: officers by role, others by grant only, frontline staff never; all logged."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import get_objects_for_user

from safety_workflow.models import AccessLogEntry, RegisterEntry

from .factories import make_user
from .register_helpers import AUDIT, ENTRIES, READ, active_entry, check, direct_entry, entry_url

pytestmark = pytest.mark.django_db

DOB = dt.date(1971, 5, 2)


@pytest.fixture
def gary(people, client_for):
    return active_entry(people, client_for, name="Gary Booth", date_of_birth=DOB)


def grant(client_for, people, entry_id, **who):
    return client_for(people.monitoring).post(entry_url(entry_id, "grants"), {"reason": "Injunction bundle", **who},
                                              format="json")


def test_frontline_staff_see_only_check_results(people, client_for, gary):
    frontline = client_for(people.frontline)
    assert check(frontline, "Gary Booth", date_of_birth=DOB.isoformat()).json()["result"] == "match"
    response = frontline.get(ENTRIES, READ)
    assert response.status_code == 403 and response.json()["code"] == "register_not_permitted"
    for url in (entry_url(gary["id"]), entry_url(gary["id"], "grants")):
        assert frontline.get(url).status_code == 404
    assert frontline.post(entry_url(gary["id"], "review"), {"decision": "remove", "reason": "x"},
                          format="json").status_code == 404
    assert frontline.get(AUDIT).status_code == 403
    # Even a grant cannot give frontline staff an entry.
    response = grant(client_for, people, gary["id"], user=people.frontline.pk)
    assert response.status_code == 400 and response.json()["code"] == "grantee_not_eligible"
    frontline_group = Group.objects.get(name="Frontline Staff")
    response = grant(client_for, people, gary["id"], group=frontline_group.pk)
    assert response.status_code == 400 and response.json()["code"] == "grantee_not_eligible"
    assert frontline.get(entry_url(gary["id"]), READ).status_code == 404


def test_an_ungranted_user_cannot_tell_whether_an_entry_exists(people, client_for, gary):
    legal = client_for(people.legal)
    missing = str(uuid.uuid4())
    for action, method, body in [
        ("", "get", None),
        ("", "patch", {"reason": "x", "aliases": []}),
        ("approve", "post", {"decision": "approve"}),
        ("notification", "post", {"method": "letter"}),
        ("review", "post", {"decision": "remove", "reason": "x"}),
        ("grants", "get", None),
        ("grants", "post", {"user": people.legal.pk, "reason": "x"}),
        (f"grants/users/{people.legal.pk}", "delete", None),
    ]:
        query = "?purpose=Checking" if method == "get" else ""
        real = getattr(legal, method)(entry_url(gary["id"], action) + query, body, format="json")
        fake = getattr(legal, method)(entry_url(missing, action) + query, body, format="json")
        assert real.status_code == fake.status_code == 404, action
        assert real.json() == fake.json() == {"code": "not_found", "message": "Not found."}, action
    assert legal.get(entry_url("not-a-uuid"), READ).json() == {"code": "not_found", "message": "Not found."}
    listed = legal.get(ENTRIES, {"subject": RegisterEntry.objects.get(pk=gary["id"]).subject_id, **READ})
    assert listed.status_code == 200 and listed.json()["count"] == 0
    assert RegisterEntry.objects.get(pk=gary["id"]).state == "active"  # nothing changed


def test_officers_see_every_entry_by_role(people, client_for, gary):
    for user in (people.monitoring, people.safety):
        client = client_for(user)
        assert client.get(entry_url(gary["id"]), READ).status_code == 200
        assert [e["id"] for e in client.get(ENTRIES, READ).json()["results"]] == [gary["id"]]


def test_user_grants_and_revocations_take_effect_at_once(people, client_for, gary):
    legal = client_for(people.legal)
    assert legal.get(entry_url(gary["id"]), READ).status_code == 404
    response = grant(client_for, people, gary["id"], user=people.legal.pk)
    assert response.status_code == 201
    assert response.json()["kind"] == "user" and response.json()["name"] == "Lee Gal"
    body = legal.get(entry_url(gary["id"]), {"purpose": "Preparing the injunction"}).json()
    assert body["reasons"].startswith("Threatened") and body["incidents"]
    assert [e["id"] for e in legal.get(ENTRIES, READ).json()["results"]] == [gary["id"]]
    # A reader is not a manager: they cannot pass it on.
    response = legal.post(entry_url(gary["id"], "grants"), {"user": people.police.pk, "reason": "x"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "register_grant_not_permitted"

    response = client_for(people.monitoring).delete(entry_url(gary["id"], f"grants/users/{people.legal.pk}"))
    assert response.status_code == 204
    assert legal.get(entry_url(gary["id"]), READ).status_code == 404
    assert legal.get(ENTRIES, READ).json()["results"] == []
    # Revoking again: no such grant.
    response = client_for(people.monitoring).delete(entry_url(gary["id"], f"grants/users/{people.legal.pk}"))
    assert response.status_code == 404


def test_group_grants_reach_everyone_in_the_group(people, client_for, gary):
    colleague = make_user("legal", email="legal2@council.example")
    legal_group = Group.objects.get(name="Legal")
    assert grant(client_for, people, gary["id"], group=legal_group.pk).status_code == 201
    assert client_for(people.legal).get(entry_url(gary["id"]), READ).status_code == 200
    assert client_for(colleague).get(entry_url(gary["id"]), READ).status_code == 200
    assert client_for(people.police).get(entry_url(gary["id"]), READ).status_code == 404
    listed = client_for(people.monitoring).get(entry_url(gary["id"], "grants")).json()["results"]
    assert [(g["kind"], g["name"]) for g in listed] == [("group", "Legal")]
    client_for(people.monitoring).delete(entry_url(gary["id"], f"grants/groups/{legal_group.pk}"))
    assert client_for(colleague).get(entry_url(gary["id"]), READ).status_code == 404


def test_grants_and_revocations_are_logged(people, client_for, gary):
    grant(client_for, people, gary["id"], user=people.legal.pk)
    client_for(people.monitoring).delete(entry_url(gary["id"], f"grants/users/{people.legal.pk}") + "?reason=Done")
    rows = list(AccessLogEntry.objects.filter(action__in=["grant", "revoke"]).order_by("at", "id"))
    assert [(r.action, r.actor_id, r.object_id, r.data["user"]) for r in rows] == [
        ("grant", people.monitoring.pk, gary["id"], people.legal.pk),
        ("revoke", people.monitoring.pk, gary["id"], people.legal.pk),
    ]
    assert [r.purpose for r in rows] == ["Injunction bundle", "Done"]
    history = client_for(people.monitoring).get(entry_url(gary["id"]), READ).json()["history"]
    assert [h["action"] for h in history][-2:] == ["access_granted", "access_revoked"]


def test_grants_are_guardian_object_permissions(people, client_for, gary):
    grant(client_for, people, gary["id"], user=people.legal.pk)
    entry = RegisterEntry.objects.get(pk=gary["id"])
    fresh = type(people.legal).objects.get(pk=people.legal.pk)
    assert fresh.has_perm("safety_workflow.view_registerentry", entry)
    guardian = get_objects_for_user(fresh, "safety_workflow.view_registerentry", klass=RegisterEntry,
                                    with_superuser=False, accept_global_perms=False)
    assert [e.pk for e in guardian] == [entry.pk]


def test_superuser_status_gives_no_sight_of_the_register(people, client_for, gary):
    admin = make_user(email="it@council.example", is_superuser=True, is_staff=True)
    assert client_for(admin).get(entry_url(gary["id"]), READ).status_code == 404
    assert client_for(admin).get(ENTRIES, READ).status_code == 403  # no role at all


def test_every_read_is_logged(people, client_for, gary):
    monitoring = client_for(people.monitoring)
    before = AccessLogEntry.objects.count()
    monitoring.get(entry_url(gary["id"]), HTTP_X_ACCESS_PURPOSE="Liaison meeting")
    monitoring.get(ENTRIES, {"purpose": "Weekly review"})
    rows = list(AccessLogEntry.objects.order_by("id")[before:])
    assert [(r.action, r.object_type, r.purpose) for r in rows] == [
        ("view", "register_entry", "Liaison meeting"), ("list", "register_entry", "Weekly review"),
    ]
    assert rows[0].object_id == gary["id"] and rows[0].object_repr == gary["reference"]
    assert rows[1].data["entries"] == [gary["id"]]


def test_list_queries_do_not_grow_with_the_register(people, client_for):
    def list_queries(user):
        with CaptureQueriesContext(connection) as ctx:
            response = client_for(user).get(ENTRIES, READ)
        assert response.status_code == 200
        return len(ctx.captured_queries), response.json()["count"]

    legal_group = Group.objects.get(name="Legal")
    first = [direct_entry(people, name=f"Person{n} Example", date_of_birth=DOB) for n in range(3)]
    for entry in first:
        grant(client_for, people, entry.pk, user=people.legal.pk)
    small = {"monitoring": list_queries(people.monitoring), "legal": list_queries(people.legal)}
    more = [direct_entry(people, name=f"Other{n} Example", date_of_birth=DOB) for n in range(20)]
    for entry in more[:10]:
        grant(client_for, people, entry.pk, group=legal_group.pk)
    large = {"monitoring": list_queries(people.monitoring), "legal": list_queries(people.legal)}
    assert small["monitoring"][1] == 3 and large["monitoring"][1] == 23
    assert small["legal"][1] == 3 and large["legal"][1] == 13
    assert large["monitoring"][0] == small["monitoring"][0]
    assert large["legal"][0] == small["legal"][0]


def test_detail_queries_do_not_grow_with_history(people, client_for, gary, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        client_for(people.monitoring).get(entry_url(gary["id"]), READ)


# Information governance's access log ------------------------------------------------------------------
def test_access_log_is_for_information_governance_and_the_monitoring_officer(people, client_for, gary):
    check(client_for(people.frontline), "Gary Booth", purpose="Benefits interview")
    for user in (people.governance, people.monitoring):
        assert client_for(user).get(AUDIT).status_code == 200
    for user in (people.frontline, people.safety, people.legal, people.members, people.councillor):
        response = client_for(user).get(AUDIT)
        assert response.status_code == 403 and response.json()["code"] == "audit_not_permitted"


def test_access_log_filters(people, client_for, gary):
    other = direct_entry(people, name="Alice Walker", date_of_birth=DOB)
    frontline = client_for(people.frontline)
    check(frontline, "Gary Booth", purpose="Benefits interview")  # possible match: found, not confirmed
    check(frontline, "Alice Walker", date_of_birth=DOB.isoformat(), purpose="Library")
    client_for(people.monitoring).get(entry_url(gary["id"]), READ)
    governance = client_for(people.governance)

    rows = governance.get(AUDIT, {"action": "check", "actor": people.frontline.pk}).json()["results"]
    assert [(r["object_repr"], r["result"], r["purpose"]) for r in rows] == [
        ("Alice Walker", "match", "Library"), ("Gary Booth", "possible_match", "Benefits interview"),
    ]
    assert rows[0]["register_entries"] == [{"entry": str(other.pk), "outcome": "match"}]
    # Everything that touched Gary's entry: the views during the API walk-through, and the check that found it.
    touched = governance.get(AUDIT, {"register_entry": gary["id"]}).json()["results"]
    assert {r["action"] for r in touched} == {"view", "check"}
    assert all(r["object_id"] == gary["id"] or r["register_entries"] for r in touched)
    assert not any(r["object_repr"] == "Alice Walker" for r in touched)
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    assert governance.get(AUDIT, {"since": future}).json()["count"] == 0
    listed = governance.get(AUDIT, {"until": future}).json()["count"]
    assert listed == AccessLogEntry.objects.count() - 1  # all but the record of this very read
    response = governance.get(AUDIT, {"since": "yesterday"})
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    # Reading the log is itself logged, with the filters used (the refused request read nothing).
    reads = AccessLogEntry.objects.filter(object_type="access_log", actor=people.governance)
    assert reads.count() == 4 and {"register_entry": gary["id"]} in [r.data["filters"] for r in reads]


# Admin -------------------------------------------------------------------------------------------------
def test_admin_shows_the_register_with_the_same_permissions(people, client, gary):
    people.monitoring.is_staff = people.legal.is_staff = people.frontline.is_staff = True
    for user in (people.monitoring, people.legal, people.frontline):
        user.save(update_fields=["is_staff"])
    changelist = "/admin/safety_workflow/registerentry/"
    change = f"{changelist}{gary['id']}/change/"

    client.force_login(people.monitoring)
    assert gary["reference"] in client.get(changelist).content.decode()
    listed = AccessLogEntry.objects.filter(action="list", purpose="admin").get()
    assert listed.actor_id == people.monitoring.pk and listed.data["entries"] == [gary["id"]]
    before = AccessLogEntry.objects.filter(action="view", purpose="admin").count()
    response = client.get(change)
    assert response.status_code == 200 and "Threatened" in response.content.decode()
    assert AccessLogEntry.objects.filter(action="view", purpose="admin").count() == before + 1
    assert client.post(change, {}).status_code == 403  # read-only: changes go through the workflow

    client.force_login(people.legal)
    assert gary["reference"] not in client.get(changelist).content.decode()
    response = client.get(change)
    assert response.status_code == 302  # "does not exist", as for any missing id
    assert AccessLogEntry.objects.filter(action="view", purpose="admin").count() == before + 1

    client.force_login(people.frontline)
    assert client.get(changelist).status_code == 403
