"""Hostile text cannot make WeasyPrint read a local file, reach the network or run anything."""

from __future__ import annotations

import io
import os
import re
import tempfile

import pytest
from django.utils import timezone

from safety_workflow.models import Bundle

from .bundles_helpers import add_evidence, image_bytes, injunction_case, page_texts

pytest.importorskip("weasyprint")
from pypdf import PdfReader  # noqa: E402

SECRET = "TOPSECRET-7f3a9c-do-not-leak"


@pytest.fixture
def secret_file():
    handle = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    handle.write(f"{SECRET}\n")
    handle.close()
    png = tempfile.NamedTemporaryFile(suffix=".png", delete=False)
    png.write(image_bytes(50, 50, colour="#ff0000"))
    png.close()
    yield handle.name, png.name
    os.unlink(handle.name)
    os.unlink(png.name)


def hostile(path: str, png: str, other_evidence: str) -> str:
    return (
        f'<img src="file://{png}"> <img src="file://{path}"> <link rel="stylesheet" href="file://{path}">'
        f'<link rel="attachment" href="file://{path}"> <a rel="attachment" href="file://{path}">x</a>'
        f'<iframe src="file://{path}"></iframe> <object data="file://{path}"></object> <embed src="file://{path}">'
        f'<style>body {{ background: url("file://{png}") }} @import url("file://{path}");</style>'
        f'<div style="background-image: url(file://{png})">css</div> <img src="http://127.0.0.1:9/x.png">'
        f'<img src="data:image/png;base64,iVBORw0KGgo="> <svg><image href="file://{png}"/></svg>'
        f'<img src="sw-evidence:{other_evidence}"> <script>alert(1)</script>'
    )


@pytest.mark.django_db
def test_hostile_incident_text_is_printed_as_text_and_reads_nothing(people, decision_table, client_for,
                                                                    django_capture_on_commit_callbacks,
                                                                    secret_file):
    path, png = secret_file
    # Evidence of another case: its id in an account must not pull it into this bundle.
    other_case = injunction_case(people, decision_table, count=1)
    other = add_evidence(other_case.incidents.get(), name="other.png", content=image_bytes(40, 40),
                         content_type="image/png", uploaded_by=people.members)
    case = injunction_case(people, decision_table, count=1, start=timezone.now())
    incident = case.incidents.get()
    incident.account = hostile(path, png, str(other.pk))
    incident.words_used = f"</div></section><img src='file://{path}'>"
    incident.location = f'"><link href="file://{path}">'
    incident.save()
    client = client_for(people.legal)
    with django_capture_on_commit_callbacks(execute=True):
        bundle_id = client.post("/api/safety/bundles/", {"kind": "injunction", "scope": {"case": case.pk}},
                                format="json").json()["id"]
    bundle = Bundle.objects.get(pk=bundle_id)
    assert bundle.status == Bundle.Status.READY, bundle.error
    response = client.get(f"/api/safety/bundles/{bundle_id}/download/")
    data = b"".join(response.streaming_content)
    reader = PdfReader(io.BytesIO(data))
    text = re.sub(r"\s+", " ", "\n".join(page_texts(reader)))

    # The markup is escaped: it appears as the words the reporter typed.
    assert f'<img src="file://{path}">' in text
    assert "<script>alert(1)</script>" in text
    # Nothing was read: no secret text, no image at all, no attachment, no JavaScript.
    assert SECRET not in text and SECRET.encode() not in data
    assert b"/EmbeddedFiles" not in data and b"/JavaScript" not in data and b"/JS" not in data
    for page in reader.pages:
        xobjects = page.get("/Resources", {}).get("/XObject", {}) or {}
        assert not any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())
    # Escaping meant the fetcher was never even asked.
    assert not any(e["event"] == "fetch_refused" for e in bundle.log)


@pytest.mark.django_db
def test_the_fetcher_refuses_everything_but_this_bundles_evidence(secret_file):
    """Defence in depth: even raw, unescaped HTML cannot make WeasyPrint fetch a file, a URL or data."""
    from safety_workflow.bundles.compose import Exhibit
    from safety_workflow.bundles.redact import Verbatim
    from safety_workflow.bundles.render import make_fetcher, render_pdf

    path, png = secret_file
    exhibit = Exhibit(evidence_id="0b0e8b8e-1c1f-4b5e-9d5e-2f4b3c2a1d0e", mark="X/1", number=1, witness="",
                      incident_reference="", description="", original_name="", content_type="image/png", size=0,
                      sha256=Verbatim(""), uploaded_at="", kind="image", path=png)
    fetcher = make_fetcher([exhibit])
    html = hostile(path, png, "11111111-2222-3333-4444-555555555555") + f'<p>{SECRET[:3]}</p>'
    with tempfile.TemporaryDirectory() as folder:
        target = os.path.join(folder, "raw.pdf")
        result = render_pdf(html, target, fetcher=fetcher)
        with open(target, "rb") as handle:
            data = handle.read()
    assert SECRET.encode() not in data and b"/EmbeddedFiles" not in data
    text = "\n".join(page_texts(PdfReader(io.BytesIO(data))))
    assert SECRET not in text
    refused = " ".join(result.refused)
    for scheme in ("file://", "http://127.0.0.1", "data:image/png", "sw-evidence:11111111"):
        assert scheme in refused, scheme
    assert fetcher.served == []  # the allowed exhibit was never referenced, so never read

    # And the one URL it serves: this bundle's own evidence, by id.
    served = make_fetcher([exhibit])
    response = served.fetch(f"sw-evidence:{exhibit.evidence_id}")
    assert response.read() == open(png, "rb").read()
    for url in (f"file://{path}", f"sw-evidence:{exhibit.evidence_id}/../../etc/passwd",
                f"SW-EVIDENCE:{exhibit.evidence_id}", f"sw-evidence:{exhibit.evidence_id}?x=1"):
        with pytest.raises(ValueError):
            served.fetch(url)
