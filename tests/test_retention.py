"""Retention: the schedule, disposal of every kind of record with the clock advanced past each period,
files removed from storage, legal holds respected, and the disposal log complete."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import time_machine
from django.core.checks import run_checks
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from safety_workflow.models import (
    AccessLogChain,
    AccessLogEntry,
    AdviceGiven,
    Bundle,
    Case,
    DisposalRecord,
    EvidenceFile,
    IdempotencyRecord,
    Incident,
    InductionTraining,
    LegalHold,
    LiaisonMeeting,
    PendingFileDeletion,
    PriorityAddressFlag,
    RegisterEntry,
    Subject,
)
from safety_workflow.retention import schedule, schedule_problems
from safety_workflow.services.audit import access_log_verify
from safety_workflow.services.retention import retention_dispose

from .factories import person_for
from .helpers import API, report
from .register_helpers import active_entry, check, entry_url
from .test_evidence import PNG, upload

pytestmark = pytest.mark.django_db

HOLDS = f"{API}/holds/"


def close(case_id: int) -> Case:
    Case.objects.filter(pk=case_id).update(state=Case.State.CLOSED, closed_at=timezone.now())
    return Case.objects.get(pk=case_id)


@pytest.fixture
def world(people, client_for):
    """One record of every kind, as the API and services make them, with its case closed today."""
    councillor = client_for(people.councillor)
    incident = report(councillor, subject_details={"name": "Martin Greaves"})
    evidence = upload(councillor, incident["id"], "post.png", PNG).json()
    case = close(incident["case"]["id"])
    subject = Incident.objects.get(pk=incident["id"]).subject
    if subject is None:
        subject = Subject.objects.create(full_name="Martin Greaves", created_by=people.members)
        Incident.objects.filter(case=case).update(subject=subject)
        Case.objects.filter(pk=case.pk).update(subject=subject)
    for key in ("k-1", "k-2"):
        IdempotencyRecord.objects.create(user=people.councillor, key=key, fingerprint="x",
                                         incident=Incident.objects.get(pk=incident["id"]))
    bundle = Bundle.objects.create(kind=Bundle.Kind.SUBJECT_ACCESS, status=Bundle.Status.READY,
                                   scope={"subject": str(subject.pk)}, subject=subject,
                                   requested_by=people.governance, sha256="0" * 64)
    bundle.file.save("x.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    cllr = person_for(people.councillor)
    advice = AdviceGiven.objects.create(case=case, protected_person=cllr, title="Block the sender",
                                        text="...", given_by=people.members)
    training = InductionTraining.objects.create(protected_person=cllr, course="online_safety",
                                                completed_on=timezone.localdate(), recorded_by=people.members)
    meeting = LiaisonMeeting.objects.create(held_at=timezone.now(), attendees="PC Okafor", notes="Agreed.",
                                            recorded_by=people.monitoring)
    # A register entry, removed today; its case closed too.
    entry = active_entry(people, client_for, name="Gary Booth", date_of_birth=dt.date(1980, 4, 1))
    response = client_for(people.monitoring).post(entry_url(entry["id"], "review"),
                                                  {"decision": "remove", "reason": "No longer a threat."},
                                                  format="json")
    assert response.status_code == 200, response.content
    entry_obj = RegisterEntry.objects.get(pk=entry["id"])
    for entry_case in Case.objects.filter(subject=entry_obj.subject):
        close(entry_case.pk)
    checked = check(client_for(people.frontline), "Gary Booth").json()
    orphan = Subject.objects.create(full_name="Never Linked", created_by=people.members)
    return {
        "case": case, "incident": Incident.objects.get(pk=incident["id"]), "subject": subject,
        "evidence": EvidenceFile.objects.get(pk=evidence["id"]), "bundle": bundle, "advice": advice,
        "training": training, "meeting": meeting, "entry": entry_obj, "check": checked["reference"],
        "orphan": orphan,
    }


def at(days: int = 0, years: int = 0):
    """Travel to ``years`` and ``days`` from now."""
    now = timezone.now()
    return time_machine.travel(now.replace(year=now.year + years) + dt.timedelta(days=days), tick=False)


def references(kind: str) -> list[str]:
    return list(DisposalRecord.objects.filter(kind=kind).values_list("reference", flat=True))


# The schedule -----------------------------------------------------------------------------------
def test_the_default_schedule_is_valid_and_cites_a_trigger_per_kind():
    rules = schedule()
    assert not schedule_problems({k: {r.unit: r.amount, "after": r.after} for k, r in rules.items()})
    assert rules["case"].label == "case: 6 years after case closed"
    assert rules["register_entry"].label == "register_entry: 183 days after entry removed"


def test_a_council_sets_only_the_kinds_it_changes(settings):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "RETENTION": {"case": {"years": 7, "after": "case_closed"}}}
    rules = schedule()
    assert rules["case"].amount == 7 and rules["evidence"].amount == 6 and rules["access_log"].unit == "years"
    assert not [e for e in run_checks() if e.id == "safety_workflow.E012"]


@pytest.mark.parametrize("retention, problem", [
    ({"evidence": {"years": 8, "after": "case_closed"}}, "longer after the case is closed than the case"),
    ({"check_query": {"years": 7, "after": "created"}}, "longer than RETENTION['access_log']"),
    ({"case": {"years": 6, "after": "created"}}, "counted after 'case_closed'"),
    ({"case": {"weeks": 6, "after": "case_closed"}}, "exactly one of years, months or days"),
    ({"case": {"years": -1, "after": "case_closed"}}, "whole number"),
    ({"archive": {"years": 1, "after": "created"}}, "no such kind"),
    ({"idempotency": {"days": 1, "after": "created"}}, "shorter than IDEMPOTENCY_KEY_TTL_HOURS"),
])
def test_an_impossible_schedule_is_a_system_check_error(settings, retention, problem):
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "RETENTION": retention}
    errors = [e for e in run_checks() if e.id == "safety_workflow.E012"]
    assert errors and any(problem in e.msg for e in errors), [e.msg for e in errors]


# Disposal ----------------------------------------------------------------------------------------
def test_every_kind_is_disposed_of_once_when_its_period_ends(world, client_for, people):
    evidence_file, bundle_file = world["evidence"].file.name, world["bundle"].file.name
    assert default_storage.exists(evidence_file) and default_storage.exists(bundle_file)

    with at(days=8):
        report_ = retention_dispose()
    assert report_.disposed.keys() == {"idempotency"}
    assert IdempotencyRecord.objects.count() == 0

    with at(days=31):
        assert retention_dispose().disposed == {"subject": [str(world["orphan"].pk)]}

    with at(days=184):
        report_ = retention_dispose()
    assert report_.disposed == {"register_entry": [world["entry"].reference]}
    entry = RegisterEntry.objects.get(pk=world["entry"].pk)
    assert entry.state == RegisterEntry.State.ERASED and entry.subject is None and entry.reasons == ""

    with at(days=366):
        report_ = retention_dispose()
    # The notices of the case (a year after they were sent) go on their own period too.
    assert set(report_.disposed) == {"bundle", "check_query", "notification"}
    from safety_workflow.models import Notification

    assert not Notification.objects.exists()
    assert report_.disposed["bundle"] == [str(world["bundle"].pk)]
    assert not default_storage.exists(bundle_file)
    row = AccessLogEntry.objects.get(reference=world["check"])
    assert row.redacted_at and row.checked_name == "" and row.object_repr == "" and "name" not in row.data
    assert access_log_verify().ok  # erasing what was typed leaves the chain whole

    with at(years=6, days=2):
        report_ = retention_dispose()
    assert {"case", "evidence", "support", "liaison_meeting", "subject", "access_log"} <= set(report_.disposed)
    assert not Case.objects.filter(pk=world["case"].pk).exists()
    assert not Incident.objects.filter(pk=world["incident"].pk).exists()
    assert not EvidenceFile.objects.exists() and not default_storage.exists(evidence_file)
    assert not AdviceGiven.objects.exists() and not LiaisonMeeting.objects.exists()
    assert sorted(report_.disposed["support"]) == sorted([f"advice:{world['advice'].pk}",  # with its case
                                                          f"induction:{world['training'].pk}"])  # its own date
    assert not Subject.objects.filter(full_name__in=["Martin Greaves", "Gary Booth"]).exists()
    assert not PendingFileDeletion.objects.exists()
    assert access_log_verify().ok  # re-anchored on the first row kept

    # Every record, once; the disposal log names each kind and holds no personal data.
    assert world["case"].reference in references("case") and world["incident"].reference in references("case")
    assert references("evidence") == [str(world["evidence"].pk)]
    assert references("bundle") == [str(world["bundle"].pk)]
    assert sorted(references("support")) == sorted([f"advice:{world['advice'].pk}",
                                                    f"induction:{world['training'].pk}"])
    assert references("register_entry") == [world["entry"].reference]
    assert references("check_query") == [world["check"]]
    assert references("liaison_meeting") == [str(world["meeting"].pk)]
    assert str(world["orphan"].pk) in references("subject") and str(world["subject"].pk) in references("subject")
    assert len(references("idempotency")) == 2
    for kind in ("case", "evidence", "bundle", "support", "register_entry", "check_query", "liaison_meeting",
                 "subject", "idempotency", "access_log"):
        refs = references(kind)
        assert refs and len(refs) == len(set(refs)), kind
    text = json.dumps(list(DisposalRecord.objects.values()), default=str)
    assert "Greaves" not in text and "Booth" not in text and "Never Linked" not in text
    assert not DisposalRecord.objects.filter(subject_ref__isnull=False).exists()  # the subjects are gone

    # Idempotent: a second run finds nothing more.
    count = DisposalRecord.objects.count()
    with at(years=6, days=3):
        again = retention_dispose(kinds=[k for k in schedule() if k != "access_log"])
    assert again.total == 0 and DisposalRecord.objects.count() == count


def test_a_dry_run_lists_what_would_go_and_changes_nothing(world):
    before = (Case.objects.count(), EvidenceFile.objects.count(), AccessLogEntry.objects.count())
    out = io.StringIO()
    with at(years=6, days=2):
        call_command("safety_workflow_dispose", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "dry run" in text and world["case"].reference in text and str(world["evidence"].pk) in text
    assert (Case.objects.count(), EvidenceFile.objects.count(), AccessLogEntry.objects.count()) == before
    assert not DisposalRecord.objects.exists() and default_storage.exists(world["evidence"].file.name)


def test_the_command_reports_and_disposes_in_batches(world):
    out = io.StringIO()
    with at(years=6, days=2):
        call_command("safety_workflow_dispose", "--batch-size", "1", "--json", stdout=out)
    body = json.loads(out.getvalue())
    assert body["dry_run"] is False and body["disposed"]["case"] >= 2 and body["files_deleted"] == 2
    assert not Case.objects.filter(pk=world["case"].pk).exists()
    run = AccessLogEntry.objects.get(action="dispose")  # the run is in the access log, after the old rows went
    assert run.data["disposed"]["case"] == body["disposed"]["case"]


def test_a_file_storage_would_not_delete_is_retried_by_the_next_run(world, monkeypatch):
    name = world["evidence"].file.name
    class Down:
        def delete(self, path):
            raise OSError("storage down")

    monkeypatch.setattr("safety_workflow.services.retention._storage", lambda field_name: Down())
    with at(years=6, days=2):
        report_ = retention_dispose(kinds=["case"])
    assert report_.files_failed >= 1 and PendingFileDeletion.objects.filter(name=name).exists()
    assert not EvidenceFile.objects.exists() and default_storage.exists(name)
    monkeypatch.undo()
    with at(years=6, days=3):
        retention_dispose(kinds=["case"])
    assert not PendingFileDeletion.objects.exists() and not default_storage.exists(name)


def test_an_open_case_and_a_flag_in_force_are_never_disposed_of(people, client_for):
    incident = report(client_for(people.councillor))
    flag = PriorityAddressFlag.objects.create(protected_person=person_for(people.councillor), address="1 Home Road",
                                              postcode="HD1 1AA",
                                              flagged_on=timezone.localdate(), review_due=timezone.localdate(),
                                              recorded_by=people.police)
    with at(years=20):
        retention_dispose()
    assert Case.objects.filter(pk=incident["case"]["id"]).exists()
    assert PriorityAddressFlag.objects.filter(pk=flag.pk).exists()


# Legal holds -------------------------------------------------------------------------------------
def place(client, target, target_id, **extra):
    body = {"target": target, "id": str(target_id), "reason": "Claim issued in the county court.",
            "review_on": (timezone.localdate() + dt.timedelta(days=90)).isoformat(), **extra}
    return client.post(HOLDS, body, format="json")


def test_held_records_are_kept_until_the_hold_is_released(world, people, client_for):
    legal, monitoring = client_for(people.legal), client_for(people.monitoring)
    on_case = place(monitoring, "case", world["case"].pk)
    assert on_case.status_code == 201, on_case.content
    on_entry = place(monitoring, "register_entry", world["entry"].pk)
    assert on_entry.status_code == 201
    assert legal.get(HOLDS).json()["count"] == 0  # legal sees holds only on records it can see

    with at(years=6, days=2):
        report_ = retention_dispose()
    assert report_.held["case"] == 1 and report_.held["register_entry"] == 1
    assert Case.objects.filter(pk=world["case"].pk).exists() and EvidenceFile.objects.exists()
    assert default_storage.exists(world["evidence"].file.name)
    assert RegisterEntry.objects.get(pk=world["entry"].pk).state == RegisterEntry.State.REMOVED
    assert Subject.objects.filter(pk=world["subject"].pk).exists()  # its case is held
    assert str(world["case"].pk) not in references("case") and not references("register_entry")
    assert report_.holds_due_for_review  # their review dates have long passed

    for hold in (on_case.json(), on_entry.json()):
        response = monitoring.post(f"{HOLDS}{hold['id']}/release/", {"reason": "Claim settled."}, format="json")
        assert response.status_code == 200 and response.json()["state"] == "released"
    logged = AccessLogEntry.objects.filter(action__in=["hold", "hold_release"]).values_list("action", "object_type")
    assert sorted(logged) == sorted([("hold", "case"), ("hold", "register_entry"), ("hold_release", "case"),
                                     ("hold_release", "register_entry")])
    with at(years=6, days=3):
        retention_dispose()
    assert not Case.objects.filter(pk=world["case"].pk).exists() and not LegalHold.objects.exists()
    assert RegisterEntry.objects.get(pk=world["entry"].pk).state == RegisterEntry.State.ERASED


def test_a_hold_on_a_subject_keeps_their_cases_entries_and_checks(world, people, client_for):
    response = place(client_for(people.monitoring), "subject", world["entry"].subject_id)
    assert response.status_code == 201
    with at(years=6, days=2):
        report_ = retention_dispose()
    assert RegisterEntry.objects.get(pk=world["entry"].pk).state == RegisterEntry.State.REMOVED
    assert AccessLogEntry.objects.get(reference=world["check"]).redacted_at is None  # "Gary Booth" was typed
    assert report_.held["register_entry"] == 1 and report_.held["check_query"] == 1
    assert not Case.objects.filter(pk=world["case"].pk).exists()  # another subject's case still goes
    assert access_log_verify().ok


def test_who_may_place_review_and_release_holds(world, people, client_for):
    for user in (people.frontline, people.members, people.councillor, people.governance):
        response = place(client_for(user), "case", world["case"].pk)
        assert response.status_code == 403 and response.json()["code"] == "hold_not_permitted"
    for user in (people.frontline, people.councillor, people.safety):
        assert client_for(user).get(HOLDS).status_code == 403
    # Legal cannot see this case (not routed to council action): the same 404 as a missing one, logged.
    legal = client_for(people.legal)
    real, missing = place(legal, "case", world["case"].pk), place(legal, "case", 999999)
    assert real.status_code == missing.status_code == 404 and real.json() == missing.json()
    refused = AccessLogEntry.objects.get(actor=people.legal, object_type="case", object_id=str(world["case"].pk))
    assert refused.outcome == "refused" and refused.action == "change"

    monitoring = client_for(people.monitoring)
    assert place(monitoring, "case", world["case"].pk, reason="  ").status_code == 400
    past = place(monitoring, "case", world["case"].pk, review_on=timezone.localdate().isoformat())
    assert past.status_code == 400 and "review_on" in past.json()["errors"]
    hold = place(monitoring, "case", world["case"].pk).json()
    assert hold["target"] == {"kind": "case", "id": str(world["case"].pk), "reference": world["case"].reference}
    governance = client_for(people.governance)
    assert governance.get(f"{HOLDS}{hold['id']}/").status_code == 200  # reads every hold
    assert governance.post(f"{HOLDS}{hold['id']}/release/", {"reason": "x"}, format="json").status_code == 403
    assert legal.get(f"{HOLDS}{hold['id']}/").status_code == 404
    later = (timezone.localdate() + dt.timedelta(days=200)).isoformat()
    reviewed = monitoring.post(f"{HOLDS}{hold['id']}/review/", {"note": "Trial listed for March.",
                                                               "review_on": later}, format="json")
    assert reviewed.status_code == 200 and reviewed.json()["review_on"] == later
    assert governance.get(HOLDS, {"state": "active", "target": "case"}).json()["count"] == 1
    monitoring.post(f"{HOLDS}{hold['id']}/release/", {"reason": "Settled."}, format="json")
    again = monitoring.post(f"{HOLDS}{hold['id']}/release/", {"reason": "Settled."}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "hold_released"
    review = AccessLogEntry.objects.get(action="hold_review")
    assert review.purpose == "Trial listed for March." and review.actor == people.monitoring


def test_the_schedule_and_the_disposal_log_are_for_information_governance(world, people, client_for):
    with at(days=8):
        retention_dispose()
    governance = client_for(people.governance)
    rows = governance.get(f"{API}/retention/schedule/").json()["results"]  # a page, as every collection
    assert {r["kind"] for r in rows} >= {"case", "evidence", "access_log", "check_query"}
    case = next(r for r in rows if r["kind"] == "case")
    assert (case["period"], case["after"], case["disposal"]) == ("6 years", "case_closed", "delete")
    log = governance.get(f"{API}/retention/disposals/", {"kind": "idempotency"}).json()
    assert log["count"] == 2 and set(log["results"][0]) == {"id", "run", "kind", "reference", "action", "rule",
                                                            "disposed_at", "files"}
    for user in (people.legal, people.frontline):
        response = client_for(user).get(f"{API}/retention/disposals/")
        assert response.status_code == 403 and response.json()["code"] == "retention_not_permitted"


@override_settings(SAFETY_WORKFLOW={"RETENTION": {"register_entry": {"days": 10, "after": "entry_removed"}}})
def test_the_register_takes_its_period_from_the_schedule(people, client_for):
    entry = active_entry(people, client_for, name="Alan Short")
    response = client_for(people.monitoring).post(entry_url(entry["id"], "review"),
                                                  {"decision": "remove", "reason": "Moved away."}, format="json")
    assert response.json()["erase_after"] == (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    assert AccessLogChain.objects.exists()
