"""Output serializers shared by several resources."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..adapter import get_adapter


class PersonOutput(serializers.Serializer):
    """A user as shown to other users: id and display name, nothing else."""

    id = serializers.CharField(source="pk")
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return get_adapter().display_name(user)


class CaseRefOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    reference = serializers.CharField()
    state = serializers.CharField()
    level = serializers.CharField()
    route = serializers.CharField()
