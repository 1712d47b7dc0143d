"""Court-ready case bundles and packs: compose (records -> documents), render (HTML -> PDF with
WeasyPrint), assemble (pypdf: exhibits, page numbers, bookmarks, links), build (the background job).

Importing this package registers the build job with the runner; it imports neither WeasyPrint nor
pypdf, so the app loads without the ``pdf`` extra.
"""

from ..runner import register_job

BUILD_JOB = "safety_workflow.bundle_build"

register_job(BUILD_JOB, "safety_workflow.bundles.build.bundle_build_job")
