"""Bodies of the corrections: ``POST incidents/{id}/unlink-subject/`` and ``POST cases/{id}/split/``.

The operations themselves are actions of the incident and case view sets; the rules are in
``services.corrections``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Case, CourseOfConductFlag, Subject
from ..selectors.register import register_entries_visible_to
from ..services.corrections import CorrectionResult
from .base import InputSerializer
from .serializers import CaseSummary, SubjectSummary
from .task_forms import NewSubjectInput

REASON_HELP = _("Why: the correction is part of the case's record (required).")


class UnlinkSubjectInput(InputSerializer):
    reason = serializers.CharField(max_length=5000, allow_blank=True, help_text=REASON_HELP)
    subject = serializers.PrimaryKeyRelatedField(
        queryset=Subject.objects.all(), required=False, allow_null=True, default=None,
        help_text=_("The subject the incident is really about, when known."),
    )
    new_subject = NewSubjectInput(required=False, allow_null=True, default=None,
                                  help_text=_("Or record that person as a new subject."))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["subject"] is not None and attrs["new_subject"]:
            raise serializers.ValidationError(_("Give an existing subject or a new one, not both."))
        return attrs


class SplitInput(InputSerializer):
    incidents = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=200,
                                      help_text=_("The incidents to move into a new case of their own."))
    reason = serializers.CharField(max_length=5000, allow_blank=True, help_text=REASON_HELP)


class FindingOutput(serializers.Serializer):
    """A course-of-conduct flag or an escalation signal that a correction withdrew or raised."""

    id = serializers.UUIDField()
    kind = serializers.CharField(help_text="course_of_conduct, or the escalation signal's kind")
    subject = SubjectSummary(help_text="Whom it is about")
    case = CaseSummary(help_text="The case it is recorded on")
    explanation = serializers.CharField(help_text="Why it was raised")
    withdrawal_reason = serializers.CharField(help_text="Why it was withdrawn; empty for one raised")


def _finding(item: Any) -> dict[str, Any]:
    flag = isinstance(item, CourseOfConductFlag)
    return {
        "id": item.pk,
        "kind": "course_of_conduct" if flag else item.kind,
        "subject": item.subject,
        "case": item.case,
        "explanation": item.reason if flag else item.explanation,
        "withdrawal_reason": item.withdrawal_reason,
    }


class CorrectedCaseOutput(CaseSummary):
    merged_into = CaseSummary(allow_null=True, help_text="The subject's other open case it was merged into by the "
                                                        "correction, if any")


class CorrectionOutput(serializers.Serializer):
    """What a correction changed: where the incidents are now, and everything worked out again."""

    case = serializers.SerializerMethodField()
    new_case = serializers.SerializerMethodField()
    withdrawn = serializers.SerializerMethodField()
    raised = serializers.SerializerMethodField()
    assessment_reopened = serializers.BooleanField(help_text="The case's assessment was re-opened (its level may "
                                                             "change)")
    referrals = serializers.SerializerMethodField()
    register_entries = serializers.SerializerMethodField()
    case_holds_other_subjects = serializers.SerializerMethodField()

    @extend_schema_field(CorrectedCaseOutput)
    def get_case(self, result: CorrectionResult) -> dict[str, Any]:
        return CorrectedCaseOutput(Case.objects.select_related("merged_into").get(pk=result.case.pk)).data

    @extend_schema_field(CorrectedCaseOutput(allow_null=True))
    def get_new_case(self, result: CorrectionResult) -> dict[str, Any] | None:
        if result.new_case is None:
            return None
        return CorrectedCaseOutput(Case.objects.select_related("merged_into").get(pk=result.new_case.pk)).data

    @extend_schema_field(FindingOutput(many=True))
    def get_withdrawn(self, result: CorrectionResult) -> list[dict[str, Any]]:
        return FindingOutput([_finding(i) for i in result.withdrawn], many=True).data

    @extend_schema_field(FindingOutput(many=True))
    def get_raised(self, result: CorrectionResult) -> list[dict[str, Any]]:
        return FindingOutput([_finding(i) for i in result.raised], many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField(),
                                               help_text="Police referrals the correction changed (ids)"))
    def get_referrals(self, result: CorrectionResult) -> list[str]:
        return sorted({str(r.pk) for r in result.referrals})

    @extend_schema_field(serializers.ListField(
        child=serializers.CharField(),
        help_text="References of register entries whose review the correction changed, among those you may see"))
    def get_register_entries(self, result: CorrectionResult) -> list[str]:
        ids = [e.pk for e in result.register_entries]
        if not ids:
            return []
        visible = register_entries_visible_to(self.context["request"].user).filter(pk__in=ids)
        return sorted(visible.values_list("reference", flat=True))

    @extend_schema_field(serializers.BooleanField(
        help_text="The case still holds incidents about someone other than its subject: split them out"))
    def get_case_holds_other_subjects(self, result: CorrectionResult) -> bool:
        case = result.case
        return case.incidents.exclude(subject_id=case.subject_id).exists() if case.subject_id else \
            case.incidents.filter(subject__isnull=False).exists()
