"""bundles/: request a bundle or pack, follow its progress, retry it, download it (logged)."""

from __future__ import annotations

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ..errors import NotFound
from ..models import Bundle, Language
from ..selectors.bundles import bundle_get, bundles_visible_to
from ..services.audit import access_log_record
from ..services.bundles import bundle_download, bundle_request, bundle_retry, bundle_supplement
from .base import InputSerializer, ModelOutput, SafetyAPIMixin, collection, download
from .serializers import CaseSummary, PersonOutput, SubjectSummary


class RedactionInput(InputSerializer):
    text = serializers.CharField(required=False, help_text="A phrase to redact wherever it appears (3-500 characters).")
    reason = serializers.CharField(required=False, allow_blank=True, help_text="Why; shown in place of the phrase.")
    preset = serializers.ChoiceField(required=False, choices=["home_addresses"],
                                     help_text="Instead of text: the home addresses of the people harmed.")


class BundleRequestInput(InputSerializer):
    kind = serializers.ChoiceField(choices=Bundle.Kind.choices)
    scope = serializers.JSONField(help_text=(
        'injunction: {"case": id} or {"subject": uuid, "date_from": date, "date_to": date}; '
        'police_referral: {"case": id}; liaison_meeting: {"since": date, "until": date}; '
        'subject_access: {"subject": uuid}; for a person the process protects {"protected_person": uuid}; or '
        'for someone who is neither (only ever checked, say) {"name": str, "date_of_birth": date (optional)}.'
    ))
    # Validated in the service (bundle_redactions_clean); declared here for the schema.
    redactions = serializers.JSONField(required=False, default=list,
                                       help_text="A list of {text, reason} or {preset} objects.")
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                    help_text="Why the bundle is needed; kept in the access log.")
    language = serializers.ChoiceField(
        choices=Language.choices, required=False,
        help_text="The language the bundle is written in: en, cy, or bilingual (each part in Welsh, then in "
                  "English). Without it: the language recorded for the person it is for (the person of a "
                  "subject-access export, the one person harmed in a court bundle or police pack), else the "
                  "council's default. Evidence is reproduced as it is, in whatever language it was written.")


class SupplementInput(InputSerializer):
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                    help_text="Why the supplement is needed; kept in the access log.")


class RedactionOutput(serializers.Serializer):
    preset = serializers.CharField(required=False)
    reason = serializers.CharField(required=False)


class BundleOutput(ModelOutput):
    case = CaseSummary(allow_null=True)
    subject = SubjectSummary(allow_null=True)
    requested_by = PersonOutput()
    redactions = serializers.SerializerMethodField()
    stale = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Bundle
        fields = ["id", "kind", "status", "stale", "progress", "step", "scope", "case", "subject", "supplement_of",
                  "redactions", "purpose", "language", "requested_by", "requested_at", "started_at", "finished_at",
                  "attempts", "sha256", "size", "page_count", "error", "log", "download_url"]
        read_only_fields = fields

    @extend_schema_field(RedactionOutput(many=True))
    def get_redactions(self, bundle: Bundle) -> list[dict[str, str]]:
        # The redacted phrases themselves are not repeated: only what kind of thing was redacted.
        return [{"preset": r["preset"]} if "preset" in r else {"reason": r.get("reason", "")}
                for r in bundle.redactions or []]

    def get_stale(self, bundle: Bundle) -> bool:
        return bundle.is_stale()

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, bundle: Bundle) -> str | None:
        if bundle.status != Bundle.Status.READY:
            return None
        request = self.context.get("request")
        try:
            url = reverse("safety_workflow:bundle-download", kwargs={"pk": bundle.pk})
        except Exception:
            return None
        return request.build_absolute_uri(url) if request is not None else url


class BundleQuery(InputSerializer):
    kind = serializers.ChoiceField(choices=Bundle.Kind.choices, required=False)
    status = serializers.ChoiceField(choices=Bundle.Status.choices, required=False)
    case = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class BundleViewSet(SafetyAPIMixin, viewsets.GenericViewSet):
    serializer_class = BundleOutput
    queryset = Bundle.objects.none()  # never used: every read goes through selectors.bundles

    def get_queryset(self):  # noqa: D102 - for the schema generator only
        return bundles_visible_to(self.request.user)

    def get_object(self) -> Bundle:
        try:
            return bundle_get(self.request.user, self.kwargs["pk"])
        except NotFound as refused:
            if getattr(self, "action", None) == "download":  # logged as a refused download
                refused.access_attempt["action"] = "download"
            raise

    @collection(BundleOutput, query=BundleQuery)
    def list(self, request: Request) -> Response:
        bundles = bundles_visible_to(request.user).select_related("case", "subject")
        for key in ("kind", "status"):
            if self.query.get(key):
                bundles = bundles.filter(**{key: self.query[key]})
        if self.query.get("case"):
            bundles = bundles.filter(case_id=self.query["case"])
        page = self.paginate_queryset(bundles.order_by("-requested_at"))
        access_log_record(actor=request.user, action="list", object_type="bundle", result=str(len(page)),
                          request=request, data={"bundles": [str(b.pk) for b in page],
                                                 "filters": dict(request.query_params.items())})
        return self.get_paginated_response(BundleOutput(page, many=True, context={"request": request}).data)

    @extend_schema(request=BundleRequestInput, responses={202: BundleOutput})
    def create(self, request: Request) -> Response:
        data = BundleRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        bundle = bundle_request(user=request.user, request=request, **data.validated_data)
        return Response(BundleOutput(bundle, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=BundleOutput)
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        bundle = self.get_object()
        access_log_record(actor=request.user, action="view", object_type="bundle", object_id=bundle.pk,
                          object_repr=str(bundle), result=bundle.status, request=request,
                          subject=bundle.subject_id, data={"kind": bundle.kind})
        return Response(BundleOutput(bundle, context={"request": request}).data)

    @extend_schema(request=None, responses={202: BundleOutput})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        bundle = bundle_retry(user=request.user, bundle=self.get_object(), request=request)
        return Response(BundleOutput(bundle, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=SupplementInput, responses={202: BundleOutput},
                   summary="A supplementary bundle: the served bundle with what was added since appended",
                   description="For a ready injunction bundle of one case (409 `bundle_not_supplementable` "
                   "otherwise): the court documents, incidents and evidence added since it was built (409 "
                   "`nothing_to_supplement` if none), paginated on from its last page, the index and the bookmarks "
                   "updated. The new file begins with the served file's bytes, unchanged (a PDF incremental "
                   "update): its first `size` bytes still have the served bundle's SHA-256.")
    @action(detail=True, methods=["post"])
    def supplement(self, request: Request, pk: str | None = None) -> Response:
        bundle = self.get_object()
        data = SupplementInput(data=request.data)
        data.is_valid(raise_exception=True)
        supplement = bundle_supplement(user=request.user, bundle=bundle, request=request, **data.validated_data)
        return Response(BundleOutput(supplement, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)

    @download(["application/pdf"], "The bundle (PDF); its SHA-256 is re-checked before it is sent.")
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        bundle = self.get_object()
        handle = bundle_download(user=request.user, bundle=bundle, request=request)
        reference = bundle.case.reference if bundle.case_id else str(bundle.pk)[:8]
        response = FileResponse(handle, content_type="application/pdf", as_attachment=True,
                                filename=f"{bundle.kind.replace('_', '-')}-{reference}.pdf")
        response["ETag"] = f'"{bundle.sha256}"'
        response["X-Content-SHA256"] = bundle.sha256
        response["Cache-Control"] = "private, no-store"
        return response
