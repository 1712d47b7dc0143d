"""Reads behind the patterns: who may see subjects, a subject's incidents as plain records, its course of
conduct and escalation signals, and the police escalation triggers to suggest on a case's assessment.

The rules themselves are in ``safety_workflow.patterns`` (pure); this module only loads the records,
in a fixed number of queries whatever the history's length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .. import patterns
from ..adapter import get_adapter
from ..conf import app_settings
from ..matching import phone_search_digits
from ..models import (
    Assessment,
    Case,
    CourseOfConductFlag,
    DecisionQuestion,
    DecisionTable,
    EscalationSignal,
    Incident,
    Subject,
)
from ..roles import CASE_OFFICER_ROLES, has_role
from .common import get_or_not_found

# Visibility ----------------------------------------------------------------------------------
#: What an incident summary reads (for prefetching the incidents of flags and signals).
INCIDENT_SUMMARY = Incident.objects.only("pk", "reference", "occurred_at", "channel")


def may_see_subjects(user: Any) -> bool:
    """Subjects are for the case officers (members services, health and safety, the monitoring officer)."""
    return has_role(user, *CASE_OFFICER_ROLES)


def subjects_visible_to(user: Any) -> QuerySet[Subject]:
    if not may_see_subjects(user):
        return Subject.objects.none()
    return Subject.objects.all()


def subjects_listed(user: Any, *, search: str = "") -> QuerySet[Subject]:
    """The subjects list: with incident counts and whether a course of conduct is flagged, in one query."""
    subjects = subjects_visible_to(user)
    search = search.strip()
    if search:
        rule = (Q(full_name__icontains=search) | Q(aliases__name__icontains=search)
                | Q(handles__value__icontains=search) | Q(description__icontains=search))
        digits = phone_search_digits(search)
        if len(digits) >= 6:  # a phone number however it is spaced or prefixed
            rule |= Q(handles__kind="phone", handles__normalised__contains=digits)
        subjects = subjects.filter(rule).distinct()
    return subjects.annotate(
        incident_count=Count("incidents", distinct=True),
        flagged=Exists(CourseOfConductFlag.objects.filter(subject=OuterRef("pk"), withdrawn_at__isnull=True)),
        **open_case_annotations(),
    ).prefetch_related("aliases").order_by("full_name", "created_at")


def open_case_annotations() -> dict[str, Subquery]:
    """The subject's (first) open case as ``open_case_id``, ``_reference``, ``_level``, ``_route`` annotations."""
    cases = Case.objects.filter(subject=OuterRef("pk"), state=Case.State.OPEN).order_by("created")
    return {f"open_case_{name}": Subquery(cases.values(name)[:1]) for name in ("id", "reference", "level", "route")}


def open_case_of(subject: Subject) -> dict[str, Any] | None:
    """A case summary of the annotated open case (see ``open_case_annotations``), or None."""
    if not getattr(subject, "open_case_id", None):
        return None
    return {"id": subject.open_case_id, "reference": subject.open_case_reference, "state": Case.State.OPEN,
            "level": subject.open_case_level, "route": subject.open_case_route}


def subject_get(user: Any, subject_id: Any) -> Subject:
    return get_or_not_found(subjects_visible_to(user), subject_id)


# Records -------------------------------------------------------------------------------------
def first_assessment(field: str) -> Subquery:
    """``field`` of the first assessment that took the incident into account: the level it was assessed at."""
    through = Assessment.incidents.through
    return Subquery(
        through.objects.filter(incident_id=OuterRef("pk"))
        .order_by("assessment__assessed_at", "assessment_id")
        .values(f"assessment__{field}")[:1]
    )


