"""bundles/: request a bundle or pack, follow its progress, retry it, download it (logged)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ..errors import NotFound
from ..models import Bundle
from ..selectors.bundles import bundle_get, bundles_visible_to
from ..services.audit import access_log_record
from ..services.bundles import bundle_download, bundle_request, bundle_retry
from .base import SafetyAPIMixin


class RedactionInput(serializers.Serializer):
    text = serializers.CharField(required=False, help_text="A phrase to redact wherever it appears (3-500 characters).")
    reason = serializers.CharField(required=False, allow_blank=True, help_text="Why; shown in place of the phrase.")
    preset = serializers.ChoiceField(required=False, choices=["councillor_home_addresses"],
                                     help_text="Instead of text: the councillors' home addresses on record.")


class BundleRequestInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Bundle.Kind.choices)
    scope = serializers.JSONField(help_text=(
        'injunction: {"case": id} or {"subject": uuid, "date_from": date, "date_to": date}; '
        'police_referral: {"case": id}; liaison_meeting: {"since": date, "until": date}; '
        'subject_access: {"subject": uuid}, or for someone who is not a subject (only ever checked, say) '
        '{"name": str, "date_of_birth": date (optional)}.'
    ))
    # Validated in the service (bundle_redactions_clean); declared here for the schema.
    redactions = serializers.JSONField(required=False, default=list,
                                       help_text="A list of {text, reason} or {preset} objects.")
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                    help_text="Why the bundle is needed; kept in the access log.")


class BundleOutput(serializers.ModelSerializer):
    requested_by = serializers.SerializerMethodField()
    redactions = serializers.SerializerMethodField()
    stale = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Bundle
        fields = ["id", "kind", "status", "stale", "progress", "step", "scope", "case", "subject", "redactions",
                  "purpose", "requested_by", "requested_at", "started_at", "finished_at", "attempts", "sha256",
                  "size", "page_count", "error", "log", "download_url"]
        read_only_fields = fields

    def get_requested_by(self, bundle: Bundle) -> dict[str, Any]:
        from ..adapter import get_adapter

        return {"id": str(bundle.requested_by_id), "name": get_adapter().display_name(bundle.requested_by)}

    def get_redactions(self, bundle: Bundle) -> list[dict[str, str]]:
        # The redacted phrases themselves are not repeated: only what kind of thing was redacted.
        return [{"preset": r["preset"]} if "preset" in r else {"reason": r.get("reason", "")}
                for r in bundle.redactions or []]

    def get_stale(self, bundle: Bundle) -> bool:
        return bundle.is_stale()

    def get_download_url(self, bundle: Bundle) -> str | None:
        if bundle.status != Bundle.Status.READY:
            return None
        request = self.context.get("request")
        try:
            url = reverse("safety_workflow:bundle-download", kwargs={"pk": bundle.pk})
        except Exception:
            return None
        return request.build_absolute_uri(url) if request is not None else url


class BundleViewSet(SafetyAPIMixin, viewsets.GenericViewSet):
    serializer_class = BundleOutput
    queryset = Bundle.objects.none()  # never used: every read goes through selectors.bundles

    def get_queryset(self):  # noqa: D102 - for the schema generator only
        return bundles_visible_to(self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=Bundle.Kind.values),
            OpenApiParameter("status", str, enum=Bundle.Status.values),
            OpenApiParameter("case", int),
        ],
        responses=BundleOutput(many=True),
    )
    def list(self, request: Request) -> Response:
        bundles = bundles_visible_to(request.user)
        for key in ("kind", "status"):
            if request.query_params.get(key):
                bundles = bundles.filter(**{key: request.query_params[key]})
        if (request.query_params.get("case") or "").isdigit():
            bundles = bundles.filter(case_id=int(request.query_params["case"]))
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
        bundle = bundle_get(request.user, pk)
        access_log_record(actor=request.user, action="view", object_type="bundle", object_id=bundle.pk,
                          object_repr=str(bundle), result=bundle.status, request=request,
                          subject=bundle.subject_id, data={"kind": bundle.kind})
        return Response(BundleOutput(bundle, context={"request": request}).data)

    @extend_schema(request=None, responses={202: BundleOutput})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        bundle = bundle_retry(user=request.user, bundle=bundle_get(request.user, pk), request=request)
        return Response(BundleOutput(bundle, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The bundle (PDF)."),
            409: inline_serializer("BundleNotReady", {"code": serializers.CharField(),
                                                      "message": serializers.CharField()}),
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        try:
            bundle = bundle_get(request.user, pk)
        except NotFound as refused:
            refused.access_attempt["action"] = "download"
            raise
        handle = bundle_download(user=request.user, bundle=bundle, request=request)
        reference = bundle.case.reference if bundle.case_id else str(bundle.pk)[:8]
        response = FileResponse(handle, content_type="application/pdf", as_attachment=True,
                                filename=f"{bundle.kind.replace('_', '-')}-{reference}.pdf")
        response["ETag"] = f'"{bundle.sha256}"'
        response["X-Content-SHA256"] = bundle.sha256
        response["Cache-Control"] = "private, no-store"
        return response
