"""The OpenAPI schema describes every operation and body, with no warning from drf-spectacular."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.core.management import call_command

from safety_workflow.api.task_forms import TASK_FORMS


def test_schema_validates_without_warnings(db, tmp_path: Path, capsys):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    paths = schema["paths"]
    assert len([p for p in paths if p.startswith("/api/safety/")]) >= 50
    for path, operations in paths.items():
        if not path.startswith("/api/safety/"):
            continue
        for method, operation in operations.items():
            if method in ("post", "patch", "put") and not path.endswith(("/claim/", "/release/", "/retry/", "/ping/")):
                assert "requestBody" in operation, (method, path)
            assert "responses" in operation and operation["responses"], (method, path)
    # The task completion body is one of the node serializers.
    completion = paths["/api/safety/tasks/{id}/complete/"]["post"]["requestBody"]["content"]["application/json"]
    ref = completion["schema"]["$ref"].rsplit("/", 1)[-1]
    assert len(schema["components"]["schemas"][ref]["oneOf"]) == len({s for s, _ in TASK_FORMS.values()})
    names = set(schema["components"]["schemas"])
    assert {"LevelEnum", "ContactMethodEnum", "CaseStateEnum", "RegisterEntryStateEnum"} <= names
