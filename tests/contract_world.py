"""One small council, built through the API and the services, for the permission matrix and the fuzz.

Every record carries the labels the access table's visibility words (``api.access.VISIBILITY``) are
judged by, so that the tests work out who may see what from the table, not from the selectors:

- cases and incidents: ``low`` (Cllr Ahmed's, advice), ``medium`` (Cllr Ahmed's, council action),
  ``serious`` (Cllr Byrne's, referred to the police), ``fresh`` (Cllr Byrne's, waiting for triage),
  ``candidate`` (a candidate's, reported by electoral services in an election period), ``household`` (Cllr
  Ahmed's partner's, reported by members services and not shared with her) and ``staff`` (a receptionist's);
- protected people of every kind, and an election period;
- evidence on each incident, the referral, open tasks of each route, a register entry granted to legal
  and one granted to nobody (with its approval task), a support record of each kind for each councillor,
  a subject, a liaison meeting and a bundle of each kind.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient
from viewflow.workflow.models import Task

from safety_workflow.models import (
    AdviceGiven,
    Bundle,
    Candidacy,
    EmployeeAssistanceOffer,
    HomeSecurityAssessment,
    Incident,
    InductionTraining,
    LiaisonMeeting,
    PoliceReferral,
    PriorityAddressFlag,
    ProtectedPerson,
    RegisterEntry,
    Subject,
)
from safety_workflow.roles import Role
from safety_workflow.services.evidence import evidence_upload
from safety_workflow.services.register_grants import register_entry_grant

from .factories import PoliceContactFactory, make_user, person_for
from .helpers import API, answers, complete, report
from .register_helpers import proposal

#: The roles of the matrix, and the user without any role.
ROLES = ["councillor", "candidate", "members_services", "health_and_safety", "legal", "monitoring_officer",
         "electoral_services", "police_liaison", "frontline", "information_governance", "no_role"]

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@dataclass
class Record:
    """A record of the world: the values its path takes, and the labels its visibility is judged by."""

    resource: str
    path: dict[str, Any]
    labels: set[str] = field(default_factory=set)
    owners: set[Any] = field(default_factory=set)  # user pks for "own"
    names: set[str] = field(default_factory=set)   # strings that must not reach someone who may not see it
    #: For a task: the case or register entry it belongs to. A role that sees that record but does not carry
    #: out the task is told ``403 task_wrong_role`` (it sees the case's open tasks already); others get 404.
    parent: Record | None = None


def sees(rule: str, record: Record, user: Any, role: str) -> bool:
    """Whether the visibility word ``rule`` lets ``user`` (of ``role``) see ``record``."""
    if rule == "all":
        return True
    if rule == "own":
        return user.pk in record.owners
    if rule in ("council_action", "referred", "granted", "candidates"):
        return rule in record.labels or f"{rule}:{user.pk}" in record.labels
    if rule == "task_role":
        return f"role:{role}" in record.labels or user.pk in record.owners
    if rule == "not_register":
        return not record.labels & {"register", "hold"}
    if rule == "not_holds":
        return "hold" not in record.labels
    if rule == "sent_only":
        return True
    if rule == "by_kind":
        return f"kind_role:{role}" in record.labels
    return False


def build_world() -> SimpleNamespace:
    """The council, its people (one per role, and one with none), and their records."""
    call_command("loaddata", "safety_workflow_decision_table_v1", verbosity=0)
    call_command("loaddata", "safety_workflow_advice_templates", verbosity=0)
    from safety_workflow.models import DecisionTable

    table = DecisionTable.objects.get(version=1)
    people = SimpleNamespace(
        councillor=make_user(Role.COUNCILLOR, email="w.ahmed@council.example", display_name="Cllr Ahmed"),
        councillor2=make_user(Role.COUNCILLOR, email="w.byrne@council.example", display_name="Cllr Byrne"),
        candidate=make_user(Role.CANDIDATE, email="w.shah@campaign.example", display_name="Priya Shah"),
        electoral_services=make_user(Role.ELECTORAL_SERVICES, email="w.es@council.example",
                                     display_name="Elle Lectoral"),
        members_services=make_user(Role.MEMBERS_SERVICES, email="w.ms@council.example", display_name="Mo Services"),
        health_and_safety=make_user(Role.HEALTH_AND_SAFETY, email="w.hs@council.example", display_name="Hana Safety"),
        legal=make_user(Role.LEGAL, email="w.legal@council.example", display_name="Lee Gal"),
        monitoring_officer=make_user(Role.MONITORING_OFFICER, email="w.mo@council.example",
                                     display_name="Mona Officer"),
        police_liaison=make_user(Role.POLICE_LIAISON, email="w.police@police.example", display_name="PC Okafor"),
        frontline=make_user(Role.FRONTLINE, email="w.front@council.example", display_name="Fran Desk"),
        information_governance=make_user(Role.INFORMATION_GOVERNANCE, email="w.ig@council.example",
                                         display_name="Ian Gov"),
        no_role=make_user(email="w.nobody@council.example", display_name="No Role"),
    )
    PoliceContactFactory(user=people.police_liaison)

    def client(user: Any) -> APIClient:
        c = APIClient()
        c.force_authenticate(user=user)
        return c

    ms, hs = client(people.members_services), client(people.health_and_safety)
    cases: dict[str, dict] = {}
    cases["low"] = report(client(people.councillor), account="Rude e-mail about the bins.")
    complete(ms, cases["low"]["case"]["id"], "triage", {})
    complete(hs, cases["low"]["case"]["id"], "assess", {"answers": answers(table)})
    cases["medium"] = report(client(people.councillor), account="Third abusive message this month.")
    complete(ms, cases["medium"]["case"]["id"], "triage", {})
    complete(hs, cases["medium"]["case"]["id"], "assess", {"answers": answers(table, repeated_contact=True)})
    cases["serious"] = report(client(people.councillor2), account="Threat to burn my house down.", channel="letter")
    complete(ms, cases["serious"]["case"]["id"], "triage", {})
    complete(hs, cases["serious"]["case"]["id"], "assess", {"answers": answers(table, threat_to_life=True)})
    cases["fresh"] = report(client(people.councillor2), account="Shouted at me outside the library.",
                            channel="in_person")

    # The people the process protects beyond councillors, and an election period.
    es = client(people.electoral_services)
    today = timezone.localdate()
    election = es.post(f"{API}/election-periods/", {
        "name": "Northshire County Council elections", "poll_date": str(today + dt.timedelta(days=10)),
        "starts_on": str(today - dt.timedelta(days=20))}, format="json").json()
    candidate = ProtectedPerson.objects.create(kind="candidate", full_name="Priya Shah", user=people.candidate,
                                               email="priya@campaign.example")
    Candidacy.objects.create(person=candidate, election_id=election["id"], ward="Riverside")
    agent = es.post(f"{API}/protected-persons/", {"kind": "supporter", "full_name": "Tom Agent",
                                                  "relationship": "election agent", "linked_to": str(candidate.pk)},
                    format="json").json()
    cases["candidate"] = report(es, protected_person=str(candidate.pk), account="Shouted at while canvassing.",
                                channel="in_person")
    cllr = ProtectedPerson.objects.get(user=people.councillor)
    cases["household"] = report(ms, new_protected_person={
        "kind": "household", "full_name": "Jo Ahmed", "relationship": "partner", "linked_to": str(cllr.pk)},
        account="Followed home from the station.", channel="in_person")
    cases["staff"] = report(hs, new_protected_person={"kind": "staff", "full_name": "Sam Reed",
                                                      "job_title": "Receptionist"},
                            account="Threatened at the town hall counter.", channel="in_person")

    labels = {"low": set(), "medium": {"council_action"}, "serious": {"referred"}, "fresh": set(),
              "candidate": {"candidates"}, "household": set(), "staff": set()}
    owners = {"low": {people.councillor}, "medium": {people.councillor}, "serious": {people.councillor2},
              "fresh": {people.councillor2}, "candidate": {people.candidate, people.electoral_services},
              "household": set(), "staff": set()}
    records: list[Record] = []
    incidents = {}
    for name, body in cases.items():
        incident = Incident.objects.select_related("case").get(pk=body["id"])
        incidents[name] = incident
        names = {incident.reference, incident.case.reference}
        common = {"labels": labels[name], "owners": {u.pk for u in owners[name]}, "names": names}
        records.append(Record("incident", {"pk": str(incident.pk)}, **common))
        records.append(Record("case", {"pk": incident.case_id}, **common))
        evidence = evidence_upload(incident=incident, uploaded_by=people.members_services,
                                   upload=SimpleUploadedFile("photo.png", PNG), original_name="photo.png",
                                   size=len(PNG))
        records.append(Record("evidence", {"pk": str(incident.pk), "evidence_id": str(evidence.pk)}, **common))

    referral = PoliceReferral.objects.get(case=incidents["serious"].case)
    records.append(Record("referral", {"pk": str(referral.pk)}, labels={"referred"},
                          names={incidents["serious"].case.reference}))

    # Protected people: each councillor's own record, the partner (linked to Cllr Ahmed), the candidate and
    # their agent, the receptionist; the election period.
    household = ProtectedPerson.objects.get(full_name="Jo Ahmed")
    records += [
        Record("protected_person", {"pk": str(cllr.pk)}, owners={people.councillor.pk}),
        Record("protected_person", {"pk": str(ProtectedPerson.objects.get(user=people.councillor2).pk)},
               owners={people.councillor2.pk}),
        Record("protected_person", {"pk": str(household.pk)}, owners={people.councillor.pk}),
        Record("protected_person", {"pk": str(candidate.pk)}, owners={people.candidate.pk}, labels={"candidates"}),
        Record("protected_person", {"pk": agent["id"]}, owners={people.candidate.pk}, labels={"candidates"},
               names={"Tom Agent"}),
        Record("protected_person", {"pk": str(ProtectedPerson.objects.get(full_name="Sam Reed").pk)},
               names={"Sam Reed"}),
        Record("election_period", {"pk": election["id"]}),
    ]

    # Support: one record of each kind for each councillor.
    for councillor in (people.councillor, people.councillor2):
        records += [
            Record("support", {"pk": AdviceGiven.objects.create(
                protected_person=person_for(councillor), title="Block the sender", text="Use the filter.",
                method="email",
                given_by=people.members_services).pk}, owners={councillor.pk}, labels={"advice"}),
            Record("support", {"pk": HomeSecurityAssessment.objects.create(
                protected_person=person_for(councillor), assessed_on=today, findings="Door chain advised.",
                assessed_by=people.health_and_safety).pk}, owners={councillor.pk}, labels={"home_security"}),
            Record("support", {"pk": PriorityAddressFlag.objects.create(
                protected_person=person_for(councillor), address="1 High Street", flagged_on=today,
                review_due=today + dt.timedelta(days=90), recorded_by=people.health_and_safety).pk},
                owners={councillor.pk}, labels={"priority_flag"}),
            Record("support", {"pk": EmployeeAssistanceOffer.objects.create(
                protected_person=person_for(councillor), offered_on=today, offered_by=people.members_services).pk},
                owners={councillor.pk}, labels={"employee_assistance"}),
            Record("support", {"pk": InductionTraining.objects.create(
                protected_person=person_for(councillor), course="police_role", completed_on=today,
                recorded_by=people.members_services).pk},
                owners={councillor.pk}, labels={"induction_training"}),
        ]

    # A subject with the medium case's incidents, and two register entries about them.
    subject = Subject.objects.create(full_name="Gary Pike", created_by=people.members_services)
    Incident.objects.filter(case=incidents["medium"].case).update(subject=subject)
    records.append(Record("subject", {"pk": str(subject.pk)}))  # its name is shown with the incidents it is in
    granted = hs.post(f"{API}/register/entries/", proposal(subject, [incidents["medium"]]), format="json").json()
    other = Subject.objects.create(full_name="Derek Mallory", created_by=people.members_services)
    Incident.objects.filter(pk=incidents["low"].pk).update(subject=other)
    ungranted = hs.post(f"{API}/register/entries/", proposal(other, [incidents["low"]]), format="json").json()
    legal_group = Group.objects.get(name__in=people.legal.groups.values("name"))
    register_entry_grant(entry=RegisterEntry.objects.get(pk=granted["id"]), actor=people.monitoring_officer,
                         user=people.legal, reason="Legal act on the injunction.")
    entry_paths = {"entry_id": granted["id"], "grantee_id": people.legal.pk}
    records.append(Record("register_entry", entry_paths, labels={f"granted:{people.legal.pk}"},
                          owners={people.health_and_safety.pk}, names={granted["reference"]}))
    records.append(Record("register_entry", {"entry_id": ungranted["id"], "grantee_id": legal_group.pk},
                          owners={people.health_and_safety.pk}, names={ungranted["reference"]}))

    # Open tasks: each carries the roles of its node, and the case or register entry it belongs to.
    from safety_workflow.models import RegisterProcess

    parents = {("case", str(r.path["pk"])): r for r in records if r.resource == "case"}
    parents |= {("register_entry", str(r.path["entry_id"])): r for r in records if r.resource == "register_entry"}
    entry_of = dict(RegisterProcess.objects.values_list("pk", "entry_id"))
    for task in Task.objects.filter(status__in=("NEW", "ASSIGNED"), flow_task_type="HUMAN"):
        roles = {f"role:{r}" for r in getattr(task.flow_task, "roles", ())}
        parent = (parents.get(("register_entry", str(entry_of[task.process_id]))) if task.process_id in entry_of
                  else parents.get(("case", str(task.process_id))))
        records.append(Record("task", {"pk": task.pk}, labels=roles, parent=parent))

    meeting = LiaisonMeeting.objects.create(held_at=timezone.now() - dt.timedelta(days=7), attendees="MO, DCC",
                                            recorded_by=people.monitoring_officer)
    records.append(Record("meeting", {"pk": str(meeting.pk)}))

    kind_roles = {
        Bundle.Kind.INJUNCTION: ({"legal", "monitoring_officer"}, incidents["medium"].case),
        Bundle.Kind.POLICE_REFERRAL: ({"members_services", "health_and_safety", "monitoring_officer",
                                       "police_liaison"}, incidents["serious"].case),
        Bundle.Kind.LIAISON_MEETING: ({"monitoring_officer", "members_services"}, None),
        Bundle.Kind.SUBJECT_ACCESS: ({"information_governance"}, None),
    }
    for kind, (roles, case) in kind_roles.items():
        scope = ({"case": case.pk} if case else {"subject": str(subject.pk)} if kind == Bundle.Kind.SUBJECT_ACCESS
                 else {"since": "2026-01-01", "until": today.isoformat()})
        bundle = Bundle.objects.create(kind=kind, scope=scope, case=case,
                                       subject=subject if kind == Bundle.Kind.SUBJECT_ACCESS else None,
                                       requested_by=people.monitoring_officer)
        records.append(Record("bundle", {"pk": str(bundle.pk)}, labels={f"kind_role:{r}" for r in roles}))

    # Legal holds: one on the council-action case (legal sees it), one on the referred case (legal does not).
    from safety_workflow.services.holds import legal_hold_place

    for name in ("medium", "serious"):
        case = incidents[name].case
        hold = legal_hold_place(actor=people.monitoring_officer, target="case", target_id=case.pk,
                                reason="Litigation expected.", review_on=today + dt.timedelta(days=180))
        records.append(Record("hold", {"hold_id": str(hold.pk)}, labels=labels[name],
                              names={case.reference}))

    # Notifications (the world's own: the police told of the referral, ...) and a webhook subscription.
    from safety_workflow.models import Notification, WebhookSubscription

    for notice in Notification.objects.order_by("created_at"):
        records.append(Record("notification", {"pk": str(notice.pk)},
                              labels={"register"} if "register_entry" in notice.context
                              else {"hold"} if "legal_hold" in notice.context else set()))
    hook = WebhookSubscription.objects.create(name="Case platform", url="http://127.0.0.1:9/hooks",
                                              secret="whsec_contract_world_secret_0123456789", role="legal")
    records.append(Record("webhook", {"pk": str(hook.pk)}))

    tokens = {role: AuthToken.objects.create(user=getattr(people, role))[1] for role in ROLES}
    return SimpleNamespace(people=people, records=records, tokens=tokens, incidents=incidents, subject=subject)


MISSING = {
    "incident": {"pk": "00000000-0000-4000-8000-000000000000"},
    "case": {"pk": 987654321},
    "evidence": {"pk": "00000000-0000-4000-8000-000000000000", "evidence_id": "00000000-0000-4000-8000-000000000001"},
    "referral": {"pk": "00000000-0000-4000-8000-000000000000"},
    "support": {"pk": 987654321},
    "subject": {"pk": "00000000-0000-4000-8000-000000000000"},
    "register_entry": {"entry_id": "00000000-0000-4000-8000-000000000000", "grantee_id": 987654321},
    "task": {"pk": 987654321},
    "meeting": {"pk": "00000000-0000-4000-8000-000000000000"},
    "bundle": {"pk": "00000000-0000-4000-8000-000000000000"},
    "hold": {"hold_id": "00000000-0000-4000-8000-000000000000"},
    "protected_person": {"pk": "00000000-0000-4000-8000-000000000000"},
    "election_period": {"pk": 987654321},
    "notification": {"pk": "00000000-0000-4000-8000-000000000000"},
    "webhook": {"pk": "00000000-0000-4000-8000-000000000000"},
}


def random_id() -> str:
    return str(uuid.uuid4())
