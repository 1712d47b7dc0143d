"""What every API view shares: the access table, one error format, strict input, one pagination.

Errors are ``{"code": "<stable code>", "message": "<for people>", "errors": {field: [...]}}``.

- A role the access table (``api.access``) does not allow is refused before the body is read.
- Input serializers refuse fields they do not know; views refuse query parameters they do not declare
  (400 ``unknown_parameters`` naming them): an integrator's typo must not silently widen or empty a result.
- Every collection is paginated the same way (``count``, ``next``, ``previous``, ``results``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import django_filters
import django_filters.rest_framework
from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Page
from django.db import models
from django.http import Http404
from django.template.response import SimpleTemplateResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import set_rollback
from viewflow.workflow.exceptions import FlowLockFailed

from ..errors import Forbidden, InvalidInput, SafetyWorkflowError
from ..i18n import api_language, content_language
from ..roles import roles_for
from . import fields
from .access import Access, access_for, operation_key
from .openapi import SafetyAutoSchema

DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.ParseError: "malformed_request",
    exceptions.Throttled: "rate_limited",
    exceptions.ValidationError: "invalid",
}


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def error_response(code: str, message: str, status_code: int, errors: dict | None = None,
                   headers: dict | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return Response(body, status=status_code, headers=headers)


def _log_attempt(exc: Exception, context: dict) -> None:
    """A refused read (``selectors.common.get_or_not_found(..., log_as=...)``) goes to the access log."""
    attempt = getattr(exc, "access_attempt", None)
    request = context.get("request")
    if not attempt or request is None:
        return
    from ..services.audit import access_log_refusal

    fields = dict(attempt)
    fields.setdefault("action", "view" if request.method in ("GET", "HEAD", "OPTIONS") else "change")
    fields.setdefault("result", fields["outcome"])
    access_log_refusal(actor=request.user, request=request, **fields)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Turn every expected failure into the one error format; anything else stays a 500 (a bug)."""
    if not getattr(exc, "keep_writes", False):  # a logged refusal stays logged under ATOMIC_REQUESTS
        set_rollback()
    _log_attempt(exc, context)
    if isinstance(exc, SafetyWorkflowError):
        headers = {"Retry-After": str(exc.retry_after)} if getattr(exc, "retry_after", None) else None
        return error_response(exc.code, exc.message, exc.status_code, exc.errors or None, headers)
    if isinstance(exc, FlowLockFailed):
        return error_response("busy", _("Someone else is working on this case; try again."),
                              status.HTTP_409_CONFLICT)
    if isinstance(exc, RequestDataTooBig):
        return error_response("request_too_large", _("The request body is too large."),
                              status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):
        return error_response("malformed_request", _("The request could not be read."), status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return error_response("invalid", _("The request is not valid."), 400, _flatten(errors))
    if not isinstance(exc, exceptions.APIException):
        return None
    code = next((c for cls, c in DRF_CODES.items() if isinstance(exc, cls)), "error")
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return error_response(code, _("The request is not valid."), exc.status_code, _flatten(detail), headers)
    if isinstance(exc, exceptions.NotFound):
        return error_response(code, _("Not found."), exc.status_code, headers=headers)
    return error_response(code, str(exc.detail), exc.status_code, headers=headers)


# Input ---------------------------------------------------------------------------------------------
def _unreadable(value: Any, path: str = "") -> str | None:
    """The path of the first string PostgreSQL could not store (a NUL character, an unpaired surrogate)."""
    if isinstance(value, str):
        if "\x00" in value:
            return path or "body"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "body"
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = _unreadable(key, path) or _unreadable(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _unreadable(item, f"{path}[{index}]")
            if found:
                return found
    return None


class StrictJSONParser(JSONParser):
    """JSON whose every string can be stored: no NUL characters, no unpaired surrogates."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        where = _unreadable(data)
        if where:
            raise exceptions.ParseError(_("The text at %(where)s holds characters that cannot be stored.")
                                        % {"where": where})
        return data


class InputSerializer(serializers.Serializer):
    """Every request body and query: fields it does not know are refused, by name."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            known = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data.keys() if key not in known)
            if unknown:
                raise serializers.ValidationError({name: [_("This field is not known.")] for name in unknown})
        return super().to_internal_value(data)


class ModelOutput(serializers.ModelSerializer):
    """Model output with the API's date and date-time rendering."""

    # (Not in the docstring: the schema shows it.) The fields are built from the model once per class, then
    # copied for each serializer: DRF builds them from the model's metadata for every serializer made, about 1 ms
    # for an incident's 24 fields on each request. What it builds depends on the class and its Meta only.

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: fields.DateTimeField,
        models.DateField: fields.DateField,
    }

    def get_fields(self) -> dict[str, serializers.Field]:
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built
        return copy.deepcopy(built)


class Summary(serializers.Serializer):
    """A summary of a record, from the record or from a dict already in its shape (a selector's plain data)."""

    def to_representation(self, instance: Any) -> Any:
        if isinstance(instance, Mapping):
            return {name: instance[name] if instance[name] is None or isinstance(
                field, serializers.SerializerMethodField) else field.to_representation(instance[name])
                for name, field in self.fields.items()}
        return super().to_representation(instance)


class PersonOutput(Summary):
    """A user as shown to other users: id and display name, nothing else."""

    id = serializers.CharField(source="pk")
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        from ..adapter import get_adapter

        return get_adapter().display_name(user)


# Filters -------------------------------------------------------------------------------------------
class KeyFormField(forms.Field):
    """A primary key of ``model`` (the host's user model, say): its type checked, its existence not."""

    def __init__(self, *args: Any, model: Callable[[], type[models.Model]], **kwargs: Any) -> None:
        self.model = model
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        pk = self.model()._meta.pk
        try:
            key = pk.to_python(value)
        except DjangoValidationError:
            raise DjangoValidationError(_("Not a valid id."), code="invalid") from None
        if isinstance(key, int) and not 0 < key < 2**63:
            raise DjangoValidationError(_("Not a valid id."), code="invalid")
        return key


class BooleanFormField(forms.Field):
    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value: Any) -> bool | None:
        if value in self.empty_values:
            return None
        try:
            return self.VALUES[str(value).lower()]
        except KeyError:
            raise DjangoValidationError(_('Use "true" or "false".'), code="invalid") from None


