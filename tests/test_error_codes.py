"""The error codes agree three ways: every code the package can answer with is in ``errors.ERROR_CODES`` (which the
OpenAPI schema declares) under its status, and in docs/api.md's error table; and every registered or documented code
can happen. The codes are read from the source (a code that can be raised is written as a literal ``code="..."``,
a class default, a framework mapping, or a refusal code of the access table)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import safety_workflow
from safety_workflow import errors
from safety_workflow.api.access import ACCESS
from safety_workflow.api.base import DRF_CODES

PACKAGE = Path(safety_workflow.__file__).resolve().parent
DOCS = (PACKAGE.parent / "docs" / "api.md").read_text()

#: The error classes and the status each answers with (``errors.py``, and the PDF switch in services/bundles).
ERROR_STATUSES = {
    name: cls.status_code for name, cls in vars(errors).items()
    if isinstance(cls, type) and issubclass(cls, errors.SafetyWorkflowError)
}
#: Helpers that pass a literal code on to an error class (the access table's refusal: its codes are added below).
PASS_THROUGH = {"_require_role": 403, "has_permission": 403}
#: Field validation errors: their codes name the field's problem inside a 400 ``invalid`` answer.
FIELD_ERRORS = {"ValidationError", "DjangoValidationError"}
#: Modules the API never reaches: their errors are shown by the admin as messages, not answered as JSON.
NOT_API = {"admin", "services/decision_tables.py"}


def _api_reachable(path: Path) -> bool:
    relative = path.relative_to(PACKAGE).as_posix()
    return not any(relative == n or relative.startswith(f"{n}/") for n in NOT_API)


def test_the_modules_left_out_are_not_used_by_the_api():
    for path in PACKAGE.rglob("*.py"):
        if _api_reachable(path) and "migrations" not in path.parts:
            assert "decision_tables import" not in path.read_text(), path


def _status_of(call: ast.Call, classes: dict[str, int]) -> int | None:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return classes.get(name, PASS_THROUGH.get(name))


def codes_in_source() -> dict[str, set[int]]:
    """code -> the statuses it is raised with, from every module of the package."""
    found: dict[str, set[int]] = defaultdict(set)
    classes = dict(ERROR_STATUSES)
    defaults = {name: cls.code for name, cls in vars(errors).items()
                if isinstance(cls, type) and issubclass(cls, errors.SafetyWorkflowError)}
    trees = {path: ast.parse(path.read_text()) for path in PACKAGE.rglob("*.py")
             if "migrations" not in path.parts and _api_reachable(path)}
    # Error classes defined elsewhere (e.g. services/bundles.PDFExportOff) and their default codes.
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                attrs = {t.id: s.value.value for s in node.body if isinstance(s, ast.Assign)
                         for t in s.targets if isinstance(t, ast.Name) and isinstance(s.value, ast.Constant)}
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                if "code" in attrs and (bases & set(ERROR_STATUSES) or node.name in ERROR_STATUSES):
                    status = attrs.get("status_code") or next(ERROR_STATUSES[b] for b in bases & set(ERROR_STATUSES))
                    classes[node.name] = status
                    defaults[node.name] = attrs["code"]
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            status = _status_of(node, classes)
            name = node.func.id if isinstance(node.func, ast.Name) else ""
            if name in defaults and not any(k.arg == "code" for k in node.keywords):
                found[defaults[name]].add(classes[name])  # raised with its class's own code
            if name in FIELD_ERRORS or getattr(node.func, "attr", "") in FIELD_ERRORS:
                continue  # a field's own error: the API answers it as 400 ``invalid`` with the field named
            for keyword in node.keywords:
                if keyword.arg != "code":
                    continue
                assert isinstance(keyword.value, ast.Constant) or _is_pass_through(tree, node), (
                    f"{path}:{node.lineno}: give the error code as a literal so it can be checked against the docs")
                if isinstance(keyword.value, ast.Constant):
                    assert status is not None, f"{path}:{node.lineno}: code={keyword.value.value!r} on an unknown call"
                    found[keyword.value.value].add(status)
            if isinstance(node.func, ast.Name) and node.func.id == "error_response" and isinstance(
                    node.args[0], ast.Constant):  # the others pass on an exception's own code
                status_arg = node.args[2]
                if isinstance(status_arg, ast.Constant):
                    status_value = status_arg.value
                else:  # status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
                    status_value = int(re.match(r"HTTP_(\d{3})_", status_arg.attr).group(1))
                found[node.args[0].value].add(status_value)
    for exc, code in DRF_CODES.items():
        found[code].add(exc.status_code)
    for access in ACCESS.values():
        found[access.refused].add(403)
    # A host's own DRF exception outside the mapped ones (e.g. from its authentication) keeps its status.
    found["error"].add(0)
    return found


def _is_pass_through(tree: ast.AST, call: ast.Call) -> bool:
    """``Forbidden(message, code=code)`` inside a helper listed in PASS_THROUGH."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in PASS_THROUGH and call in list(ast.walk(node)):
            return True
    return False


def codes_in_docs() -> dict[str, set[int]]:
    table = DOCS[DOCS.index("## Errors"):]
    documented: dict[str, set[int]] = defaultdict(set)
    for line in table.splitlines():
        match = re.match(r"^\| ([0-9/ a-z]+?) \| (.+) \|$", line)
        if not match or match.group(1) == "status":
            continue
        statuses = {int(s) for s in re.findall(r"\d{3}", match.group(1))} or {0}
        for code in re.findall(r"`([a-z_]+)`", match.group(2)):
            documented[code] |= statuses
    return documented


def test_every_code_the_package_raises_is_documented_under_its_status():
    source, docs = codes_in_source(), codes_in_docs()
    missing = sorted(set(source) - set(docs))
    assert not missing, f"raised but not in docs/api.md: {missing}"
    wrong = {code: (sorted(statuses), sorted(docs[code])) for code, statuses in source.items()
             if not statuses <= docs[code] and statuses != {0}}
    # 401 and 403 share a row; a 400 ValidationError code shares the 400 row.
    assert not wrong, f"documented under another status: {wrong}"


def test_every_documented_code_can_happen():
    unused = sorted(set(codes_in_docs()) - set(codes_in_source()))
    assert not unused, f"in docs/api.md but never raised: {unused}"


def _registered() -> dict[str, set[int]]:
    registered: dict[str, set[int]] = defaultdict(set)
    for status, codes in errors.ERROR_CODES.items():
        for code in codes:
            registered[code].add(status)
    return registered


def test_every_code_the_package_raises_is_in_the_registry_under_its_status():
    """The registry is what the schema declares: a code missing from it would be an undeclared answer."""
    registered = _registered()
    missing = {code: sorted(statuses - registered[code]) for code, statuses in codes_in_source().items()
               if statuses - registered[code] - {0}}
    assert not missing, f"raised but not in errors.ERROR_CODES under that status: {missing}"


def test_every_registered_code_can_happen():
    unused = sorted(set(_registered()) - set(codes_in_source()))
    assert not unused, f"in errors.ERROR_CODES but never raised: {unused}"
