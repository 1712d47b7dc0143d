"""Inputs and outputs of the court details and court documents of a case (``cases/{id}/court-claim/``,
``cases/{id}/court-documents/``)."""

from __future__ import annotations

from rest_framework import serializers

from ..models import CouncilAction, CourtDocument
from ..services.court import PARTY_ROLES
from . import fields
from .base import InputSerializer, ModelOutput
from .serializers import PersonOutput


class PartyInput(InputSerializer):
    name = serializers.CharField(max_length=200)
    role = serializers.ChoiceField(choices=list(PARTY_ROLES.items()))


class CourtClaimInput(InputSerializer):
    court = serializers.ChoiceField(choices=CouncilAction.Court.choices)
    hearing_centre = serializers.CharField(max_length=120, help_text=(
        "The County Court hearing centre (\"Northshire\"); for the High Court the district registry (\"Leeds "
        "District Registry\") or \"Royal Courts of Justice\"."))
    claim_number = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                         help_text="Blank until the court issues one.")
    parties = PartyInput(many=True, required=False, default=list, max_length=20, help_text=(
        "As the claim names them; by default the council is the claimant and the subject the defendant."))
    act = serializers.ChoiceField(choices=CouncilAction.Basis.choices, required=False, allow_blank=True, default="",
                                  help_text="The Act relied on; blank keeps the one decided with the council action.")


class PartyOutput(serializers.Serializer):
    name = serializers.CharField()
    role = serializers.CharField()


class CourtClaimOutput(ModelOutput):
    council_action = serializers.UUIDField(source="id")
    court = serializers.CharField(source="court_kind")
    act = serializers.CharField(source="basis")
    parties = PartyOutput(many=True)

    class Meta:
        model = CouncilAction
        fields = ["council_action", "court", "hearing_centre", "claim_number", "parties", "act"]


class CourtDocumentInput(InputSerializer):
    section = serializers.ChoiceField(choices=CourtDocument.Section.choices)
    title = serializers.CharField(max_length=200)
    document_date = fields.DateField(required=False, allow_null=True, default=None)
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=50000,
                                 help_text="For a generated document: its body, one paragraph a line.")
    file = serializers.FileField(required=False, allow_null=True, default=None, max_length=255,
                                 help_text="The document as a PDF; without one it is generated from its template.")


class CourtDocumentOutput(ModelOutput):
    added_by = PersonOutput()
    generated = serializers.SerializerMethodField()

    class Meta:
        model = CourtDocument
        fields = ["id", "section", "title", "document_date", "generated", "sha256", "size", "page_count",
                  "added_by", "added_at", "withdrawn_at"]

    def get_generated(self, document: CourtDocument) -> bool:
        return not document.file
