"""What authenticating an API request costs on the example host: HTTP Basic (the password hashed on every
request) against a django-rest-knox token (one indexed look-up and one SHA-512).

    .venv/bin/python bench/api_auth.py            # a throw-away SQLite database; DATABASE_URL for another

Runs the example host's settings (PBKDF2, Django's default hasher), migrates, makes a user with a role, then
times 20 requests of each kind through the whole stack (Django's test client, GET police-contacts/) and prints
medians and the slowest, in milliseconds.
"""

from __future__ import annotations

import base64
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "example_project")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council_host.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='sw-bench-auth-')}/bench.sqlite3")
ROUNDS = 20


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.test import Client
    from knox.models import AuthToken
    from rest_framework.authentication import BasicAuthentication

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench.members")
    user.set_password("a-long-demo-pass-phrase")
    user.save()
    user.groups.add(Group.objects.get_or_create(name="Members Services")[0])
    token = AuthToken.objects.create(user=user)[1]
    basic = "Basic " + base64.b64encode(b"bench.members:a-long-demo-pass-phrase").decode()
    client = Client()

    def timed(header: str) -> list[float]:
        times = []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            response = client.get("/api/safety/police-contacts/", HTTP_AUTHORIZATION=header)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.content
        return times

    # Basic auth on every request, as the example host allowed before tokens (measured by adding it back).
    settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = ["knox.auth.TokenAuthentication",
                                                                  "rest_framework.authentication.BasicAuthentication"]
    from rest_framework.settings import api_settings

    api_settings.reload()
    from safety_workflow.api.reference import PoliceContactList

    PoliceContactList.authentication_classes = [api_settings.DEFAULT_AUTHENTICATION_CLASSES[0], BasicAuthentication]
    results = {"HTTP Basic (password hashed each time)": timed(basic), "Token (knox)": timed(f"Token {token}")}
    print(f"{ROUNDS} requests each, GET police-contacts/, {settings.PASSWORD_HASHERS[0].rsplit('.', 1)[1]}:")
    for name, times in results.items():
        print(f"  {name:<42} median {statistics.median(times):7.1f} ms   slowest {max(times):7.1f} ms")


if __name__ == "__main__":
    main()
