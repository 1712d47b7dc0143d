"""Welsh (issue 16): the catalogue, the API's language from Accept-Language, documents in a person's or a request's
language, bilingual documents Welsh first, notices in the council's notice language.

- The ``cy`` catalogue: every msgid translated and not fuzzy, every placeholder kept, the compiled ``.mo`` the same
  as the ``.po``, and every string marked in the package in it (when gettext is installed to extract them).
- ``Accept-Language: cy`` through the HTTP API: error messages (the package's, DRF's, authentication's, an unknown
  path's) and task titles in Welsh, with ``Content-Language: cy``; without the header, English. No
  ``LocaleMiddleware`` is installed in the test settings: the package does it itself.
- A Welsh injunction bundle and a bilingual one built through the API (the PDF's text read with pypdf); a person's
  preferred language followed when the request does not say; advice templates in the person's language.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.utils import translation

from safety_workflow import i18n
from safety_workflow.flows import IncidentFlow, RegisterFlow
from safety_workflow.models import Bundle, ProtectedPerson

from .bundles_helpers import add_evidence, image_bytes, injunction_case
from .helpers import API, open_task, report

PACKAGE = Path(__file__).resolve().parent.parent / "safety_workflow"
CY_PO = PACKAGE / "locale" / "cy" / "LC_MESSAGES" / "django.po"
CY_MO = PACKAGE / "locale" / "cy" / "LC_MESSAGES" / "django.mo"

#: Every kind of placeholder the package's and DRF's messages use: %(name)s, %(name)r, %s, %d, {name}, {},
#: {code_point:X}. A translation must keep each one (and add none).
PLACEHOLDER = re.compile(r"%\([a-zA-Z_][a-zA-Z0-9_]*\)[srd]|%[sdr]|\{[a-zA-Z_0-9]*(?::[^{}]*)?\}")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


# The catalogue ---------------------------------------------------------------------------------------------------
def test_every_message_is_translated_into_welsh_and_not_fuzzy():
    po = polib.pofile(str(CY_PO))
    entries = [e for e in po if not e.obsolete]
    assert len(entries) > 900  # the package's own messages, its templates' and the DRF messages it answers with
    assert po.metadata["Language"] == "cy"
    assert po.metadata["Plural-Forms"].startswith("nplurals=4;")  # Welsh: 1, 2, 8 and 11, the rest
    untranslated = [e.msgid for e in entries if not e.translated()]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert untranslated == [] and fuzzy == []
    for entry in entries:
        forms = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        assert all(form.strip() for form in forms), entry.msgid


def test_every_placeholder_survives_translation():
    broken = []
    for entry in polib.pofile(str(CY_PO)):
        if entry.obsolete:
            continue
        if not entry.msgid_plural:
            if placeholders(entry.msgstr) != placeholders(entry.msgid):
                broken.append((entry.msgid, entry.msgstr))
            continue
        singular, plural = placeholders(entry.msgid), placeholders(entry.msgid_plural)
        for index, form in entry.msgstr_plural.items():
            found = placeholders(form)
            # Form 0 is for one (it may leave the number out, as the English singular does); the others carry the
            # plural's placeholders. None may bring in one the English does not have.
            wanted = singular if index == 0 else plural
            if not set(found) <= set(singular) | set(plural) or (index and found != wanted) or (
                    index == 0 and not set(singular) <= set(found)):
                broken.append((entry.msgid, form))
    assert broken == []


def test_the_placeholder_check_catches_a_lost_placeholder():
    assert placeholders("Give a whole number from 1 to %(maximum)s.") == ["%(maximum)s"]
    assert placeholders("Rhowch rif cyfan o 1 i.") != placeholders("Give a whole number from 1 to %(maximum)s.")
    assert placeholders('Method "{method}" not allowed.') == ["{method}"]
    assert placeholders("Surrogate characters are not allowed: U+{code_point:X}.") == ["{code_point:X}"]
    assert placeholders("Give a year from {} to {}.") == ["{}", "{}"]


def test_the_compiled_catalogue_is_the_committed_one():
    """Runtime reads the .mo (a server never needs gettext): it must say what the .po says."""
    po = {(e.msgctxt, e.msgid): e for e in polib.pofile(str(CY_PO)) if not e.obsolete}
    mo = {(e.msgctxt, e.msgid): e for e in polib.mofile(str(CY_MO)) if e.msgid}
    assert set(po) == set(mo)
    for key, entry in po.items():
        compiled = mo[key]
        if entry.msgid_plural:
            assert compiled.msgstr_plural == entry.msgstr_plural, key
        else:
            assert compiled.msgstr == entry.msgstr, key


@pytest.mark.skipif(not shutil.which("xgettext"), reason="gettext is not installed (only `make messages` needs it)")
def test_the_catalogue_has_every_string_marked_in_the_package(tmp_path):
    """``makemessages`` on a copy of the package finds no msgid that the committed catalogue lacks."""
    copy = tmp_path / "safety_workflow"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.rmtree(copy / "locale")
    (copy / "locale").mkdir()
    subprocess.run(
        [sys.executable, "-P", "-c", "import django; from django.conf import settings; "
         "settings.configure(USE_I18N=True); django.setup(); from django.core.management import call_command; "
         "call_command('makemessages', locale=['cy'], verbosity=0, add_location='never')"],
        cwd=copy, check=True, capture_output=True)
    extracted = {(e.msgctxt, e.msgid) for e in polib.pofile(str(copy / "locale/cy/LC_MESSAGES/django.po"))}
    committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(CY_PO)) if not e.obsolete}
    assert extracted - committed == set(), "run `make messages` and translate the new strings"
    assert committed - extracted == set(), "run `make messages`: the catalogue holds strings no longer marked"


def test_the_councils_own_terms_are_used():
    welsh = {e.msgid: e.msgstr for e in polib.pofile(str(CY_PO)) if not e.msgid_plural}
    assert welsh["Councillor"] == "Cynghorydd"
    assert welsh["Monitoring officer"] == "Swyddog Monitro"
    assert welsh["Potentially Violent Persons Register"] == "Cofrestr Unigolion a allai fod yn Dreisgar"
    assert "y Gofrestr Unigolion a allai fod yn Dreisgar" in welsh[
        "Propose an entry on the Potentially Violent Persons Register, or record why not."]
    held = welsh["Legal holds are placed, reviewed and released by the monitoring officer or legal."]
    assert "Swyddog Monitro" in held


def test_every_task_title_is_welsh():
    from safety_workflow.flows.base import HumanTask

    titled = 0
    for flow in (IncidentFlow, RegisterFlow):
        for node in flow.instance.nodes():
            if not isinstance(node, HumanTask):  # gateways and joins are not shown to anyone
                continue
            titled += 1
            title = node.task_title
            with translation.override("en"):
                english = str(title)
            with translation.override("cy"):
                welsh = str(title)
            assert welsh != english, (flow.__name__, node.name, english)
    assert titled >= 12


# Accept-Language -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("header, language", [
    ("cy", "cy"), ("cy-GB", "cy"), ("CY", "cy"), ("cy;q=0.9, en;q=0.8", "cy"), ("en;q=0.8, cy;q=0.9", "cy"),
    ("en-GB,en;q=0.9", "en"), ("fr-FR, cy;q=0.5", "cy"), ("fr, de", "en"), ("", "en"), ("*", "en"),
    ("cy;q=0", "en"), ("cy;q=banana, en", "en"), ("\u00e9\u00e9;;;,,", "en"), ("x" * 500, "en"),
])
def test_the_api_language_comes_from_accept_language(rf, header, language):
    request = rf.get("/", HTTP_ACCEPT_LANGUAGE=header)
    assert i18n.api_language(request) == language


@pytest.mark.parametrize("host, header, language", [
    ("cy", "", "cy"), ("cy", "fr", "cy"), ("cy", "en", "en"), ("en-gb", "", "en"), ("fr", "", "en"),
])
def test_without_a_language_it_speaks_the_api_answers_in_the_hosts(rf, host, header, language):
    with override_settings(LANGUAGE_CODE=host):
        assert i18n.api_language(rf.get("/", HTTP_ACCEPT_LANGUAGE=header)) == language


@pytest.mark.django_db
def test_accept_language_cy_gives_welsh_errors_through_the_api(people, client_for, decision_table):
    from rest_framework.test import APIClient

    client = client_for(people.councillor)

    def welsh(response, status):
        assert response.status_code == status, response.content
        assert response["Content-Language"] == "cy"
        assert "Accept-Language" in response["Vary"]
        return response.json()

    # The package's own messages: a validation error, a refusal, a missing record, an unknown parameter.
    body = welsh(client.post(f"{API}/incidents/", {"channel": "email", "account": "Shouted at me.",
                                                   "occurred_at": "2099-01-01T10:00:00Z"},
                             format="json", HTTP_ACCEPT_LANGUAGE="cy"), 400)
    assert (body["message"], body["errors"]) == ("Nid yw’r cais yn ddilys.", {"occurred_at": ["Mae hyn yn y dyfodol."]})
    body = welsh(client.get(f"{API}/register/entries/", HTTP_ACCEPT_LANGUAGE="cy"), 400)
    assert (body["code"], body["message"]) == ("purpose_required",
                                               "Dywedwch pam rydych yn darllen y gofrestr: rhowch ddiben.")
    body = welsh(client_for(people.frontline).get(f"{API}/cases/", HTTP_ACCEPT_LANGUAGE="cy"), 403)
    assert body["message"] == "Ni chaiff eich rôl wneud hyn."
    body = welsh(client.get(f"{API}/cases/999999/", HTTP_ACCEPT_LANGUAGE="cy"), 404)
    assert (body["code"], body["message"]) == ("not_found", "Heb ei ganfod.")
    body = welsh(client.get(f"{API}/incidents/", {"colour": "blue"}, HTTP_ACCEPT_LANGUAGE="cy"), 400)
    assert (body["code"], body["message"]) == ("unknown_parameters", "Paramedrau ymholiad anhysbys: colour.")
    assert body["errors"] == {"colour": ["Nid yw’r paramedr hwn yn hysbys."]}
    # DRF's own field messages (DRF ships no Welsh: the package's catalogue carries them).
    body = welsh(client.post(f"{API}/incidents/", {}, format="json", HTTP_ACCEPT_LANGUAGE="cy"), 400)
    assert body["errors"]["account"] == ["Mae angen y maes hwn."]
    body = welsh(client.post(f"{API}/incidents/", {"channel": "carrier pigeon"}, format="json",
                             HTTP_ACCEPT_LANGUAGE="cy"), 400)
    assert body["errors"]["channel"] == ['Nid yw "carrier pigeon" yn ddewis dilys.']
    # Dates, the package's own parsing.
    body = welsh(client.post(f"{API}/incidents/", {"occurred_at": "last Tuesday"}, format="json",
                             HTTP_ACCEPT_LANGUAGE="cy"), 400)
    assert body["errors"]["occurred_at"][0].startswith("Rhowch ddyddiad ac amser ar ffurf ")
    # Not signed in (authentication's message), and a path the API does not have.
    body = welsh(APIClient().get(f"{API}/cases/", HTTP_ACCEPT_LANGUAGE="cy"), 401)
    assert body["message"] == "Ni roddwyd manylion dilysu."
    body = welsh(client.get(f"{API}/no-such-thing/", HTTP_ACCEPT_LANGUAGE="cy"), 404)
    assert body["message"] == "Heb ei ganfod."
    # A malformed body.
    body = welsh(client.post(f"{API}/incidents/", data="{not json", content_type="application/json",
                             HTTP_ACCEPT_LANGUAGE="cy"), 400)
    assert body["code"] == "malformed_request" and body["message"] != "JSON parse error"

    # Without the header (or naming a language the API does not speak): English, as before.
    for headers in ({}, {"HTTP_ACCEPT_LANGUAGE": "fr"}):
        response = client.get(f"{API}/cases/999999/", **headers)
        assert response.json()["message"] == "Not found." and response["Content-Language"] == "en-GB"
    # The language is the request's: it does not leak into the next one.
    assert translation.get_language() in ("en-gb", "en", None)


@pytest.mark.django_db
def test_accept_language_cy_gives_welsh_task_titles_and_labels(people, client_for, decision_table):
    reported = report(client_for(people.councillor))
    members = client_for(people.members)
    task = open_task(members, reported["case"]["id"], "triage")
    assert task["title"] == "Triage the report"
    response = members.get(f"{API}/tasks/", {"case": reported["case"]["id"]}, HTTP_ACCEPT_LANGUAGE="cy")
    assert response["Content-Language"] == "cy"
    [welsh] = response.json()["results"]
    assert welsh["title"] == "Brysbennu’r adroddiad"
    detail = members.get(f"{API}/tasks/{task['id']}/", HTTP_ACCEPT_LANGUAGE="cy-GB,cy;q=0.9").json()
    assert detail["title"] == "Brysbennu’r adroddiad"
    # A refusal while working the task, in Welsh.
    refused = client_for(people.councillor).post(f"{API}/tasks/{task['id']}/complete/", {}, format="json",
                                                  HTTP_ACCEPT_LANGUAGE="cy")
    assert refused.status_code in (403, 404) and refused["Content-Language"] == "cy"
    assert refused.json()["message"] in ("Mae’r dasg hon ar gyfer rôl arall.", "Heb ei ganfod.",
                                         "Ni chaiff eich rôl wneud hyn.")


@pytest.mark.django_db
def test_the_schema_documents_the_language_headers(people, client_for):
    schema = client_for(people.members).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/safety/cases/"]["get"]
    [header] = [p for p in operation["parameters"] if p["in"] == "header" and p["name"] == "Accept-Language"]
    assert "cy" in header["description"]
    assert operation["responses"]["200"]["headers"]["Content-Language"]["schema"]["enum"] == ["en-GB", "cy"]
    bundle = schema["components"]["schemas"]["BundleRequestInputRequest"]["properties"]["language"]
    assert "bilingual" in str(bundle) or "$ref" in str(bundle) or "allOf" in bundle


# Documents -------------------------------------------------------------------------------------------------------
def _pdf_text(client, bundle_id) -> str:
    from pypdf import PdfReader

    download = client.get(f"{API}/bundles/{bundle_id}/download/")
    assert download.status_code == 200
    reader = PdfReader(io.BytesIO(b"".join(download.streaming_content)))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _request(client, capture, **body):
    with capture(execute=True):
        response = client.post(f"{API}/bundles/", body, format="json")
    assert response.status_code == 202, response.content
    bundle = client.get(f"{API}/bundles/{response.json()['id']}/").json()
    assert bundle["status"] == "ready", bundle
    return bundle


@pytest.fixture
def injunction(people, decision_table):
    case = injunction_case(people, decision_table, count=2)
    incident = case.incidents.order_by("occurred_at").first()
    add_evidence(incident, name="screenshot.png", content=image_bytes(400, 300), content_type="image/png",
                 uploaded_by=people.councillor, description="a screenshot of the post")
    return case


@pytest.mark.django_db
def test_a_welsh_injunction_bundle_is_built_through_the_api(people, client_for, injunction,
                                                            django_capture_on_commit_callbacks):
    pytest.importorskip("weasyprint")
    client = client_for(people.legal)
    bundle = _request(client, django_capture_on_commit_callbacks, kind="injunction", scope={"case": injunction.pk},
                      language="cy", purpose="Gwrandawiad")
    assert bundle["language"] == "cy"
    text = _pdf_text(client, bundle["id"])
    for welsh in ("Bwndel y gwrandawiad", "Hawlydd", "Diffynnydd", "Mynegai", "Cronoleg y digwyddiadau",
                  "Datganiad tyst drafft", "Datganiad gwirionedd", "Credaf fod y ffeithiau a nodir yn y datganiad tyst",
                  "Cofnod digwyddiad", "Arddangosyn", "Tudalen 1 o "):
        assert welsh in text, welsh
    for english in ("Hearing bundle", "Chronology of incidents", "Statement of truth", "Witness statement of",
                    "Page 1 of "):
        assert english not in text, english
    assert "2 ddigwyddiad;" in text  # Welsh plural forms (two: the dual's mutation)
    # The same bundle in English, for comparison: the words are the package's, not the records'.
    english = _request(client, django_capture_on_commit_callbacks, kind="injunction",
                       scope={"case": injunction.pk}, language="en")
    assert "Chronology of incidents" in _pdf_text(client, english["id"])


@pytest.mark.django_db
def test_a_bilingual_bundle_is_welsh_first_with_the_exhibits_once(people, client_for, injunction,
                                                                   django_capture_on_commit_callbacks):
    pytest.importorskip("weasyprint")
    client = client_for(people.legal)
    bundle = _request(client, django_capture_on_commit_callbacks, kind="injunction", scope={"case": injunction.pk},
                      language="bilingual")
    assert bundle["language"] == "bilingual"
    text = _pdf_text(client, bundle["id"])
    for welsh, english in (("Cronoleg y digwyddiadau", "Chronology of incidents"),
                           ("Datganiad gwirionedd", "Statement of truth"), ("Mynegai", "Index")):
        assert welsh in text and english in text
        assert text.index(welsh) < text.index(english), (welsh, english)
    assert "Tudalen 1 o " in text and "/ Page 1 of " in text  # the stamp says both, Welsh first
    # The exhibit appears once, with a slip in both languages.
    assert text.count("a screenshot of the post ·") == 2  # the slip's Welsh line and its English line
    assert "Arddangosyn CA/1 / Exhibit CA/1" in text or re.search(r"Arddangosyn \S+ / Exhibit \S+", text)
    only_english = _request(client, django_capture_on_commit_callbacks, kind="injunction",
                            scope={"case": injunction.pk}, language="en")
    assert bundle["page_count"] > only_english["page_count"]


@pytest.mark.django_db
def test_a_bundle_follows_the_language_of_the_person_it_is_for(people, client_for, injunction,
                                                               django_capture_on_commit_callbacks):
    client = client_for(people.legal)
    harmed = ProtectedPerson.objects.get(user=people.councillor)
    members = client_for(people.members)
    changed = members.patch(f"{API}/protected-persons/{harmed.pk}/", {"language": "cy"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["language"] == "cy"
    pytest.importorskip("weasyprint")
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(f"{API}/bundles/", {"kind": "injunction", "scope": {"case": injunction.pk}},
                               format="json")
    assert response.status_code == 202, response.content
    assert response.json()["language"] == "cy"  # her preference, not the requester's Accept-Language
    # The request's own choice wins, and the council's default applies when nobody says.
    with django_capture_on_commit_callbacks(execute=False):
        asked = client.post(f"{API}/bundles/", {"kind": "injunction", "scope": {"case": injunction.pk},
                                                "language": "en"}, format="json")
    assert asked.json()["language"] == "en"
    harmed.language = ""
    harmed.save()
    with override_settings(SAFETY_WORKFLOW={**settings.SAFETY_WORKFLOW, "DOCUMENT_LANGUAGE": "bilingual"}):
        with django_capture_on_commit_callbacks(execute=False):
            default = client.post(f"{API}/bundles/", {"kind": "injunction", "scope": {"case": injunction.pk}},
                                  format="json")
    assert default.json()["language"] == "bilingual"
    refused = client.post(f"{API}/bundles/", {"kind": "injunction", "scope": {"case": injunction.pk},
                                              "language": "fr"}, format="json", HTTP_ACCEPT_LANGUAGE="cy")
    assert refused.status_code == 400 and refused.json()["errors"]["language"] == ['Nid yw "fr" yn ddewis dilys.']
    assert Bundle.objects.filter(language="cy").count() == 1


@pytest.mark.django_db
def test_advice_templates_are_given_in_the_persons_language(people, client_for, advice_templates):
    from safety_workflow.models import AdviceGiven, AdviceTemplate

    template = AdviceTemplate.objects.get(code="emergency")
    assert template.title_cy == "Os ydych mewn perygl" and "ffoniwch 999" in template.body_cy
    assert AdviceTemplate.objects.filter(title_cy="").count() == 0  # every shipped template is written in Welsh
    listed = client_for(people.members).get(f"{API}/advice-templates/").json()["results"]
    assert {t["code"]: t["title_cy"] for t in listed}["emergency"] == "Os ydych mewn perygl"

    harmed = ProtectedPerson.objects.get(user=people.councillor) if ProtectedPerson.objects.filter(
        user=people.councillor).exists() else ProtectedPerson.objects.create(kind="councillor", user=people.councillor)
    from safety_workflow.services.support import advice_give

    harmed.language = "cy"
    harmed.save()
    given = advice_give(actor=people.members, protected_person=harmed, method="email", template=template)
    assert (given.title, given.text) == (template.title_cy, template.body_cy)
    harmed.language = "bilingual"
    harmed.save()
    both = advice_give(actor=people.members, protected_person=harmed, method="email", template=template)
    assert both.title == "Os ydych mewn perygl / If you are in danger"
    assert both.text.index("ffoniwch 999") < both.text.index("call 999")
    harmed.language = ""
    harmed.save()
    english = advice_give(actor=people.members, protected_person=harmed, method="email", template=template)
    assert english.title == "If you are in danger"
    assert AdviceGiven.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("language, subject", [
    ("cy", "BRYS Atgyfeiriad diogelwch cynghorydd"),
    ("bilingual", "BRYS Atgyfeiriad diogelwch cynghorydd {case} / URGENT Councillor safety referral {case}"),
    ("en", "URGENT Councillor safety referral"),
])
def test_notices_are_written_in_the_notice_language(people, client_for, decision_table, police_contact, language,
                                                    subject, django_capture_on_commit_callbacks):
    with override_settings(SAFETY_WORKFLOW={**settings.SAFETY_WORKFLOW, "NOTICE_LANGUAGE": language}):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            reported = report(client_for(people.councillor), immediate_danger=True)
        [notice] = [m for m in mail.outbox if police_contact.email in m.to]
    assert notice.subject.startswith(subject.format(case=reported["case"]["reference"]))
    if language == "bilingual":
        assert notice.body.index("Mewngofnodwch") < notice.body.index("Sign in")


# Settings and checks ---------------------------------------------------------------------------------------------
def test_document_language_resolution():
    class Person:
        language = "cy"

    assert i18n.document_language(requested="bilingual", person=Person()) == "bilingual"
    assert i18n.document_language(person=Person()) == "cy"
    assert i18n.document_language() == "en"
    with override_settings(SAFETY_WORKFLOW={"DOCUMENT_LANGUAGE": "cy"}):
        assert i18n.document_language() == "cy"
    assert i18n.parts("bilingual") == ("cy", "en") and i18n.parts("cy") == ("cy",)
    assert i18n.text("bilingual", lambda: str(translation.gettext("Index"))) == "Mynegai / Index"


@pytest.mark.django_db
def test_the_assessment_questions_are_asked_in_welsh(people, client_for, decision_table):
    safety = client_for(people.safety)
    welsh = safety.get(f"{API}/decision-tables/current/", HTTP_ACCEPT_LANGUAGE="cy").json()
    english = safety.get(f"{API}/decision-tables/current/").json()
    assert {q["key"]: q["text"] for q in welsh["questions"]}["weapon"] == (
        "A gafodd arf ei grybwyll, ei ddangos neu ei ddefnyddio?")
    assert {q["key"]: q["text"] for q in english["questions"]}["weapon"] == "Was a weapon mentioned, shown or used?"
    assert all(w["text"] != e["text"] for w, e in zip(welsh["questions"], english["questions"], strict=True))


@pytest.mark.django_db
def test_a_councillor_is_told_their_case_closed_in_their_language(people, client_for, decision_table,
                                                                  advice_templates, police_contact,
                                                                  django_capture_on_commit_callbacks):
    from .helpers import answers, complete

    clients = {name: client_for(getattr(people, name)) for name in ("councillor", "members", "safety")}
    case = report(clients["councillor"], account="A rude e-mail about the bins.")["case"]
    ProtectedPerson.objects.filter(user=people.councillor).update(language="cy")
    complete(clients["members"], case["id"], "triage", {})
    complete(clients["safety"], case["id"], "assess", {"answers": answers(decision_table)})
    complete(clients["members"], case["id"], "advise", {"advice": [{"template": "keep-records"}], "method": "email"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the officer's own requests are in English
        complete(clients["members"], case["id"], "close", {"outcome_summary": "Advice given.",
                                                             "person_informed": True, "informed_by": "phone"})
    [told] = [m for m in mail.outbox if case["reference"] in m.subject]
    assert told.subject == f"Mae eich achos diogelwch cynghorydd {case['reference']} wedi’i gau"
    assert "Mewngofnodwch i weld ei ganlyniad." in told.body
    # The advice she was given from a template is in Welsh too.
    from safety_workflow.models import AdviceGiven

    assert AdviceGiven.objects.get(case_id=case["id"]).title == "Cofnodwch bopeth"


def test_a_bilingual_exhibit_slip_dates_each_half_in_its_language():
    from types import SimpleNamespace

    from django.template import Context, Template

    template = Template('{% load i18n safety_workflow_i18n %}{% both %}{% blocktranslate with at=exhibit.uploaded_at %}'
                        'uploaded {{ at }}{% endblocktranslate %}{% endboth %}')
    exhibit = SimpleNamespace(uploaded_at="Dydd Sul 29 Tachwedd 2026")
    rendered = template.render(Context({"bilingual": True, "exhibit": exhibit,
                                        "exhibit_english": {"uploaded_at": "Sunday 29 November 2026"}}))
    assert "Dydd Sul 29 Tachwedd 2026" in rendered and "uploaded Sunday 29 November 2026" in rendered
    assert rendered.index('lang="cy"') < rendered.index('lang="en-GB"')
    assert exhibit.uploaded_at == "Dydd Sul 29 Tachwedd 2026"  # the exhibit itself is left as it was
    once = template.render(Context({"bilingual": False, "exhibit": exhibit}))
    assert "lang=" not in once
