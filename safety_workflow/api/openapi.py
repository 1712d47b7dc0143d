"""The OpenAPI schema of the package's views: drf-spectacular's AutoSchema with the API's contract rules.

Every view of the package uses it (``SafetyAPIMixin.schema``): hosts need no setting for it.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema


def _error_schema(codes: frozenset[str]) -> dict:
    return {
        "type": "object",
        "properties": {
            "code": {"type": "string", "enum": sorted(codes), "description": "Stable: add, never rename."},
            "message": {"type": "string", "description": "For people."},
            "errors": {"type": "object", "additionalProperties": {},
                       "description": "Field or parameter name -> what is wrong with it."},
        },
        "required": ["code", "message"],
    }


ERROR_NAMES = {400: "BadRequest", 401: "NotAuthenticated", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
               413: "TooLarge", 415: "UnsupportedMediaType", 429: "RateLimited", 503: "Unavailable"}
ERROR_DESCRIPTIONS = {
    400: "The request is not valid: a field, a query parameter or a header (unknown ones are named).",
    401: "No credentials, or wrong ones.",
    403: "Your role may not do this (or, where the API has no 401, you are not signed in).",
    404: "Not found, or not yours to see: the two answer alike.",
    409: "The record's state does not allow this now.",
    413: "Too large.",
    415: "The body is not of a type this operation takes.",
    429: "Too many requests; Retry-After says when to try again.",
    503: "Not available on this server.",
}


ACCEPT_LANGUAGE = {
    "in": "header", "name": "Accept-Language", "required": False, "schema": {"type": "string"},
    "description": "The language of the answer's messages, errors and task titles: Welsh (`cy`) or English "
                   "(`en`), the first of the header's ranges the API speaks (`cy`, `cy-GB`, `cy;q=0.9, en;q=0.8` "
                   "answer in Welsh); without one, or naming neither, the host's default (English unless it is "
                   "Welsh). Documents (bundles) take their own `language`.",
}
CONTENT_LANGUAGE = {"schema": {"type": "string", "enum": ["en-GB", "cy"]},
                    "description": "The language the answer's messages are in."}


class SafetyAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with the package's rules: collections are what the view says they are,
    request bodies refuse unknown fields, downloads give their real types, and every operation declares the
    errors it can give, worked out from ``api.access`` and from what the operation takes."""

    def get_operation(self, *args, **kwargs):
        """Every operation answers in the language of ``Accept-Language`` (English or Welsh) and says which in
        ``Content-Language`` (``api.base.SafetyAPIMixin.dispatch``)."""
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return operation
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("in") == "header" and p.get("name") == "Accept-Language" for p in parameters):
            parameters.append(ACCEPT_LANGUAGE)
        for response in operation.get("responses", {}).values():
            if isinstance(response, dict) and "$ref" not in response:
                response.setdefault("headers", {}).setdefault("Content-Language", CONTENT_LANGUAGE)
        return operation

    def _handler(self):
        view = self.view
        action = getattr(view, "action", None) or self.method.lower()
        return getattr(view, action, None)

    def _access(self):
        from .access import access_for, operation_key

        try:
            return access_for(operation_key(self.view, self.method))
        except Exception as exc:  # noqa: BLE001 - reported as a schema warning (fails --fail-on-warn)
            from drf_spectacular.drainage import warn

            warn(str(exc))
            return None

    def _is_list_view(self, serializer=None) -> bool:
        is_collection = getattr(self.view, "is_collection", None)
        if callable(is_collection) and getattr(self.view, "request", None) is not None:
            return bool(getattr(self._handler(), "collection", False))
        return super()._is_list_view(serializer)

    def _resolve_path_parameters(self, variables):
        """Any segment reaches the view (a malformed id is a 404 like a missing one), but the schema gives the
        key's real type: the model's primary key, or the view's ``path_parameter_types``."""
        from drf_spectacular.plumbing import build_basic_type, get_view_model
        from drf_spectacular.types import OpenApiTypes

        parameters = super()._resolve_path_parameters(variables)
        declared = getattr(self.view, "path_parameter_types", {})
        for parameter in parameters:
            kind = declared.get(parameter["name"])
            if kind is None and parameter["name"] in ("id", "pk"):
                model = get_view_model(self.view)
                if model is not None:
                    pk = model._meta.pk
                    while pk.is_relation:  # a multi-table child (a case is a viewflow process)
                        pk = pk.target_field
                    kind = OpenApiTypes.UUID if pk.get_internal_type() == "UUIDField" else (
                        OpenApiTypes.INT if pk.get_internal_type().endswith("AutoField") else OpenApiTypes.STR)
            if kind is not None:
                parameter["schema"] = build_basic_type(kind)
        return parameters

    def get_filter_backends(self):
        filterset = getattr(self.view, "filterset", None)
        if callable(filterset):
            return getattr(self.view, "filter_backends", []) if filterset() is not None else []
        return super().get_filter_backends()

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        from .base import InputSerializer

        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and isinstance(serializer, InputSerializer):
            schema["additionalProperties"] = False
        return schema

    def _get_response_bodies(self, direction="response"):
        handler = self._handler()
        media_types = getattr(handler, "download_media_types", None)
        if media_types is not None and direction == "response":
            types = media_types() if callable(media_types) else media_types
            responses = {"200": {
                "description": getattr(handler, "download_description", ""),
                "headers": {"X-Content-SHA256": {"schema": {"type": "string"},
                                                 "description": "The file's SHA-256 (hex)."}},
                "content": {media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in types},
            }}
        else:
            responses = super()._get_response_bodies(direction)
        if direction == "response":
            for status_code, response in self._error_responses().items():
                responses.setdefault(status_code, response)
        return responses

    def _has_request_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None

    def error_statuses(self) -> list[int]:
        from .access import NOT_FOUND

        statuses = {400, 403}
        request = getattr(self.view, "request", None)
        authenticators = self.view.get_authenticators() if hasattr(self.view, "get_authenticators") else []
        if authenticators and request is not None and authenticators[0].authenticate_header(request):
            statuses.add(401)
        if "{" in self.path:
            statuses.add(NOT_FOUND)
        if self._has_request_body():
            statuses.add(415)
        access = self._access()
        if access is not None:
            statuses |= set(access.errors)
        if getattr(self.view, "throttle_classes", None):
            statuses.add(429)
        return sorted(statuses)

    def _error_responses(self) -> dict:
        from drf_spectacular.plumbing import ResolvedComponent

        from ..errors import ERROR_CODES

        responses = {}
        for status_code in self.error_statuses():
            name = f"{ERROR_NAMES[status_code]}Error"
            component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name,
                                          schema=_error_schema(ERROR_CODES[status_code]))
            self.registry.register_on_missing(component)
            response = {"description": ERROR_DESCRIPTIONS[status_code],
                        "content": {"application/json": {"schema": component.ref}}}
            if status_code == 401:
                response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True,
                                                            "description": "How to authenticate."}}
            if status_code == 429:
                response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "required": True,
                                                       "description": "Seconds to wait."}}
            responses[str(status_code)] = response
        return responses
