"""Load the demo: people in every role, the decision table, advice templates, the police contact, incidents."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from council_host import demo


class Command(BaseCommand):
    help = "Load the invented demo data (safe to run more than once)."

    def handle(self, *args: Any, **options: Any) -> None:
        demo.demo_reference_data_load()
        users = demo.demo_people_load()
        created = demo.demo_incidents_load()
        self.stdout.write(f"Demo data loaded: {created} new incident(s), {demo.demo_counts()['incidents']} in all.")
        self.stdout.write("")
        self.stdout.write("Demo logins (for this local demo only):")
        for user in users:
            role = user["role"] or "site administrator"
            self.stdout.write(f"  {user['username']:<12} password {user['password']:<18} {role}")
