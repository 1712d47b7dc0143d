"""Versioning the predetermined process: copy a version to a draft, check it, publish it.

A published version is never edited: cases keep the version they were assessed with.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import assessment as decision
from ..errors import Conflict, InvalidInput
from ..models import DecisionQuestion, DecisionRule, DecisionTable


def decision_table_problems(table: DecisionTable) -> list[str]:
    """What stops this version being published; empty when it is sound."""
    problems = []
    questions = {q.key: q for q in table.questions.all()}
    if not questions:
        problems.append(_("It has no questions."))
    if set(table.routes or {}) != set(decision.LEVELS) or not set((table.routes or {}).values()) <= set(
        decision.ROUTES
    ):
        problems.append(_("Give a route (advice, council_action, police) for each level (low, medium, serious)."))
    for q in questions.values():
        if q.kind == DecisionQuestion.Kind.CHOICE and not q.choices:
            problems.append(_("Question %(key)s has no choices.") % {"key": repr(q.key)})
    for rule in table.rules.all():
        if not isinstance(rule.conditions, dict) or not rule.conditions:
            problems.append(_("Rule %(rule)s has no conditions.") % {"rule": repr(rule.description)})
            continue
        for key, wanted in rule.conditions.items():
            question = questions.get(key)
            if question is None:
                problems.append(_("Rule %(rule)s asks about %(key)s, which is not a question.")
                                % {"rule": repr(rule.description), "key": repr(key)})
                continue
            spec = decision.QuestionSpec(key=key, text=question.text, kind=question.kind,
                                         choices=tuple(question.choices or ()))
            values = wanted if isinstance(wanted, list) else [wanted]
            if not all(spec.accepts(v) for v in values):
                problems.append(_("Rule %(rule)s expects an answer %(key)s cannot have.")
                                % {"rule": repr(rule.description), "key": repr(key)})
    return problems


def decision_table_publish(*, table: DecisionTable, actor: Any) -> DecisionTable:
    if table.status != DecisionTable.Status.DRAFT:
        raise Conflict(_("Only a draft can be published."), code="not_a_draft")
    problems = decision_table_problems(table)
    if problems:
        raise InvalidInput(_("This version cannot be published."), errors={"table": problems},
                           code="decision_table_invalid")
    with transaction.atomic():
        DecisionTable.objects.filter(status=DecisionTable.Status.PUBLISHED).update(
            status=DecisionTable.Status.RETIRED
        )
        table.status = DecisionTable.Status.PUBLISHED
        table.published_at = timezone.now()
        table.published_by = actor
        table.save(update_fields=["status", "published_at", "published_by"])
    return table


def decision_table_copy(*, table: DecisionTable, actor: Any) -> DecisionTable:
    """A new draft version with the same questions and rules, to edit and then publish."""
    with transaction.atomic():
        version = (DecisionTable.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        draft = DecisionTable.objects.create(
            version=version, title=table.title, status=DecisionTable.Status.DRAFT,
            default_level=table.default_level, routes=dict(table.routes),
            notes=f"Copied from version {table.version}.",
        )
        DecisionQuestion.objects.bulk_create(
            DecisionQuestion(table=draft, key=q.key, text=q.text, help_text=q.help_text, text_cy=q.text_cy,
                             help_text_cy=q.help_text_cy, kind=q.kind,
                             choices=list(q.choices), order=q.order)
            for q in table.questions.all()
        )
        DecisionRule.objects.bulk_create(
            DecisionRule(table=draft, order=r.order, description=r.description, conditions=dict(r.conditions),
                         level=r.level)
            for r in table.rules.all()
        )
    return draft
