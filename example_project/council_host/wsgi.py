"""WSGI entry point of the example host."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council_host.settings")
application = get_wsgi_application()