def incidents_with_level(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """Annotate ``assessed_level``: the level of the first assessment that covered each incident, or ""."""
    return incidents.annotate(assessed_level=Coalesce(first_assessment("level"), Value("")))


def incident_records(incidents: QuerySet[Incident]) -> list[patterns.IncidentRecord]:
    """The incidents as plain records for the pattern rules, with the text read from their evidence: two queries."""
    rows = list(incidents_with_level(incidents).select_related("protected_person__user", "case").order_by(
        "occurred_at", "reported_at", "reference"))
    evidence = evidence_texts([i.pk for i in rows])
    return [
        patterns.IncidentRecord(
            id=i.pk,
            reference=i.reference,
            occurred_at=timezone.localtime(i.occurred_at),
            reported_at=timezone.localtime(i.reported_at),
            person_id=i.protected_person_id,
            person_name=i.protected_person.name,
            person_kind=i.person_kind,
            person_current_kind=i.protected_person.kind,
            channel=i.channel,
            level=i.assessed_level,
            case_id=i.case_id,
            case_reference=i.case.reference if i.case_id else "",
            case_state=i.case.state if i.case_id else "",
            case_level=i.case.level if i.case_id else "",
            case_route=i.case.route if i.case_id else "",
            hate_element=i.hate_element,
            hate_categories=tuple(i.hate_categories or ()),
            words_used=i.words_used,
            account=i.account,
            evidence_text=evidence.get(i.pk, ""),
        )
        for i in rows
    ]


def evidence_texts(incident_ids: list[Any]) -> dict[Any, str]:
    """The text read from each incident's evidence (what was read; one query, none without incidents)."""
    if not incident_ids:
        return {}
    from ..models import EvidenceText

    found: dict[Any, list[str]] = {}
    rows = (EvidenceText.objects.filter(evidence__incident_id__in=incident_ids, status=EvidenceText.Status.DONE)
            .exclude(text="").order_by("evidence__uploaded_at").values_list("evidence__incident_id", "text"))
    for incident_id, text in rows:
        found.setdefault(incident_id, []).append(text)
    return {key: "\n".join(texts) for key, texts in found.items()}


def subject_incident_records(subject: Subject) -> list[patterns.IncidentRecord]:
    return incident_records(Incident.objects.filter(subject=subject))


def escalation_options() -> dict[str, Any]:
    return {
        "frequency_min_incidents": app_settings.ESCALATION_FREQUENCY_MIN_INCIDENTS,
        "frequency_ratio": app_settings.ESCALATION_FREQUENCY_RATIO,
        "people_threshold": app_settings.ESCALATION_PEOPLE_THRESHOLD,
    }


def threat_phrases() -> tuple[str, ...]:
    configured = app_settings.POLICE_TRIGGER_PHRASES
    return tuple(patterns.DEFAULT_THREAT_PHRASES if configured is None else configured)


# A subject's conduct ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SubjectConduct:
    subject: Subject
    records: list[patterns.IncidentRecord]
    course_of_conduct: list[patterns.CourseOfConduct]
    signals: list[patterns.Signal]
    flags: list[CourseOfConductFlag]
    noticed: list[EscalationSignal]
    flags_withdrawn: list[CourseOfConductFlag]
    noticed_withdrawn: list[EscalationSignal]


def subject_conduct(subject: Subject) -> SubjectConduct:
    """Course of conduct per person harmed and escalation signals, live, with the flags and signals noticed
    (those in force, and those a correction withdrew, with why)."""
    records = subject_incident_records(subject)
    flags = list(conduct_flags(subject=subject, withdrawn=None))
    noticed = list(escalation_signals_noticed(subject=subject, withdrawn=None))
    return SubjectConduct(
        subject=subject,
        records=records,
        course_of_conduct=patterns.course_of_conduct(records, subject_name=subject.full_name),
        signals=patterns.escalation_signals(records, subject_name=subject.full_name, **escalation_options()),
        flags=[f for f in flags if f.withdrawn_at is None],
        noticed=[s for s in noticed if s.withdrawn_at is None],
        flags_withdrawn=[f for f in flags if f.withdrawn_at is not None],
        noticed_withdrawn=[s for s in noticed if s.withdrawn_at is not None],
    )


FLAG_RELATED = ("protected_person__user", "case", "subject", "withdrawn_by")


def conduct_flags(*, subject: Subject, withdrawn: bool | None = False) -> QuerySet[CourseOfConductFlag]:
    """The subject's flags in force (``withdrawn=False``), withdrawn ones (``True``) or all (``None``)."""
    flags = CourseOfConductFlag.objects.filter(subject=subject)
    if withdrawn is not None:
        flags = flags.filter(withdrawn_at__isnull=not withdrawn)
    return (flags.select_related(*FLAG_RELATED)
            .prefetch_related(Prefetch("incidents", queryset=INCIDENT_SUMMARY))
            .order_by("raised_at"))


def _shown_on(case: Case) -> Q:
    """The flags a case shows: its own, and its subject's course of conduct against a person harmed in it."""
    rule = Q(case=case)
    if case.subject_id is not None:
        rule |= Q(subject_id=case.subject_id,
                  protected_person__in=Incident.objects.filter(case=case).values("protected_person"))
    return rule


def conduct_flags_for_case(case: Case) -> QuerySet[CourseOfConductFlag]:
    """The flags in force to show on a case: its subject's course of conduct against a person harmed in the case.

    A flag raised on an earlier case still shows on the subject's later cases about the same person.
    Ready for ``api.subjects.ConductFlagSerializer``: two queries.
    """
    return (CourseOfConductFlag.objects.filter(_shown_on(case), withdrawn_at__isnull=True)
            .select_related(*FLAG_RELATED)
            .prefetch_related(Prefetch("incidents", queryset=INCIDENT_SUMMARY))
            .order_by("raised_at"))


def conduct_flags_of_case(case: Case) -> tuple[list[CourseOfConductFlag], list[CourseOfConductFlag]]:
    """For a case's detail: the flags in force shown on it (``conduct_flags_for_case``) and those once raised on
    it and withdrawn by a correction (the case's history says why).

    Most cases have no flag: one plain query says so (joining the flags' five relations for nothing cost
    PostgreSQL 2 ms of planning). When there are flags, one more reads them with their relations, and one
    their incidents."""
    found = list(CourseOfConductFlag.objects.filter((_shown_on(case) & Q(withdrawn_at__isnull=True))
                                                    | Q(case=case, withdrawn_at__isnull=False))
                 .values_list("pk", flat=True))
    if not found:
        return [], []
    flags = list(CourseOfConductFlag.objects.filter(pk__in=found).select_related(*FLAG_RELATED)
                 .prefetch_related(Prefetch("incidents", queryset=INCIDENT_SUMMARY)).order_by("raised_at"))
    return ([f for f in flags if f.withdrawn_at is None], [f for f in flags if f.withdrawn_at is not None])


def escalation_signals_noticed(*, subject: Subject, withdrawn: bool | None = False) -> QuerySet[EscalationSignal]:
    """The subject's signals in force (``withdrawn=False``), withdrawn ones (``True``) or all (``None``)."""
    noticed = EscalationSignal.objects.filter(subject=subject)
    if withdrawn is not None:
        noticed = noticed.filter(withdrawn_at__isnull=not withdrawn)
    return noticed.select_related("case", "withdrawn_by").order_by("noticed_at")


# Police escalation triggers ---------------------------------------------------------------------
def case_records(case: Case) -> tuple[list[patterns.IncidentRecord], str]:
    """The records to judge a case by, and the subject's name: all the subject's incidents (a course of
    conduct can span cases), or the case's own when no subject is linked. Three queries (one reads the text
    of the evidence)."""
    if case.subject_id:
        subject = Subject.objects.get(pk=case.subject_id)
        return incident_records(Incident.objects.filter(subject=subject)), subject.full_name
    return incident_records(Incident.objects.filter(case=case)), ""


def police_trigger_suggestions(case: Case, *, records: list[patterns.IncidentRecord] | None = None,
                               subject_name: str = "") -> list[dict[str, Any]]:
    """Operation Ford triggers the log shows for this case, to suggest on its assessment task.

    Each suggestion names the decision-table question it bears on, with ``suggested_answer: true``;
    the assessor decides. Four queries (``records``, from :func:`case_records`, saves three).
    """
    if records is None:
        records, subject_name = case_records(case)
    triggers = patterns.police_triggers(records, subject_name=subject_name, threat_phrases=threat_phrases())
    if not triggers:
        return []
    questions = dict(
        DecisionQuestion.objects.filter(
            table__status=DecisionTable.Status.PUBLISHED, key__in=[t.question for t in triggers]
        ).order_by("key", F("table__version").asc()).values_list("key", "text")
    )  # later versions overwrite earlier ones in the dict
    return [
        {
            "trigger": t.trigger,
            "title": t.title,
            "explanation": t.explanation,
            "question": t.question,
            "question_text": questions.get(t.question, ""),
            "suggested_answer": True,
            "incidents": record_refs(t.incidents, case),
        }
        for t in triggers
    ]


def record_refs(records: Any, case: Case) -> list[dict[str, Any]]:
    return [{"id": str(r.id), "reference": r.reference, "occurred_at": r.occurred_at.isoformat(),
             "case": r.case_reference, "in_this_case": r.case_id == case.pk} for r in records]


def flag_as_dict(flag: CourseOfConductFlag) -> dict[str, Any]:
    adapter = get_adapter()
    return {
        "id": str(flag.pk),
        "protected_person": {"id": str(flag.protected_person_id), "name": flag.protected_person.name,
                             "kind": flag.protected_person.kind},
        "case": flag.case.reference,
        "raised_at": flag.raised_at.isoformat(),
        "incident_count": flag.incident_count,
        "reason": flag.reason,
        "incidents": [i.reference for i in flag.incidents.all()],
        "withdrawn_at": flag.withdrawn_at.isoformat() if flag.withdrawn_at else None,
        "withdrawn_by": ({"id": str(flag.withdrawn_by_id), "name": adapter.display_name(flag.withdrawn_by)}
                         if flag.withdrawn_by_id else None),
        "withdrawal_reason": flag.withdrawal_reason,
    }


def assess_context(task: Any, case: Case) -> dict[str, Any]:
    """What the assessor should see beside the questionnaire (a task-context builder for the assess node):
    the police escalation triggers to consider, the case's course-of-conduct flags with their reasons, and
    the subject's escalation signals, each explained with its incidents. Six queries.
    """
    records, name = case_records(case)
    signals = patterns.escalation_signals(records, subject_name=name, **escalation_options())
    return {
        "police_trigger_suggestions": police_trigger_suggestions(case, records=records, subject_name=name),
        "course_of_conduct_flags": [flag_as_dict(f) for f in conduct_flags_for_case(case)],
        "escalation_signals": [
            {"kind": s.kind, "title": s.title, "explanation": s.explanation,
             "incidents": record_refs(s.incidents, case)}
            for s in signals
        ],
    }
