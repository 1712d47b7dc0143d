"""Helpers for the register tests: subjects with incidents, entries through the API or straight into the database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from safety_workflow.models import RegisterEntry, RegisterMitigation, Subject, SubjectAlias
from safety_workflow.services.register import register_entry_index, register_reference_next

from .factories import make_case_with_incidents

ENTRIES = "/api/safety/register/entries/"
CHECK = "/api/safety/register/check/"
AUDIT = "/api/safety/audit/"
#: The purpose every role must give to read the register (REGISTER_PURPOSE_REQUIRED_ROLES).
READ = {"purpose": "Reviewing the entry for the test"}

DEFAULT_MITIGATIONS = [
    {"kind": "meet_in_pairs"},
    {"kind": "named_office", "detail": "Civic Centre, Huddersfield"},
    {"kind": "no_home_visits"},
]
DEFAULT_CONTACT = {"name": "Hana Safety (Health and Safety)", "phone": "01484 000000", "email": "hs@council.example"}


def entry_url(entry_id: Any, action: str = "") -> str:
    return f"{ENTRIES}{entry_id}/" + (f"{action}/" if action else "")


def subject_with_incidents(people: Any, *, name: str, date_of_birth: dt.date | None = None,
                           aliases: tuple[str, ...] = (), count: int = 2) -> tuple[Subject, list]:
    subject = Subject.objects.create(full_name=name, date_of_birth=date_of_birth, created_by=people.members)
    for alias in aliases:
        SubjectAlias.objects.create(subject=subject, name=alias)
    case = make_case_with_incidents(councillor=people.councillor, subject=subject, count=count)
    incidents = list(case.incidents.all())
    for incident in incidents:
        incident.words_used = "I know where you live."
        incident.save(update_fields=["words_used"])
    return subject, incidents


def proposal(subject: Subject, incidents: list, **overrides: Any) -> dict[str, Any]:
    body = {
        "subject": str(subject.pk),
        "incidents": [str(i.pk) for i in incidents],
        "reasons": "Threatened to hurt the councillor at two surgeries; followed her to her car.",
        "words_used": "I know where you live.",
        "mitigations": DEFAULT_MITIGATIONS,
        "advice_contact": DEFAULT_CONTACT,
    }
    body.update(overrides)
    return body


def active_entry(people: Any, client_for: Any, *, name: str, date_of_birth: dt.date | None = None,
                 aliases: tuple[str, ...] = (), addresses: list[dict[str, str]] | None = None,
                 mitigations: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """An entry taken through the API: proposed by health and safety, approved and notified by the
    monitoring officer. Returns the entry's JSON."""
    subject, incidents = subject_with_incidents(people, name=name, date_of_birth=date_of_birth)
    body = proposal(subject, incidents, aliases=list(aliases), addresses=addresses or [],
                    mitigations=mitigations or DEFAULT_MITIGATIONS)
    response = client_for(people.safety).post(ENTRIES, body, format="json")
    assert response.status_code == 201, response.json()
    entry_id = response.json()["id"]
    monitoring = client_for(people.monitoring)
    response = monitoring.post(entry_url(entry_id, "approve"), {"decision": "approve", "reason": "Checked."},
                               format="json")
    assert response.status_code == 200, response.json()
    response = monitoring.post(entry_url(entry_id, "notification"),
                               {"method": "letter", "notified_on": timezone.localdate().isoformat(),
                                "reference": "LTR-1"}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def direct_entry(people: Any, *, name: str, date_of_birth: dt.date | None = None, aliases: tuple[str, ...] = (),
                 postcode: str = "", state: str = RegisterEntry.State.ACTIVE, office: str = "",
                 entry_id: Any = None) -> RegisterEntry:
    """A checkable entry written straight to the database (no flow): for tests of reads and query counts."""
    subject = Subject.objects.create(full_name=name, date_of_birth=date_of_birth)
    entry = RegisterEntry.objects.create(
        **({"id": entry_id} if entry_id is not None else {}),
        reference=register_reference_next(), subject=subject, state=state, reasons="Recorded reasons.",
        date_of_birth=date_of_birth, advice_contact_name="H&S", advice_contact_phone="01484 000000",
        proposed_by=people.safety, review_due_on=timezone.localdate() + dt.timedelta(days=365),
    )
    for alias in aliases:
        entry.aliases.create(name=alias)
    if postcode:
        entry.addresses.create(address="1 High Street", postcode=postcode)
    RegisterMitigation.objects.create(entry=entry, kind=RegisterMitigation.Kind.MEET_IN_PAIRS)
    if office:
        RegisterMitigation.objects.create(entry=entry, kind=RegisterMitigation.Kind.NAMED_OFFICE, detail=office,
                                          order=1)
    register_entry_index(entry=entry)
    return entry


def check(client: Any, name: str, **extra: Any) -> Any:
    body = {"name": name, "meeting_date": timezone.localdate().isoformat(), "purpose": "Housing surgery"}
    body.update(extra)
    return client.post(CHECK, body, format="json")
