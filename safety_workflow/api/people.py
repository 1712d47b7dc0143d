"""The protected-persons/ and election-periods/ resources: the people the process protects, and the elections
that bring candidates into it.

Whom an incident was aimed at is named one way everywhere: in outputs, a ``protected_person`` summary
``{id, name, kind}``; in inputs, ``protected_person`` (the id of someone recorded) or ``new_protected_person``
(the details of someone recorded there and then, as ``POST protected-persons/`` takes them).

Who sees whom is ``selectors.people``; who records whom is ``services.people``. Every read of a person's record
and every change is in the access log (their contact details are held with the same care as a subject's).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ..models import AccessLogEntry, Candidacy, ContactMethod, ElectionPeriod, Language, ProtectedPerson
from ..selectors.common import get_or_not_found
from ..selectors.people import (
    election_period_get,
    election_periods_visible_to,
    protected_people_listed,
    protected_people_visible_to,
)
from ..services.audit import access_log_record
from ..services.elections import election_period_create, election_period_update
from ..services.people import (
    candidacy_add,
    protected_person_check_may_change,
    protected_person_check_may_stand,
    protected_person_create,
    protected_person_elected,
    protected_person_update,
)
from . import fields
from .base import (
    FilterSet,
    InputSerializer,
    IntegerFilter,
    KeyFilter,
    SafetyAPIMixin,
    TextFilter,
    VisiblePKField,
    collection,
)
from .serializers import ElectionPeriodSummary, PersonOutput, ProtectedPersonSummary
from .task_forms import UserRef


# Input -------------------------------------------------------------------------------------------
class CandidacyInput(InputSerializer):
    election = serializers.PrimaryKeyRelatedField(queryset=ElectionPeriod.objects.all(),
                                                  help_text="The election period (election-periods/).")
    ward = serializers.CharField(max_length=100, help_text="The ward or division they stand in.")


class ProtectedPersonDetailsInput(InputSerializer):
    """What may be corrected on someone recorded (PATCH): everything but their kind, account and link."""

    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                      help_text="Their name (a user is named by their account).")
    relationship = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                         help_text="For a household member or supporter: partner, son, ward "
                                                   "assistant, election agent...")
    share_with_linked = serializers.BooleanField(
        required=False, help_text="A household member or supporter agreed that the councillor or candidate they "
                                  "are linked to may see incidents others report about them.")
    job_title = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                      help_text="For a member of staff.")
    workplace = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                      help_text="For a member of staff: their service or office.")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    address = serializers.CharField(max_length=500, required=False, allow_blank=True)
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True)
    preferred_contact = serializers.ChoiceField(choices=ContactMethod.choices, required=False, allow_blank=True)
    language = serializers.ChoiceField(
        choices=Language.choices, required=False, allow_blank=True,
        help_text="The language of the documents written for them (en, cy, or bilingual: Welsh first); blank: "
                  "the council's default (SAFETY_WORKFLOW[\"DOCUMENT_LANGUAGE\"]).")


class NewProtectedPersonInput(ProtectedPersonDetailsInput):
    """Someone to record: a candidate (with the elections they stand in), a member of a councillor's or
    candidate's household or a supporter (linked to them), a member of staff, or a councillor (with their
    account)."""

    kind = serializers.ChoiceField(choices=ProtectedPerson.Kind.choices)
    user = UserRef(required=False, allow_null=True, default=None,
                   help_text="Their account, if they have one (a councillor's is required).")
    linked_to = VisiblePKField(protected_people_visible_to, queryset=ProtectedPerson.objects.all(), required=False,
                               allow_null=True, default=None,
                               help_text="For a household member or supporter: the councillor or candidate (a "
                                         "councillor or candidate recording their own: themselves, by default).")
    candidacies = CandidacyInput(many=True, required=False, default=list, max_length=10,
                                 help_text="For a candidate: the elections they stand in, each with the ward.")


class CandidacyAddInput(CandidacyInput):
    pass


class ElectedInput(InputSerializer):
    election = serializers.PrimaryKeyRelatedField(queryset=ElectionPeriod.objects.all(),
                                                  help_text="The election they won.")
    user = UserRef(help_text="Their councillor account.")


class ElectionPeriodInput(InputSerializer):
    name = serializers.CharField(max_length=200)
    poll_date = fields.DateField()
    starts_on = fields.DateField(help_text="First day of the period: usually the notice of election.")
    ends_on = fields.DateField(required=False, allow_null=True, default=None,
                               help_text="Last day of the period; by default the day after the poll (the count).")
    wards = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list,
                                  max_length=200, help_text="A by-election's wards or divisions; empty for an "
                                                            "election across the whole council.")


class ElectionPeriodChangeInput(InputSerializer):
    name = serializers.CharField(max_length=200, required=False)
    poll_date = fields.DateField(required=False)
    starts_on = fields.DateField(required=False)
    ends_on = fields.DateField(required=False)
    wards = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=200)


# Output ------------------------------------------------------------------------------------------
class CandidacyOutput(serializers.Serializer):
    election = ElectionPeriodSummary()
    ward = serializers.CharField()
    elected = serializers.BooleanField(allow_null=True, help_text="null until the result is recorded.")


class ProtectedPersonOutput(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=ProtectedPerson.Kind.choices)
    name = serializers.CharField()
    full_name = serializers.CharField()
    user = PersonOutput(allow_null=True, help_text="Their account; null if they have none.")
    linked_to = ProtectedPersonSummary(allow_null=True,
                                       help_text="For a household member or supporter: the councillor or candidate.")
    relationship = serializers.CharField()
    share_with_linked = serializers.BooleanField()
    job_title = serializers.CharField()
    workplace = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    address = serializers.CharField()
    postcode = serializers.CharField()
    preferred_contact = serializers.ChoiceField(choices=ContactMethod.choices, allow_blank=True)
    language = serializers.ChoiceField(choices=Language.choices, allow_blank=True,
                                       help_text="The language of the documents written for them; blank: the "
                                                 "council's default.")
    candidacies = CandidacyOutput(many=True, source="candidacies.all")
    incident_count = serializers.IntegerField(help_text="Incidents aimed at them that you may see.")
    created_at = fields.DateTimeField()


class ElectionPeriodOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    poll_date = fields.DateField()
    starts_on = fields.DateField()
    ends_on = fields.DateField()
    wards = serializers.ListField(child=serializers.CharField(), help_text="Empty: the whole council's area.")
    candidate_count = serializers.IntegerField()
    created_at = fields.DateTimeField()


# Filters -----------------------------------------------------------------------------------------
class ProtectedPersonFilter(FilterSet):
    kind = django_filters.ChoiceFilter(choices=ProtectedPerson.Kind.choices)
    election = IntegerFilter(method="filter_election", help_text="Standing in this election period.")
    linked_to = KeyFilter(field_name="linked_to_id", model=lambda: ProtectedPerson,
                          help_text="Linked to this councillor or candidate.")
    q = TextFilter(method="filter_q", help_text="Part of their name or e-mail address.")

    class Meta:
        model = ProtectedPerson
        fields: list[str] = []

    def filter_election(self, queryset: Any, name: str, value: int) -> Any:
        return queryset.filter(Exists(Candidacy.objects.filter(person=OuterRef("pk"), election_id=value)))

    def filter_q(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(Q(full_name__icontains=value) | Q(email__icontains=value))


# Views -------------------------------------------------------------------------------------------
class ProtectedPersonViewSet(SafetyAPIMixin, viewsets.GenericViewSet):
    """The people the process protects: councillors, candidates, their households and supporters, staff."""

    queryset = ProtectedPerson.objects.none()  # the schema reads the key type here; reads go through selectors
    serializer_class = ProtectedPersonOutput
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = ProtectedPersonFilter

    def get_queryset(self):
        return protected_people_listed(self.request.user)

    def get_object(self) -> ProtectedPerson:
        return get_or_not_found(self.get_queryset(), self.kwargs["pk"], log_as="protected_person")

    def _log(self, action: str, person: ProtectedPerson, *, purpose: str = "", data: dict | None = None) -> None:
        access_log_record(actor=self.request.user, action=action, object_type="protected_person",
                          object_id=person.pk, object_repr=person.name, purpose=purpose, request=self.request,
                          data=data)

    def _detail(self, person: ProtectedPerson, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(ProtectedPersonOutput(self.get_queryset().get(pk=person.pk)).data, status=status_code)

    @collection(ProtectedPersonOutput)
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        access_log_record(actor=request.user, action=AccessLogEntry.Action.LIST, object_type="protected_person",
                          result=str(len(page)), request=request,
                          data={"people": [str(p.pk) for p in page], "filters": dict(request.query_params.items())})
        return self.get_paginated_response(ProtectedPersonOutput(page, many=True).data)

    @extend_schema(request=NewProtectedPersonInput, responses={201: ProtectedPersonOutput})
    def create(self, request: Request) -> Response:
        serializer = NewProtectedPersonInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            person = protected_person_create(actor=request.user, **serializer.validated_data)
            self._log(AccessLogEntry.Action.CHANGE, person, purpose="Protected person recorded",
                      data={"kind": person.kind})
        return self._detail(person, status.HTTP_201_CREATED)

    @extend_schema(responses=ProtectedPersonOutput)
    def retrieve(self, request: Request, pk: Any = None) -> Response:
        person = self.get_object()
        self._log(AccessLogEntry.Action.VIEW, person)
        return Response(ProtectedPersonOutput(person).data)

    @extend_schema(request=ProtectedPersonDetailsInput, responses=ProtectedPersonOutput)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        """Correct their name, relationship, consent to share, job, or contact details."""
        person = self.get_object()
        protected_person_check_may_change(actor=request.user, person=person)
        serializer = ProtectedPersonDetailsInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            protected_person_update(actor=request.user, person=person, **serializer.validated_data)
            self._log(AccessLogEntry.Action.CHANGE, person, purpose="Details corrected",
                      data={"fields": sorted(serializer.validated_data)})
        return self._detail(person)

    @extend_schema(request=ElectedInput, responses=ProtectedPersonOutput,
                   summary="A candidate was elected: link them to their councillor account",
                   description="They become a councillor and keep their history: their incidents as a candidate "
                   "stay recorded as a candidate's (person_kind), in the election period, and new ones are theirs "
                   "as a councillor. An empty record the account already had gives way; one with records of its "
                   "own answers 409 protected_person_exists.")
    @action(detail=True, methods=["post"])
    def elected(self, request: Request, pk: Any = None) -> Response:
        person = self.get_object()
        protected_person_check_may_stand(actor=request.user)
        serializer = ElectedInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            protected_person_elected(actor=request.user, person=person, **serializer.validated_data)
            self._log(AccessLogEntry.Action.CHANGE, person, purpose="Elected",
                      data={"election": serializer.validated_data["election"].pk})
        return self._detail(person)

    @extend_schema(request=CandidacyAddInput, responses={201: ProtectedPersonOutput},
                   summary="They stand in an election (a candidate, or a councillor standing again)")
    @action(detail=True, methods=["post"])
    def candidacies(self, request: Request, pk: Any = None) -> Response:
        person = self.get_object()
        protected_person_check_may_stand(actor=request.user)
        serializer = CandidacyAddInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            candidacy_add(actor=request.user, person=person, **serializer.validated_data)
            self._log(AccessLogEntry.Action.CHANGE, person, purpose="Candidacy recorded",
                      data={"election": serializer.validated_data["election"].pk})
        return self._detail(person, status.HTTP_201_CREATED)


class ElectionPeriodViewSet(SafetyAPIMixin, viewsets.GenericViewSet):
    """Election periods: the weeks before a poll. Reports in them are flagged for the police and the trends."""

    queryset = ElectionPeriod.objects.none()
    serializer_class = ElectionPeriodOutput

    def get_queryset(self):
        return election_periods_visible_to(self.request.user)

    def get_object(self) -> ElectionPeriod:
        return election_period_get(self.request.user, self.kwargs["pk"])

    def _detail(self, period: ElectionPeriod, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(ElectionPeriodOutput(self.get_queryset().get(pk=period.pk)).data, status=status_code)

    @collection(ElectionPeriodOutput)
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ElectionPeriodOutput(page, many=True).data)

    @extend_schema(request=ElectionPeriodInput, responses={201: ElectionPeriodOutput})
    def create(self, request: Request) -> Response:
        serializer = ElectionPeriodInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        period = election_period_create(actor=request.user, **serializer.validated_data)
        return self._detail(period, status.HTTP_201_CREATED)

    @extend_schema(responses=ElectionPeriodOutput)
    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(ElectionPeriodOutput(self.get_object()).data)

    @extend_schema(request=ElectionPeriodChangeInput, responses=ElectionPeriodOutput)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        """Correct the election's name, dates or wards: its incidents are flagged again."""
        period = self.get_object()
        serializer = ElectionPeriodChangeInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        election_period_update(actor=request.user, period=period, **serializer.validated_data)
        return self._detail(period)

