"""Benchmark: build a large injunction bundle and compare it with WeasyPrint and pypdf doing their parts alone.

    .venv/bin/python bench/bundle_build.py                       # 200 incidents, 100 exhibits
    .venv/bin/python bench/bundle_build.py --pages-per-pdf 2 8   # memory against exhibit pages

For each size it makes a fresh SQLite database with one case (the incidents spread over four
councillors) and its exhibits (60% scanned-style PDFs of JPEG pages, some landscape; 40% JPEG
photos), then runs, each in a new process so that peak memory (ru_maxrss) is its own:

- build:      the whole job (bundles.build.bundle_build_job): compose, verify and copy exhibits,
              render, assemble, hash, store;
- weasyprint: WeasyPrint alone rendering the very HTML the build renders (made beforehand, not timed);
- pypdf:      pypdf alone merging the same exhibit PDFs (PdfWriter.append each, then write).

It prints the times, each process's peak memory (RSS), the ratio of the build's time to
weasyprint + pypdf, and, measured in a second untimed run with tracemalloc, the peak memory that
the assembly stage alone allocates beside what pypdf's PdfWriter allocates to merge the exhibits.
Nothing here is a test; numbers in docs/bundles.md come from running it.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def configure(workdir: str) -> None:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="bench",
        USE_TZ=True,
        TIME_ZONE="Europe/London",
        LANGUAGE_CODE="en-gb",
        INSTALLED_APPS=[
            "django.contrib.auth", "django.contrib.contenttypes", "rest_framework", "guardian",
            "viewflow.workflow", "safety_workflow",
        ],
        AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend",
                                 "guardian.backends.ObjectPermissionBackend"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(workdir, "db.sqlite3")}},
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
        MEDIA_ROOT=os.path.join(workdir, "media"),
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        SAFETY_WORKFLOW={"COUNCIL_NAME": "Northshire County Council"},
    )
    django.setup()


def jpeg(width: int, height: int, seed: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    image = Image.blend(image, noise, 0.35)
    draw = ImageDraw.Draw(image)
    for n in range(12):
        draw.text((40, 40 + 60 * n), f"Evidence {seed} line {n}: you will regret standing for election", fill="black")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def scanned_pdf(pages: int, seed: int, landscape: bool) -> bytes:
    from PIL import Image

    size = (1240, 877) if landscape else (877, 1240)
    images = [Image.open(io.BytesIO(jpeg(*size, seed=seed * 100 + n))) for n in range(pages)]
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=150)
    return out.getvalue()


def setup(workdir: str, incidents: int, exhibits: int, pages_per_pdf: int) -> dict:
    import datetime as dt
    import hashlib

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.files.base import ContentFile
    from django.core.management import call_command
    from django.utils import timezone

    from safety_workflow.flows import IncidentFlow
    from safety_workflow.models import (
        Assessment,
        Case,
        CouncilAction,
        DecisionTable,
        EvidenceFile,
        Incident,
        ProtectedPerson,
        Route,
        Subject,
    )

    call_command("migrate", verbosity=0)
    call_command("loaddata", "safety_workflow_decision_table_v1", verbosity=0)
    User = get_user_model()

    def user(name: str, group: str):
        first, last = name.split(" ", 1)
        item = User.objects.create(username=name.replace(" ", ".").lower(), first_name=first, last_name=last)
        item.groups.add(Group.objects.get_or_create(name=group)[0])
        return item

    legal = user("Lee Gal", "Legal")
    officer = user("Mo Services", "Members Services")
    councillors = [ProtectedPerson.objects.create(kind="councillor", user=user(f"Cllr {name}", "Councillors"))
                   for name in ("Ahmed", "Byrne", "Chen", "Davies")]
    subject = Subject.objects.create(full_name="Gary Hostile", description="Tall, grey coat")
    case = Case.objects.create(flow_class=IncidentFlow, reference="SW-2026-0001", subject=subject, level="medium",
                               route=Route.COUNCIL_ACTION)
    start = timezone.now() - dt.timedelta(days=400)
    rows = []
    for n in range(incidents):
        rows.append(Incident.objects.create(
            reference=f"SW-2026-0001-{n + 1:03d}", case=case, reported_by=officer, protected_person=councillors[n % 4],
            person_kind="councillor",
            occurred_at=start + dt.timedelta(days=2 * n, hours=n % 9), channel=Incident.Channel.SOCIAL_MEDIA,
            location="Ward surgery, Northtown library" if n % 3 == 0 else "",
            account=(f"Incident {n + 1}. The subject posted again about me, calling me a traitor and saying that "
                     "people like me should be dealt with. He tagged my family and shared a photograph of my street. "
                     "I felt threatened and stopped holding surgeries alone. ") * 2,
            words_used="You will regret standing for election.", witnesses="A member of the public" if n % 5 else "",
            subject=subject,
        ))
    table = DecisionTable.objects.get(version=1)
    assessment = Assessment.objects.create(case=case, decision_table=table, answers={}, computed_level="medium",
                                           level="medium", route=Route.COUNCIL_ACTION, assessed_by=officer)
    assessment.incidents.set(rows)
    CouncilAction.objects.create(case=case, kind=CouncilAction.Kind.INJUNCTION, reason="Course of conduct",
                                 decided_by=legal, basis=CouncilAction.Basis.PHA_1997)
    pdf_count = 0
    for n in range(exhibits):
        incident = rows[(n * incidents) // exhibits]
        if n % 5 < 3:
            content = scanned_pdf(pages_per_pdf, n, landscape=n % 4 == 0)
            name, content_type = f"exhibit-{n}.pdf", "application/pdf"
            pdf_count += 1
        else:
            content = jpeg(1600, 1200, n)
            name, content_type = f"photo-{n}.jpg", "image/jpeg"
        item = EvidenceFile(incident=incident, original_name=name, content_type=content_type, size=len(content),
                            sha256=hashlib.sha256(content).hexdigest(), uploaded_by=officer,
                            description=f"Exhibit file {n}")
        item.file.save(name, ContentFile(content), save=False)
        item.save()
    return {"case": case.pk, "legal": legal.pk, "pdf_exhibits": pdf_count}


def new_bundle(case_id: int, legal_id: int):
    from safety_workflow.models import Bundle

    return Bundle.objects.create(kind=Bundle.Kind.INJUNCTION, scope={"case": case_id}, case_id=case_id,
                                 requested_by_id=legal_id, attempts=1)


def traced_peak_mib(function, *args, **kwargs):
    """Peak memory allocated by Python while ``function`` runs (tracemalloc), and its result."""
    tracemalloc.start()
    try:
        result = function(*args, **kwargs)
        return tracemalloc.get_traced_memory()[1] / 2**20, result
    finally:
        tracemalloc.stop()


def phase_build(info: dict) -> dict:
    from safety_workflow.bundles import assemble as assemble_module
    from safety_workflow.bundles.build import bundle_build_job
    from safety_workflow.models import Bundle

    bundle = new_bundle(info["case"], info["legal"])
    started = time.perf_counter()
    status = bundle_build_job(bundle_id=str(bundle.pk), attempt=1)
    elapsed = time.perf_counter() - started
    bundle = Bundle.objects.get(pk=bundle.pk)
    assert status == "ready", bundle.error
    stages = next(e for e in bundle.log if e["event"] == "timings")

    # Again, untimed, to measure what the assembly stage alone allocates (tracemalloc slows it down).
    real, peaks = assemble_module.assemble, []

    def traced(**kwargs):
        peak, result = traced_peak_mib(real, **kwargs)
        peaks.append(peak)
        return result

    assemble_module.assemble = traced
    try:
        again = new_bundle(info["case"], info["legal"])
        assert bundle_build_job(bundle_id=str(again.pk), attempt=1) == "ready"
    finally:
        assemble_module.assemble = real
    stages = {k: v for k, v in stages.items() if k not in ("at", "event")}
    stages["publish"] = round(elapsed - sum(stages.values()), 3)
    return {"seconds": elapsed, "pages": bundle.page_count, "size": bundle.size, "traced_mib": peaks[0],
            "stages": stages}


def _prepared(folder: str, info: dict):
    """The composition and HTML exactly as the build makes them (not timed)."""
    from safety_workflow.bundles import exhibits
    from safety_workflow.bundles.compose import compose
    from safety_workflow.bundles.redact import Redactor
    from safety_workflow.bundles.render import make_fetcher, render_html

    bundle = new_bundle(info["case"], info["legal"])
    composition = compose(bundle)
    exhibits.prepare(composition.exhibits, composition.evidence, folder, Redactor([]))
    html = render_html(composition, bundle_context={"bundle": {"id": str(bundle.pk), "kind": "Injunction bundle",
                                                               "code": "injunction", "title": composition.title}})
    return composition, html, make_fetcher(composition.exhibits)


def phase_weasyprint(info: dict) -> dict:
    from weasyprint import HTML

    from safety_workflow.conf import app_settings

    with tempfile.TemporaryDirectory() as folder:
        _, html, fetcher = _prepared(folder, info)
        started = time.perf_counter()
        HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf(
            os.path.join(folder, "alone.pdf"), dpi=app_settings.BUNDLE_IMAGE_DPI)
        return {"seconds": time.perf_counter() - started}


def phase_pypdf(info: dict) -> dict:
    from pypdf import PdfWriter

    from safety_workflow.models import EvidenceFile

    paths = [e.file.path for e in EvidenceFile.objects.filter(content_type="application/pdf").order_by("uploaded_at")]

    def merge(folder: str) -> int:
        writer = PdfWriter()
        for path in paths:
            writer.append(path)
        writer.write(os.path.join(folder, "merged.pdf"))
        return len(writer.pages)

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        pages = merge(folder)
        elapsed = time.perf_counter() - started
        traced, _ = traced_peak_mib(merge, folder)  # again, untimed, for what pypdf allocates
    return {"seconds": elapsed, "pages": pages, "traced_mib": traced}


def child(args: argparse.Namespace) -> None:
    configure(args.workdir)
    info_path = os.path.join(args.workdir, "info.json")
    if args.phase == "setup":
        info = setup(args.workdir, args.incidents, args.exhibits, args.pages_per_pdf)
        with open(info_path, "w") as out:
            json.dump(info, out)
        return
    with open(info_path) as handle:
        info = json.load(handle)
    result = {"build": phase_build, "weasyprint": phase_weasyprint, "pypdf": phase_pypdf}[args.phase](info)
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def run(workdir: str, phase: str, args: argparse.Namespace) -> dict:
    command = [sys.executable, os.path.abspath(__file__), "--child", phase, "--workdir", workdir,
               "--incidents", str(args.incidents), "--exhibits", str(args.exhibits)]
    if phase == "setup":
        command += ["--pages-per-pdf", str(args.current_pages)]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(output.strip().splitlines()[-1]) if phase != "setup" else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--exhibits", type=int, default=100)
    parser.add_argument("--pages-per-pdf", type=int, nargs="+", default=[3])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each phase; the best time is reported")
    parser.add_argument("--child", dest="phase", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        args.pages_per_pdf = args.pages_per_pdf[0]
        child(args)
        return
    print(f"{'exhibit pages/PDF':>17} {'pages':>6} {'build s':>8} {'build MiB':>9} {'weasy s':>8} {'weasy MiB':>9} "
          f"{'pypdf s':>8} {'pypdf MiB':>9} {'ratio':>6} {'assemble alloc MiB':>18} {'pypdf alloc MiB':>15}")
    for pages in args.pages_per_pdf:
        args.current_pages = pages
        with tempfile.TemporaryDirectory(prefix="sw-bench-") as workdir:
            run(workdir, "setup", args)
            # Phases take turns, so that a busy moment on the machine does not fall on one of them only.
            results: dict[str, list[dict]] = {"build": [], "weasyprint": [], "pypdf": []}
            for _ in range(args.repeat):
                for phase in results:
                    results[phase].append(run(workdir, phase, args))
        best = {phase: min(items, key=lambda r: r["seconds"]) for phase, items in results.items()}
        ratio = best["build"]["seconds"] / (best["weasyprint"]["seconds"] + best["pypdf"]["seconds"])
        print(f"{pages:>17} {best['build']['pages']:>6} {best['build']['seconds']:>8.1f} "
              f"{best['build']['peak_mib']:>9.0f} {best['weasyprint']['seconds']:>8.1f} "
              f"{best['weasyprint']['peak_mib']:>9.0f} {best['pypdf']['seconds']:>8.1f} "
              f"{best['pypdf']['peak_mib']:>9.0f} {ratio:>6.2f} {best['build']['traced_mib']:>18.1f} "
              f"{best['pypdf']['traced_mib']:>15.1f}", flush=True)
        print(f"{'':>17} build stages (s): {best['build']['stages']}", flush=True)
        # The first build reads the exhibits' text itself (OCR) when the upload's task has not run (as here,
        # where the evidence is created directly); later builds use the text stored by the first.
        print(f"{'':>17} each build (s): {[round(r['seconds'], 1) for r in results['build']]}; stages of the "
              f"first: {results['build'][0]['stages']}", flush=True)


if __name__ == "__main__":
    main()
