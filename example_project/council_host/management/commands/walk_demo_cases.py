"""Walk one case of each route end to end through the HTTP API, as the host's pages would, and say where
each ended. Safe to run again: the reports carry Idempotency-Keys and finished steps are skipped."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from safety_workflow.models import DecisionTable

API = "/api/safety"



def _answers(**yes: bool) -> dict[str, bool]:
    table = DecisionTable.objects.filter(status="published").order_by("-version").first()
    values = {q.key: False for q in table.questions.all()}
    values.update(yes)
    return values


def _close() -> dict[str, Any]:
    return {"outcome_summary": "We explained what was done and the support available.",
            "person_informed": True, "informed_by": "phone"}


def _routes() -> list[dict[str, Any]]:
    today = str(timezone.localdate())
    return [
        {
            "name": "low: logged, advice given",
            "report": ("cllr.hughes", {"channel": "email", "account": "A rude e-mail about a planning decision.",
                                       "ward": "Castle"}),
            "steps": [("members", "triage", {"notes": "Rude, no threat."}),
                      ("safety", "assess", {"answers": _answers()}),
                      ("members", "advise", {"advice": [{"template": "email-filtering"},
                                                        {"template": "keep-records"}], "method": "email"}),
                      ("members", "close", _close())],
        },
        {
            "name": "medium: council action (warning letter)",
            "report": ("cllr.patel", {"channel": "social_media", "ward": "Riverside",
                                      "account": "Third post this month calling me corrupt and naming my street."}),
            "steps": [("members", "triage", {"new_subject": {"full_name": "Keith Arnold (demo)"}}),
                      ("safety", "assess", {"answers": _answers(repeated_contact=True,
                                                                personal_details_published=True)}),
                      ("legal", "council_action", {"kind": "warning_letter", "letter_sent_on": today,
                                                   "reason": "Course of conduct; letter under PHA 1997."}),
                      ("members", "close", _close())],
        },
        {
            "name": "serious: referred to the police",
            "report": ("cllr.okoro", {"channel": "letter", "ward": "Millbrook",
                                      "account": "A letter saying my house will be set alight."}),
            "steps": [("members", "triage", {}),
                      ("safety", "assess", {"answers": _answers(threat_to_life=True, at_home=True),
                                            "home_security": True}),
                      ("police", "police_acknowledge", {"crime_reference": "NP/26/DEMO1"}),
                      ("police", "police_outcome", {"status": "charged", "notes": "Arrested and charged."}),
                      ("members", "close", _close()),
                      ("safety", "home_security", {"assessed_on": today, "findings": "Letterbox fire risk.",
                                                   "measures": [{"description": "Fire-proof letterbox"}]})],
        },
        {
            "name": "immediate danger: police and assessment",
            "report": ("cllr.hughes", {"channel": "at_home", "ward": "Castle", "immediate_danger": True,
                                       "account": "A man is banging on my front door shouting threats."}),
            "steps": [("police", "police_acknowledge", {"crime_reference": "NP/26/DEMO2"}),
                      ("members", "triage", {"new_subject": {"full_name": "Darren Cole (demo)"}}),
                      ("safety", "assess", {"answers": _answers(threat_to_life=True, at_home=True)}),
                      ("police", "police_outcome", {"status": "cautioned"}),
                      ("members", "close", _close())],
        },
    ]


class Command(BaseCommand):
    help = "Walk one case of each route through the API and print where each ended."

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        clients: dict[str, APIClient] = {}

        def client(username: str) -> APIClient:
            if username not in clients:
                clients[username] = APIClient()
                clients[username].force_authenticate(User.objects.get(username=username))
            return clients[username]

        self.stdout.write("Walking one case of each route through the API:")
        # A fixed time, 07:30 on the last day it has been 07:30 (yesterday's before then: a report cannot be in the
        # future): running the walk again replays the same reports, under keys named after that day.
        now = timezone.localtime()
        day = now.date() if now.time() >= dt.time(7, 30) else now.date() - dt.timedelta(days=1)
        occurred = timezone.make_aware(dt.datetime.combine(day, dt.time(7, 30))).isoformat()
        for number, route in enumerate(_routes(), 1):
            reporter, body = route["report"]
            body = {"occurred_at": occurred, **body}
            response = client(reporter).post(f"{API}/incidents/", body, format="json",
                                             HTTP_IDEMPOTENCY_KEY=f"demo-walk-{day}-{number}")
            if response.status_code not in (200, 201):
                raise CommandError(f"Reporting failed: {response.status_code} {response.content!r}")
            incident = response.json()
            case_id = incident["case"]["id"]
            path = ["reported"]
            _complete_steps(client, case_id, route["steps"], path)
            case = client("monitoring").get(f"{API}/cases/{case_id}/").json()
            self.stdout.write(
                f"  {route['name']:<42} {case['reference']:<16} level {case['level'] or '-':<8} "
                f"ended {case['state']}"
            )
            self.stdout.write(f"      {' -> '.join(path)}")
        self._walk_election(client, occurred)
        self._walk_register(client)

    def _walk_election(self, client: Any, occurred: str) -> None:
        """An election period: electoral services record the county elections and a candidate who has no
        account, and report an incident for her; members services triage, health and safety assess, and the
        advice written for candidates is given. The police see the election flag on anything referred."""
        self.stdout.write("Walking an election period through the API:")
        today = timezone.localdate()
        es = client("elections")
        periods = es.get(f"{API}/election-periods/").json()["results"]
        election = next((p for p in periods if p["name"] == "Northshire County Council elections (demo)"), None)
        if election is None:
            election = es.post(f"{API}/election-periods/", {
                "name": "Northshire County Council elections (demo)", "poll_date": str(today + dt.timedelta(days=9)),
                "starts_on": str(today - dt.timedelta(days=26))}, format="json").json()
        standing = es.get(f"{API}/protected-persons/", {"election": election["id"], "q": "Nadia Rahman"}).json()
        candidate = next(iter(standing["results"]), None) or es.post(f"{API}/protected-persons/", {
            "kind": "candidate", "full_name": "Nadia Rahman", "phone": "07700 900 456", "preferred_contact": "phone",
            "candidacies": [{"election": election["id"], "ward": "Millbrook"}]}, format="json").json()
        response = es.post(f"{API}/incidents/", {
            "protected_person": candidate["id"], "occurred_at": occurred, "channel": "in_person", "ward": "Millbrook",
            "account": "Followed from door to door while canvassing by a man shouting that I should go home."},
            format="json", HTTP_IDEMPOTENCY_KEY=f"demo-walk-{occurred[:10]}-election")
        if response.status_code not in (200, 201):
            raise CommandError(f"Reporting failed: {response.status_code} {response.content!r}")
        case_id = response.json()["case"]["id"]
        path = ["reported by electoral services"]
        _complete_steps(client, case_id, (
            ("members", "triage", {"notes": "Candidate canvassing in Millbrook."}),
            ("safety", "assess", {"answers": _answers()}),
            ("members", "advise", {"advice": [{"template": "campaigning-safely"},
                                              {"template": "election-police-contact"}], "method": "phone"}),
            ("members", "close", _close())), path)
        self.stdout.write(f"  {candidate['name']} (candidate, no account), {election['name']}: "
                          + " -> ".join(path))

    def _walk_register(self, client: Any) -> None:
        """The register: Martin Greaves (the demo's e-mail and surgery incidents) proposed by health and
        safety, approved and notified by the monitoring officer, then checked by frontline staff."""
        self.stdout.write("Walking the register through the API:")
        incidents = client("members").get(f"{API}/incidents/", {"page_size": 200}).json()["results"]
        greaves = [i for i in incidents if (i["subject_details"] or {}).get("name") == "Martin Greaves"]
        subject_id = next((i["subject"]["id"] for i in greaves if i["subject"]), None)
        for incident in greaves:
            tasks = client("members").get(f"{API}/tasks/", {"case": incident["case"]["id"], "node": "triage"})
            for task in tasks.json()["results"]:
                body = {"subject": subject_id} if subject_id else {"new_subject": {
                    "full_name": "Martin Greaves", "description": "Sixties, grey beard, green waxed jacket",
                    "handles": [{"kind": "email", "value": "m.greaves1962@mail.example"}]}}
                client("members").post(f"{API}/tasks/{task['id']}/complete/", body, format="json")
                if subject_id is None:
                    detail = client("members").get(f"{API}/incidents/{incident['id']}/").json()
                    subject_id = detail["subject"]["id"]
        proposed = client("safety").post(f"{API}/register/entries/", {
            "subject": subject_id,
            "incidents": [i["id"] for i in greaves],
            "reasons": "Threatening e-mail ('watch your back') followed by shouting over a councillor at her surgery.",
            "words_used": "You should watch your back, you disgrace.",
            "date_of_birth": "1962-04-17",
            "mitigations": [{"kind": "meet_in_pairs"}, {"kind": "named_office", "detail": "Civic Centre reception"},
                            {"kind": "no_home_visits"}],
            "advice_contact": {"name": "Ravi Menon, Health and Safety", "phone": "01632 960 200"},
        }, format="json")
        if proposed.status_code == 201:
            entry = proposed.json()
            client("monitoring").post(f"{API}/register/entries/{entry['id']}/approve/",
                                      {"decision": "approve", "reason": "Two incidents, escalating."}, format="json")
            client("monitoring").post(f"{API}/register/entries/{entry['id']}/notification/",
                                      {"method": "letter", "notified_on": str(timezone.localdate()),
                                       "reference": "PVPR letter 1"}, format="json")
            self.stdout.write(f"  entry {entry['reference']}: proposed (health and safety) -> approved and "
                              f"notified (monitoring officer)")
        elif proposed.status_code == 409:
            self.stdout.write("  entry already on the register")
        else:
            raise CommandError(f"Proposing failed: {proposed.status_code} {proposed.content!r}")
        check = client("frontline").post(f"{API}/register/check/", {
            "name": "martin GREAVES", "date_of_birth": "1962-04-17", "meeting_date": str(timezone.localdate()),
            "purpose": "Council tax appointment"}, format="json").json()
        mitigations = "; ".join(f"{m['label']}{' (' + m['detail'] + ')' if m['detail'] else ''}"
                                for m in check.get("mitigations", []))
        if check.get("contact"):
            mitigations += f"; call {check['contact']['name']} {check['contact']['phone']}".rstrip()
        self.stdout.write(f"  frontline check for 'martin GREAVES', born 17/04/1962: {check['result']} "
                          f"({check['reference']}){': ' + mitigations if mitigations else ''}")


def _complete_steps(client: Any, case_id: int, steps: Any, path: list[str]) -> None:
    """Complete each (user, node, answers) in turn as that user, as a host's page would: the task comes from the
    previous completion's ``next_tasks``, or is looked up (``GET tasks/?case=&node=``) when that did not name it
    (the first step, or a step the user may not see there). A step already done is noted and passed."""
    offered: list[dict[str, Any]] = []
    for username, node, data in steps:
        task = next((t for t in offered if t["node"] == node), None)
        if task is None:
            tasks = client(username).get(f"{API}/tasks/", {"case": case_id, "node": node}).json()["results"]
            if not tasks:
                path.append(f"({node} done)")
                continue
            task = tasks[0]
        result = client(username).post(f"{API}/tasks/{task['id']}/complete/", data, format="json")
        if result.status_code != 200:
            raise CommandError(f"{node} failed: {result.status_code} {result.content!r}")
        offered = result.json()["next_tasks"]
        path.append(node)
