"""safety_workflow: a headless Django app for keeping councillors safe from abuse, harassment and intimidation."""

__version__ = "0.1.0"
