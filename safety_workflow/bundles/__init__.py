"""Court-ready case bundles and packs: compose (records -> documents), render (HTML -> PDF with
WeasyPrint), assemble (pypdf: exhibits, page numbers, bookmarks, links), build (the background task's body).

Importing this package imports neither WeasyPrint nor pypdf, so the app loads without the ``pdf`` extra.
The task that runs a build is ``safety_workflow.background.build_bundle``.
"""
