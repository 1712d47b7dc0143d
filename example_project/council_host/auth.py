"""Tokens for the example host's API clients (django-rest-knox: only a SHA-512 digest of each token is stored).

A client signs in once with its user name and password (HTTP Basic, over HTTPS in production) and gets a
token; every later request sends ``Authorization: Token <token>``, which costs one indexed query and one
SHA-512, not a password hash. A council's own platform may use any DRF authentication instead.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.views import LoginView, LogoutAllView, LogoutView
from rest_framework import serializers
from rest_framework.authentication import BasicAuthentication

TOKEN = inline_serializer("AuthToken", {
    "token": serializers.CharField(help_text="Send as `Authorization: Token <token>`."),
    "expiry": serializers.DateTimeField(allow_null=True),
})


class TokenLoginView(LoginView):
    """POST with HTTP Basic credentials: a new token (the password is checked once, here only)."""

    authentication_classes = [BasicAuthentication]

    @extend_schema(request=None, responses={200: TOKEN, 401: OpenApiResponse(description="Wrong credentials.")},
                   tags=["auth"], summary="Get an API token (HTTP Basic)")
    def post(self, request, format=None):  # noqa: A002 - knox's signature
        return super().post(request, format)


class TokenLogoutView(LogoutView):
    @extend_schema(request=None, responses={204: None}, tags=["auth"], summary="Revoke this token")
    def post(self, request, format=None):  # noqa: A002
        return super().post(request, format)


class TokenLogoutAllView(LogoutAllView):
    @extend_schema(request=None, responses={204: None}, tags=["auth"], summary="Revoke every token of this user")
    def post(self, request, format=None):  # noqa: A002
        return super().post(request, format)
