"""Realistic histories for the pattern and report tests, written straight to the database (no workflow).

- ``slow_burn``: Gary Pike, an online harasser of Cllr Ahmed since January who starts turning up at surgeries;
- ``one_off``: Angela Crisp's single angry e-mail to Cllr Byrne about the bins;
- ``five_councillors``: Derek Mallory writing to five councillors in a fortnight (Cllr Ahmed twice).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from safety_workflow.flows import IncidentFlow
from safety_workflow.models import Assessment, Case, DecisionTable, Incident, Route, Subject
from safety_workflow.roles import Role

from .factories import make_user, person_for

LONDON = ZoneInfo("Europe/London")
ROUTES = {"low": Route.ADVICE, "medium": Route.COUNCIL_ACTION, "serious": Route.POLICE}


def when(day: str, hour: int = 10) -> dt.datetime:
    """A London time on ``day`` (YYYY-MM-DD)."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=LONDON)


def open_case(*, subject: Subject | None, reference: str, state: str = Case.State.OPEN,
              created: dt.datetime | None = None, closed_at: dt.datetime | None = None) -> Case:
    case = Case.objects.create(flow_class=IncidentFlow, reference=reference, subject=subject, state=state,
                               closed_at=closed_at)
    if created:
        Case.objects.filter(pk=case.pk).update(created=created)
        case.created = created
    return case


def add_incident(case: Case, *, councillor: Any, occurred: str, channel: str, reporter: Any = None,
                 ward: str = "", words_used: str = "", account: str = "", hate_categories: tuple = (),
                 reported: dt.datetime | None = None) -> Incident:
    number = case.incidents.count() + 1
    person = person_for(councillor)
    return Incident.objects.create(
        reference=f"{case.reference}-{number:02d}", case=case, reported_by=reporter or person.user,
        protected_person=person, person_kind=person.kind, occurred_at=when(occurred),
        reported_at=reported or when(occurred, 17),
        channel=channel, ward=ward, account=account or f"Incident {number} in {case.reference}",
        words_used=words_used, hate_element=bool(hate_categories), hate_categories=list(hate_categories),
        subject=case.subject,
    )


def assess(case: Case, *, level: str, on: str, assessor: Any, incidents: list[Incident] | None = None) -> Assessment:
    """An assessment covering the case's incidents so far (as the assess task does)."""
    table = DecisionTable.objects.get(version=1)
    item = Assessment.objects.create(
        case=case, decision_table=table, answers={}, computed_level=level, level=level, route=ROUTES[level],
        assessed_by=assessor, assessed_at=when(on, 15),
    )
    item.incidents.set(incidents if incidents is not None else case.incidents.all())
    case.level, case.route = level, ROUTES[level]
    case.save(update_fields=["level", "route"])
    return item


def slow_burn(people: Any) -> SimpleNamespace:
    """Gary Pike: e-mails and posts about Cllr Ahmed from January, then turns up at her surgeries in April.

    Case 1 (closed in February with advice): two online incidents, assessed low. Case 2: five more,
    coming closer together, a threat on 1 April, and two surgery visits; assessed medium, then serious.
    """
    cllr, safety = people.councillor, people.safety
    subject = Subject.objects.create(full_name="Gary Pike", created_by=people.members)
    first = open_case(subject=subject, reference="SW-2026-0001", state=Case.State.CLOSED,
                      created=when("2026-01-05", 17), closed_at=when("2026-02-20"))
    i1 = add_incident(first, councillor=cllr, occurred="2026-01-05", channel="email", ward="Castle",
                      account="Long e-mail calling her a liar over the planning decision.")
    assess(first, level="low", on="2026-01-06", assessor=safety)
    i2 = add_incident(first, councillor=cllr, occurred="2026-02-09", channel="social_media", ward="Castle",
                      account="Posts on X tagging her, calling her corrupt.")
    assess(first, level="low", on="2026-02-10", assessor=safety)

    second = open_case(subject=subject, reference="SW-2026-0003", created=when("2026-03-02", 17))
    i3 = add_incident(second, councillor=cllr, occurred="2026-03-02", channel="social_media", ward="Castle")
    assess(second, level="medium", on="2026-03-03", assessor=safety)
    i4 = add_incident(second, councillor=cllr, occurred="2026-03-20", channel="email", ward="Castle")
    assess(second, level="medium", on="2026-03-21", assessor=safety)
    i5 = add_incident(second, councillor=cllr, occurred="2026-04-01", channel="email", ward="Castle",
                      words_used="I know where you live and I'll be round.")
    assess(second, level="serious", on="2026-04-02", assessor=safety)
    i6 = add_incident(second, councillor=cllr, occurred="2026-04-06", channel="surgery", ward="Castle",
                      account="Came to the Saturday surgery and would not leave.")
    assess(second, level="serious", on="2026-04-07", assessor=safety)
    i7 = add_incident(second, councillor=cllr, occurred="2026-04-09", channel="surgery", ward="Castle")
    return SimpleNamespace(subject=subject, cases=[first, second], incidents=[i1, i2, i3, i4, i5, i6, i7])


def one_off(people: Any) -> SimpleNamespace:
    """Angela Crisp: one angry e-mail to Cllr Byrne about missed bin collections, assessed low."""
    subject = Subject.objects.create(full_name="Angela Crisp", created_by=people.members)
    case = open_case(subject=subject, reference="SW-2026-0002", created=when("2026-02-14", 17))
    incident = add_incident(case, councillor=people.councillor2, occurred="2026-02-14", channel="email",
                            ward="Riverside", account="Angry e-mail: the bins are a disgrace and she is useless.")
    assess(case, level="low", on="2026-02-16", assessor=people.safety)
    return SimpleNamespace(subject=subject, cases=[case], incidents=[incident])


def five_councillors(people: Any) -> SimpleNamespace:
    """Derek Mallory: writes to five councillors about the bypass in a fortnight; Cllr Ahmed twice.

    The e-mail to Cllr Chen calls her a "Paki" (recorded as hostile to race). Not yet assessed.
    """
    others = [
        make_user(Role.COUNCILLOR, email="cllr.chen@council.example", display_name="Cllr Chen"),
        make_user(Role.COUNCILLOR, email="cllr.davies@council.example", display_name="Cllr Davies"),
        make_user(Role.COUNCILLOR, email="cllr.evans@council.example", display_name="Cllr Evans"),
    ]
    subject = Subject.objects.create(full_name="Derek Mallory", created_by=people.members)
    case = open_case(subject=subject, reference="SW-2026-0005", created=when("2026-05-04", 17))
    plan = [
        (people.councillor, "2026-05-04", "email", "Castle", ()),
        (people.councillor2, "2026-05-05", "email", "Riverside", ()),
        (others[0], "2026-05-06", "email", "Abbey", ("race",)),
        (others[1], "2026-05-11", "social_media", "", ()),
        (others[2], "2026-05-12", "letter", "Moor", ()),
        (people.councillor, "2026-05-15", "phone", "Castle", ()),
    ]
    incidents = [add_incident(case, councillor=c, occurred=day, channel=channel, ward=ward, hate_categories=hate,
                              reporter=people.members)
                 for c, day, channel, ward, hate in plan]
    return SimpleNamespace(subject=subject, cases=[case], incidents=incidents, councillors=others)
