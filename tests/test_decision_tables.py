"""The predetermined process as a versioned decision table: evaluation, publishing, the admin."""

from __future__ import annotations

import pytest

from safety_workflow import assessment as decision
from safety_workflow.errors import Conflict, InvalidInput
from safety_workflow.models import Assessment, DecisionRule, DecisionTable
from safety_workflow.services.decision_tables import decision_table_copy, decision_table_publish

from .factories import make_user
from .helpers import answers, complete, report

pytestmark = pytest.mark.django_db


def spec(decision_table):
    return decision.table_spec_from_model(DecisionTable.objects.prefetch_related("questions", "rules").get(
        pk=decision_table.pk))


@pytest.mark.parametrize(
    ("yes", "level"),
    [
        ({}, "low"),
        ({"councillor_fearful": True}, "medium"),
        ({"repeated_contact": True}, "medium"),
        ({"threatening_language": True}, "medium"),
        ({"threatening_language": True, "at_home": True}, "serious"),
        ({"hate_based": True, "threatening_language": True}, "serious"),
        ({"weapon": True, "repeated_contact": True}, "serious"),
    ],
)
def test_shipped_table_levels(decision_table, yes, level):
    result = decision.evaluate(spec(decision_table), answers(decision_table, **yes))
    assert result.level == level
    assert result.route == {"low": "advice", "medium": "council_action", "serious": "police"}[level]
    assert all(rule.level in ("medium", "serious") for rule in result.matched) and (bool(yes) == bool(result.matched))


def test_choice_questions_and_list_conditions():
    table = decision.TableSpec(
        version=9,
        questions=(decision.QuestionSpec("identity", "Who?", "choice", ("known", "suspected", "unknown")),),
        rules=(decision.RuleSpec(1, "Known or suspected", {"identity": ["known", "suspected"]}, "medium"),),
        default_level="low",
        routes={"low": "advice", "medium": "council_action", "serious": "police"},
    )
    assert decision.validate_answers(table, {"identity": "maybe"}) == {"identity": "Answer one of: known, suspected, "
                                                                                   "unknown."}
    assert decision.evaluate(table, {"identity": "suspected"}).level == "medium"
    assert decision.evaluate(table, {"identity": "unknown"}).level == "low"


def test_new_version_does_not_change_past_assessments(people, client_for, decision_table, police_contact):
    admin_user = make_user("monitoring_officer", email="mo2@council.example")
    case_id = report(client_for(people.councillor))["case"]["id"]
    complete(client_for(people.members), case_id, "triage", {})
    complete(client_for(people.safety), case_id, "assess", {"answers": answers(decision_table)})

    draft = decision_table_copy(table=decision_table, actor=admin_user)
    assert (draft.version, draft.status, draft.questions.count(), draft.rules.count()) == (2, "draft", 10, 12)
    DecisionRule.objects.filter(table=draft, description__startswith="The councillor fears").update(level="serious")
    decision_table_publish(table=draft, actor=admin_user)
    decision_table.refresh_from_db()
    assert decision_table.status == "retired"
    with pytest.raises(Conflict):
        decision_table_publish(table=draft, actor=admin_user)

    old = Assessment.objects.get(case_id=case_id)
    assert old.decision_table.version == 1
    case2 = report(client_for(people.councillor), account="Another one")["case"]["id"]
    complete(client_for(people.members), case2, "triage", {})
    result = complete(client_for(people.safety), case2, "assess",
                      {"answers": answers(decision_table, councillor_fearful=True)})
    assert result["case"]["level"] == "serious"
    assert Assessment.objects.get(case_id=case2).decision_table.version == 2


def test_unsound_draft_cannot_be_published(decision_table, people):
    draft = decision_table_copy(table=decision_table, actor=people.monitoring)
    DecisionRule.objects.create(table=draft, description="Typo", conditions={"threat_to_lfe": True}, level="serious")
    DecisionRule.objects.create(table=draft, description="Wrong answer", conditions={"weapon": "yes"},
                                level="serious")
    with pytest.raises(InvalidInput) as error:
        decision_table_publish(table=draft, actor=people.monitoring)
    problems = " ".join(error.value.errors["table"])
    assert "'threat_to_lfe', which is not a question" in problems and "'weapon' cannot have" in problems


def test_admin_freezes_published_versions_and_publishes_drafts(decision_table, client):
    superuser = make_user(email="admin@council.example", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    url = f"/admin/safety_workflow/decisiontable/{decision_table.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and b'name="title"' not in page.content  # read-only
    response = client.post("/admin/safety_workflow/decisiontable/",
                           {"action": "copy_as_draft", "_selected_action": [decision_table.pk]})
    assert response.status_code == 302
    draft = DecisionTable.objects.get(version=2)
    assert b'name="title"' in client.get(f"/admin/safety_workflow/decisiontable/{draft.pk}/change/").content
    client.post("/admin/safety_workflow/decisiontable/", {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == "published"
    assert client.get("/admin/safety_workflow/incident/").status_code == 200
    assert client.get("/admin/safety_workflow/incident/add/").status_code == 403


def test_a_published_version_is_read_once_and_a_new_one_replaces_it(people, client_for, decision_table,
                                                                      django_assert_num_queries):
    """A published version is frozen, so its questions and rules are read once per process; publishing another
    version is seen at once (it is another version), through the API as through the services."""
    from safety_workflow.services.case_tasks import decision_table_current

    client = client_for(people.safety)
    first = client.get("/api/safety/decision-tables/current/").json()
    with django_assert_num_queries(1):
        table = decision_table_current()
        assert [q.key for q in table.questions.all()] == [q["key"] for q in first["questions"]]
        assert len(table.rules.all()) == len(first["rules"]) == 12

    draft = decision_table_copy(table=decision_table, actor=people.monitoring)
    keep = DecisionRule.objects.filter(table=draft).order_by("order").first()
    DecisionRule.objects.filter(table=draft).exclude(pk=keep.pk).delete()
    decision_table_publish(table=draft, actor=people.monitoring)
    second = client.get("/api/safety/decision-tables/current/").json()
    assert (second["version"], len(second["rules"])) == (2, 1)
    assert len(decision_table_current().rules.all()) == 1
