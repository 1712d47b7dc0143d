"""The predetermined process: a versioned decision table turns an assessor's answers into a level and a route.

Pure: works on a :class:`TableSpec` (plain data), so it can be tested and reasoned about
without a database. Hit policy: every rule whose conditions all hold matches; the most
severe matched level wins; with no match the table's default level applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

LEVELS = ("low", "medium", "serious")
ROUTES = ("advice", "council_action", "police")
SEVERITY = {level: rank for rank, level in enumerate(LEVELS)}


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    text: str
    kind: str = "yes_no"  # or "choice"
    choices: tuple[str, ...] = ()

    def accepts(self, value: Any) -> bool:
        if self.kind == "yes_no":
            return isinstance(value, bool)
        return isinstance(value, str) and value in self.choices


@dataclass(frozen=True)
class RuleSpec:
    id: Any
    description: str
    conditions: dict[str, Any]
    level: str

    def matches(self, answers: dict[str, Any]) -> bool:
        for key, wanted in self.conditions.items():
            value = answers.get(key)
            if isinstance(wanted, list):
                if value not in wanted:
                    return False
            elif value != wanted:
                return False
        return True


@dataclass(frozen=True)
class TableSpec:
    version: int
    questions: tuple[QuestionSpec, ...]
    rules: tuple[RuleSpec, ...]
    default_level: str
    routes: dict[str, str]


@dataclass(frozen=True)
class Decision:
    level: str
    route: str
    matched: tuple[RuleSpec, ...] = field(default_factory=tuple)

    def explanation(self) -> list[dict[str, Any]]:
        return [{"rule": rule.id, "description": rule.description, "level": rule.level}
                for rule in self.matched]


def validate_answers(table: TableSpec, answers: Any) -> dict[str, str]:
    """Field errors, keyed by question; empty when every question has an acceptable answer."""
    if not isinstance(answers, dict):
        return {"answers": _("Give the answers as an object keyed by question.")}
    errors: dict[str, str] = {}
    known = {q.key for q in table.questions}
    for question in table.questions:
        if question.key not in answers:
            errors[question.key] = _("This question must be answered.")
        elif not question.accepts(answers[question.key]):
            errors[question.key] = (
                _("Answer true or false.") if question.kind == "yes_no"
                else _("Answer one of: %(choices)s.") % {"choices": ", ".join(question.choices)}
            )
    for key in answers:
        if key not in known:
            errors[key] = _("Not a question in this version of the assessment.")
    return errors


def evaluate(table: TableSpec, answers: dict[str, Any]) -> Decision:
    """The level and route the table gives for these (already validated) answers."""
    matched = tuple(rule for rule in table.rules if rule.matches(answers))
    level = table.default_level
    for rule in matched:
        if SEVERITY[rule.level] > SEVERITY[level]:
            level = rule.level
    return Decision(level=level, route=table.routes[level], matched=matched)


def table_spec_from_model(table: Any) -> TableSpec:
    """Build the pure spec from a ``DecisionTable`` with its questions and rules."""
    return TableSpec(
        version=table.version,
        questions=tuple(
            QuestionSpec(key=q.key, text=q.text, kind=q.kind, choices=tuple(q.choices or ()))
            for q in table.questions.all()
        ),
        rules=tuple(
            RuleSpec(id=r.pk, description=r.description, conditions=dict(r.conditions), level=r.level)
            for r in table.rules.all()
        ),
        default_level=table.default_level,
        routes=dict(table.routes),
    )