class KeyFilter(django_filters.Filter):
    field_class = KeyFormField


class IntegerFilter(django_filters.Filter):
    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class BooleanFilter(django_filters.Filter):
    field_class = BooleanFormField


class DateTimeFilter(django_filters.Filter):
    field_class = fields.DateTimeFormField


class DateFilter(django_filters.Filter):
    field_class = fields.DateFormField


class TextFilter(django_filters.CharFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 300)
        super().__init__(*args, **kwargs)


class FilterSet(django_filters.FilterSet):
    """The base of every filterset: declared filters only (``Meta.fields`` stays empty), typed and bounded."""


# Pagination ----------------------------------------------------------------------------------------
class Pagination(PageNumberPagination):
    """``page`` (1 and up) and ``page_size`` (1-200, default 25). A page past the end is empty."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    max_page = 1_000_000

    def _number(self, request: Any, name: str, default: int, maximum: int) -> int:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if not 1 <= value <= maximum:
            raise InvalidInput(errors={name: [_("Give a whole number from 1 to %(maximum)s.") % {"maximum": maximum}]})
        return value

    def get_page_size(self, request: Any) -> int:
        return self._number(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list:
        self.request = request
        page_size = self.get_page_size(request)
        number = self._number(request, self.page_query_param, 1, self.max_page)
        paginator = self.django_paginator_class(queryset, page_size)
        if number > paginator.num_pages:
            self.page = Page([], number, paginator)
        else:
            self.page = paginator.page(number)
        return list(self.page)

    def get_previous_link(self) -> str | None:
        if self.page.number > self.page.paginator.num_pages:  # past the end: back to the last page
            from rest_framework.utils.urls import remove_query_param, replace_query_param

            last = self.page.paginator.num_pages
            url = self.request.build_absolute_uri()
            return remove_query_param(url, self.page_query_param) if last <= 1 else replace_query_param(
                url, self.page_query_param, last)
        return super().get_previous_link()

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {"name": self.page_query_param, "required": False, "in": "query",
             "description": "A page number (a page past the end is empty).",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page}},
            {"name": self.page_size_query_param, "required": False, "in": "query",
             "description": f"Results per page (default {self.page_size}).",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size}},
        ]


# Declaring an operation's query and its collection ---------------------------------------------------
def query(serializer: type[serializers.Serializer]) -> Callable:
    """The query parameters a handler takes, validated before it runs into ``view.query``."""

    def decorate(handler: Callable) -> Callable:
        handler.query_serializer = serializer
        return extend_schema(parameters=[serializer])(handler)

    return decorate


def collection(item: Any = None, *, query: type[serializers.Serializer] | None = None, **schema: Any) -> Callable:
    """A handler answering a page of ``item`` (see :class:`Pagination`); without ``item``, of the view's
    ``serializer_class``."""

    def decorate(handler: Callable) -> Callable:
        handler.collection = True
        if query is not None:
            handler.query_serializer = query
        kwargs = dict(schema)
        if item is not None:
            kwargs["responses"] = item(many=True) if isinstance(item, type) else item
        if query is not None:
            kwargs["parameters"] = [query, *kwargs.get("parameters", [])]
        return extend_schema(**kwargs)(handler) if kwargs else handler

    return decorate


def download(media_types: Callable[[], list[str]] | list[str], description: str) -> Callable:
    """A handler answering a file (200) of one of ``media_types`` (a list, or a function giving it when the
    schema is built), with its SHA-256 in ``X-Content-SHA256``."""

    def decorate(handler: Callable) -> Callable:
        handler.download_media_types = media_types
        handler.download_description = description
        return handler

    return decorate


# The access table, applied -------------------------------------------------------------------------
class TablePermission(BasePermission):
    """The row of ``api.access.ACCESS`` for this operation: a role outside it is refused before anything else
    runs. On a record the caller may not see (or one that does not exist) the answer is 404 ``not_found``."""

    def has_permission(self, request: Any, view: Any) -> bool:
        access = view.access()
        if roles_for(request.user) & access.allowed_roles():
            return True
        if view.kwargs:  # a record in the path: may they see it? (404 if not, as for a missing one)
            view.get_object()
        error = Forbidden(access.message, code=access.refused)
        if access.logs_refusal:
            view.log_refusal(request, access)
            error.keep_writes = True
        raise error


class SafetyAPIMixin:
    """Mixed into every view of the package. Per-object rules live in selectors and services."""

    permission_classes = [IsAuthenticated, TablePermission]
    pagination_class = Pagination
    #: Any path segment reaches the view, which answers a malformed id as it answers a missing one (JSON 404).
    lookup_value_regex = "[^/]+"
    schema = SafetyAutoSchema()
    parser_classes = [StrictJSONParser]
    #: No OPTIONS: the schema describes every operation (a CORS pre-flight is the host's middleware's to answer).
    http_method_names = ["get", "post", "put", "patch", "delete", "head"]
    #: The access table's name for this view (defaults to the router's basename).
    access_name: str = ""
    query: dict[str, Any]

    def get_exception_handler(self) -> Callable:  # noqa: D102 - DRF hook
        return exception_handler

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        """Answer in the language of ``Accept-Language`` (English or Welsh), whatever the host's middleware:
        messages, errors and task titles are rendered inside it, and the response says which in
        ``Content-Language`` (and ``Vary: Accept-Language``)."""
        language = api_language(request)
        with translation.override(language):
            response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
            if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
                response.render()  # lazy texts become words in this language, not the host's
        return with_language(response, language)

    # The operation -----------------------------------------------------------------------------------
    def access(self) -> Access:
        return access_for(operation_key(self, self.request.method))

    def handler(self) -> Callable | None:
        action = getattr(self, "action", None) or self.request.method.lower()
        return getattr(self, action, None)

    def is_collection(self) -> bool:
        return bool(getattr(self.handler(), "collection", False))

    def query_serializer(self) -> type[serializers.Serializer] | None:
        return getattr(self.handler(), "query_serializer", None)

    def filterset(self) -> Any:
        """The filterset of the view's own list (a viewset's ``list``, a plain view's ``get``), if any."""
        if not self.is_collection() or getattr(self, "action", None) not in (None, "list"):
            return None
        return getattr(self, "filterset_class", None)

    def filter_queryset(self, queryset: Any) -> Any:
        """The view's filter backends; a filterset none of whose parameters was given filters nothing, so it is
        not built (django-filter builds and validates its form on every request: 1-2 ms a list)."""
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is None or set(filterset_class.base_filters) & set(self.request.query_params):
            return super().filter_queryset(queryset)  # type: ignore[misc]
        for backend in self.filter_backends:  # type: ignore[attr-defined]
            if not issubclass(backend, django_filters.rest_framework.DjangoFilterBackend):
                queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    def query_parameter_names(self) -> set[str]:
        """Exactly the query parameters the schema declares for this operation."""
        names: set[str] = set()
        query_serializer = self.query_serializer()
        if query_serializer is not None:
            names |= set(query_serializer().fields)
        if self.is_collection():
            names |= {Pagination.page_query_param, Pagination.page_size_query_param}
            filterset = self.filterset()
            if filterset is not None:
                names |= set(filterset.base_filters)
        return names

    def text_parameters(self) -> set[str]:
        """The query parameters for which an empty value is a value (free text that may be blank)."""
        names: set[str] = set()
        query_serializer = self.query_serializer()
        if query_serializer is not None:
            names |= {name for name, field in query_serializer().fields.items()
                      if isinstance(field, serializers.CharField) and field.allow_blank}
        return names

    def log_refusal(self, request: Any, access: Access) -> None:
        """Record a refused call in the access log (operations whose row says ``logs_refusal``)."""
        from ..services.audit import access_log_record

        access_log_record(actor=request.user, action="refused", object_type=operation_key(self, request.method),
                          result="refused", request=request)

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        if request.method.lower() not in self.http_method_names or self.handler() is None:
            raise exceptions.MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)  # type: ignore[misc]  # authentication, the table, throttles
        self.check_query_parameters(request)

    def check_query_parameters(self, request: Any) -> None:
        params = request.query_params
        unknown = sorted(set(params) - self.query_parameter_names())
        if unknown:
            raise InvalidInput(_("Unknown query parameters: %(names)s.") % {"names": ", ".join(unknown)},
                               code="unknown_parameters",
                               errors={name: [_("This parameter is not known.")] for name in unknown})
        bad = sorted(name for name in params for value in params.getlist(name) if "\x00" in value)
        if bad:
            raise InvalidInput(errors={name: [_("This holds characters that cannot be stored.")] for name in bad})
        blank = sorted(name for name in params if "" in params.getlist(name) and name not in self.text_parameters())
        if blank:  # an empty value is not "no filter": it is a typo the caller should hear about
            raise InvalidInput(errors={name: [_("Give a value, or leave the parameter out.")] for name in blank})
        self.query = {}
        query_serializer = self.query_serializer()
        if query_serializer is not None:
            own = params.copy()
            for name in set(own) - set(query_serializer().fields):  # page, page_size: the paginator's
                del own[name]
            data = query_serializer(data=own)
            data.is_valid(raise_exception=True)
            self.query = dict(data.validated_data)


class VisiblePKField(serializers.PrimaryKeyRelatedField):
    """A primary key chosen among the records the caller may see (``selector(user)``).

    ``queryset`` (the whole model) only tells the schema the key's type; lookups use the selector, so a record
    the caller may not see is refused exactly as one that does not exist.
    """

    def __init__(self, selector: Callable[[Any], Any], **kwargs: Any) -> None:
        self.selector = selector
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        return self.selector(self.context["request"].user)

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except DjangoValidationError:
            self.fail("does_not_exist", pk_value=data)


def with_language(response: Any, language: str) -> Any:
    response["Content-Language"] = content_language(language)
    patch_vary_headers(response, ["Accept-Language"])
    return response


def not_found(request: Any, *args: Any, **kwargs: Any) -> Any:
    """Any other path under the API: the same JSON 404 as a record that does not exist."""
    from django.http import JsonResponse

    language = api_language(request)
    with translation.override(language):
        response = JsonResponse({"code": "not_found", "message": str(_("Not found."))}, status=404)
    return with_language(response, language)
