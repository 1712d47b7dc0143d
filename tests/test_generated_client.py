"""A typed Python client generated from the schema (openapi-python-client, in a temporary folder outside the
package) walks one case of each route against a live server, as a council's own platform would:

low (advice), medium (warning letter), medium (injunction, with its bundle built and downloaded), serious
(police referral) and immediate danger. Every answer is parsed into the client's own models: a field the
schema mistypes or a status it does not declare fails here.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import subprocess
import sys
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client as DjangoClient
from django.utils import timezone
from knox.models import AuthToken

from safety_workflow.roles import Role

from .factories import PoliceContactFactory, make_user

BINARY = ["application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "text/plain",
          "message/rfc822"]


@pytest.fixture
def generated(tmp_path):
    """The client package, generated from the schema the server serves."""
    schema = tmp_path / "schema.json"
    schema.write_bytes(DjangoClient().get("/api/schema/", HTTP_ACCEPT="application/json").content)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"content_type_overrides": {t: "application/octet-stream" for t in BINARY}}))
    result = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(schema), "--meta", "none",
         "--output-path", str(tmp_path / "council_client"), "--config", str(config)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Unsupported" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("council_client")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == "council_client" or n.startswith("council_client.")]:
            del sys.modules[name]


class Walker:
    """One council's staff, each with the generated client and their own token."""

    def __init__(self, package: Any, base_url: str, tokens: dict[str, str]) -> None:
        self.api = importlib.import_module("council_client.api.safety")
        self.models = importlib.import_module("council_client.models")
        self.clients = {role: package.AuthenticatedClient(base_url=base_url, token=token, prefix="Token",
                                                          raise_on_unexpected_status=True)
                        for role, token in tokens.items()}

    def call(self, role: str, operation: str, **kwargs: Any) -> Any:
        module = importlib.import_module(f"council_client.api.safety.{operation}")
        response = module.sync_detailed(client=self.clients[role], **kwargs)
        assert response.status_code < 400, (operation, response.status_code, response.content[:500])
        return response.parsed

    def complete(self, role: str, case_id: int, node: str, body: Any) -> Any:
        page = self.call(role, "safety_tasks_list", case=case_id, node=node)
        assert page.count == 1, (node, page)
        return self.call(role, "safety_tasks_complete_create", id=page.results[0].id, body=body)


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_walks_every_route(generated, live_server, settings):
    pytest.importorskip("weasyprint", reason="the injunction route builds a PDF bundle")
    settings.SAFETY_WORKFLOW = {**settings.SAFETY_WORKFLOW, "PDF_EXPORT": True}
    call_command("loaddata", "safety_workflow_decision_table_v1", "safety_workflow_advice_templates", verbosity=0)
    from safety_workflow.models import DecisionTable

    people = {
        "councillor": make_user(Role.COUNCILLOR, email="c.gen@council.example", display_name="Cllr Gen"),
        "members": make_user(Role.MEMBERS_SERVICES, email="ms.gen@council.example"),
        "safety": make_user(Role.HEALTH_AND_SAFETY, email="hs.gen@council.example"),
        "legal": make_user(Role.LEGAL, email="legal.gen@council.example"),
        "police": make_user(Role.POLICE_LIAISON, email="police.gen@police.example"),
    }
    PoliceContactFactory(user=people["police"])
    walker = Walker(generated, live_server.url, {role: AuthToken.objects.create(user=user)[1]
                                                 for role, user in people.items()})
    m = walker.models
    questions = [q.key for q in DecisionTable.objects.get(version=1).questions.all()]

    def answers(*yes: str) -> Any:
        return m.AssessInputRequestAnswers.from_dict({key: key in yes for key in questions})

    today = timezone.localdate()
    close = m.CloseInputRequest(outcome_summary="Told by phone.", person_informed=True,
                                informed_by=m.ContactMethodEnum("phone"))

    def reported(account: str, **extra: Any) -> Any:
        body = m.IncidentReportInputRequest(occurred_at=timezone.now() - dt.timedelta(hours=2),
                                            channel=m.ChannelEnum("email"), account=account, **extra)
        result = walker.call("councillor", "safety_incidents_create", body=body)
        assert isinstance(result, m.ReportResultOutput) and result.created
        return result

    ended = {}
    # Low: advice.
    low = reported("A rude e-mail about the bins.")
    case = low.case.id
    walker.complete("members", case, "triage", m.TriageInputRequest())
    walker.complete("safety", case, "assess", m.AssessInputRequest(answers=answers()))
    walker.complete("members", case, "advise", m.AdviseInputRequest(
        advice=[m.AdviceItemInputRequest(template="email-filtering")], method=m.ContactMethodEnum("email")))
    ended["low"] = walker.complete("members", case, "close", close)

    # Medium: a warning letter.
    medium = reported("Third abusive message this month.")
    case = medium.case.id
    walker.complete("members", case, "triage", m.TriageInputRequest())
    walker.complete("safety", case, "assess", m.AssessInputRequest(answers=answers("repeated_contact")))
    walker.complete("legal", case, "council_action", m.CouncilActionInputRequest(
        kind=m.CouncilActionKindEnum("warning_letter"), reason="Course of conduct.", letter_sent_on=today))
    ended["letter"] = walker.complete("members", case, "close", close)

    # Medium: an injunction, with its bundle requested, built, followed and downloaded.
    injunction = reported("Fourth message: he says he will wait outside my surgery.")
    case = injunction.case.id
    walker.complete("members", case, "triage", m.TriageInputRequest())
    walker.complete("safety", case, "assess", m.AssessInputRequest(answers=answers("repeated_contact")))
    walker.complete("legal", case, "council_action", m.CouncilActionInputRequest(
        kind=m.CouncilActionKindEnum("injunction"), reason="Letters ignored.", basis=m.BasisEnum("pha_1997")))
    requested = walker.call("legal", "safety_bundles_create", body=m.BundleRequestInputRequest(
        kind=m.BundleKindEnum("injunction"), scope={"case": case}, purpose="Claim under the PHA 1997"))
    bundle = walker.call("legal", "safety_bundles_retrieve", id=requested.id)
    assert bundle.status == "ready" and bundle.page_count >= 1, bundle
    pdf = walker.call("legal", "safety_bundles_download_retrieve", id=requested.id)
    assert pdf.payload.read().startswith(b"%PDF")
    walker.complete("legal", case, "prepare_bundle", m.PrepareBundleInputRequest(bundle=requested.id,
                                                                                 claim_number="K00GEN1"))
    walker.complete("legal", case, "injunction_outcome", m.InjunctionOutcomeInputRequest(
        outcome=m.InjunctionOutcomeEnum("granted"), outcome_on=today))
    ended["injunction"] = walker.complete("members", case, "close", close)

    # Serious: referred to the police at once.
    serious = reported("A letter saying my house will be set alight.")
    case = serious.case.id
    walker.complete("members", case, "triage", m.TriageInputRequest())
    walker.complete("safety", case, "assess", m.AssessInputRequest(answers=answers("threat_to_life")))
    referrals = walker.call("police", "safety_referrals_list")
    assert [r.case.id for r in referrals.results] == [case]
    walker.complete("police", case, "police_acknowledge", m.PoliceAcknowledgeInputRequest(crime_reference="NP/1"))
    walker.complete("police", case, "police_outcome", m.PoliceOutcomeInputRequest(
        status=m.PoliceOutcomeInputStatusEnum("charged")))
    ended["serious"] = walker.complete("members", case, "close", close)

    # Immediate danger: straight to the police.
    danger = reported("A man is banging on my door shouting threats.", immediate_danger=True)
    assert danger.safety_advice
    case = danger.case.id
    walker.complete("police", case, "police_acknowledge", m.PoliceAcknowledgeInputRequest())
    # Triage and the threat assessment run beside the police steps.
    walker.complete("members", case, "triage", m.TriageInputRequest())
    walker.complete("safety", case, "assess", m.AssessInputRequest(answers=answers("threat_to_life")))
    walker.complete("police", case, "police_outcome", m.PoliceOutcomeInputRequest(
        status=m.PoliceOutcomeInputStatusEnum("cautioned")))
    ended["danger"] = walker.complete("members", case, "close", close)

    assert {name: result.case.state for name, result in ended.items()} == {
        "low": "closed", "letter": "closed", "injunction": "closed", "serious": "closed", "danger": "closed"}
    timeline = walker.call("councillor", "safety_incidents_timeline_list", id=danger.id)
    assert "closed" in [entry.action for entry in timeline.results]
