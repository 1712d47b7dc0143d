"""The OpenAPI schema describes the subjects, reports and meetings operations, with no warning about them."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.core.management import call_command

OURS = ("api/subjects.py", "api/reports.py", "api/meetings.py", "SubjectViewSet", "ReportViewSet", "MeetingViewSet")


def test_schema_describes_the_pattern_endpoints(db, tmp_path: Path, capsys):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--file", str(out))
    warnings = [line for line in capsys.readouterr().err.splitlines() if any(name in line for name in OURS)]
    assert warnings == []
    paths = yaml.safe_load(out.read_text())["paths"]
    for path in ("/api/safety/subjects/", "/api/safety/subjects/{id}/conduct/", "/api/safety/subjects/suggestions/",
                 "/api/safety/reports/trends/", "/api/safety/reports/tasks/", "/api/safety/reports/referrals/",
                 "/api/safety/meetings/", "/api/safety/meetings/brief/", "/api/safety/meetings/{id}/brief/"):
        assert path in paths, path
    trends = paths["/api/safety/reports/trends/"]["get"]
    assert {p["name"] for p in trends["parameters"] if p["in"] == "query"} == {"from", "to"}
    tasks = paths["/api/safety/reports/tasks/"]["get"]
    assert {"page", "page_size", "overdue", "task"} <= {p["name"] for p in tasks["parameters"]}
