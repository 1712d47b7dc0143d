# Everyone the process protects: protected people (councillors, candidates, household members, supporters,
# staff), election periods and candidacies. Every existing incident's councillor (and every support record's,
# and every course-of-conduct flag's) becomes a protected person of kind "councillor" linked to that user.

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

#: The models whose ``councillor`` (a user) becomes ``protected_person``.
MOVED = ("incident", "advicegiven", "homesecurityassessment", "priorityaddressflag", "employeeassistanceoffer",
         "inductiontraining", "courseofconductflag")


def councillors_to_protected_people(apps, schema_editor):
    ProtectedPerson = apps.get_model("safety_workflow", "ProtectedPerson")
    EscalationSignal = apps.get_model("safety_workflow", "EscalationSignal")
    db = schema_editor.connection.alias
    users = set()
    for name in MOVED:
        model = apps.get_model("safety_workflow", name)
        users.update(model.objects.using(db).values_list("councillor_id", flat=True).distinct())
    person_of = {}
    for user_id in sorted(users, key=str):
        person, _ = ProtectedPerson.objects.using(db).get_or_create(
            user_id=user_id, defaults={"kind": "councillor", "full_name": ""})
        person_of[user_id] = person.pk
    for name in MOVED:
        model = apps.get_model("safety_workflow", name)
        for user_id, person_id in person_of.items():
            changes = {"protected_person_id": person_id}
            if name == "incident":
                changes["person_kind"] = "councillor"
            model.objects.using(db).filter(councillor_id=user_id).update(**changes)
    # "Several councillors targeted" is now "several people targeted" (of any kind): kinds and keys are stored.
    for signal in EscalationSignal.objects.using(db).filter(kind="several_councillors"):
        signal.kind = "several_people"
        signal.key = signal.key.replace("several_councillors", "several_people", 1)
        signal.save(update_fields=["kind", "key"])


def protected_people_to_councillors(apps, schema_editor):
    """Back to users: only people linked to a user can be; anything else cannot go back (a bundle built since
    may name a candidate who has no account)."""
    EscalationSignal = apps.get_model("safety_workflow", "EscalationSignal")
    db = schema_editor.connection.alias
    for name in MOVED:
        model = apps.get_model("safety_workflow", name)
        if model.objects.using(db).filter(protected_person__user__isnull=True).exists():
            raise RuntimeError(f"{name}: records about people without an account cannot be moved back to users.")
        for row in model.objects.using(db).select_related("protected_person").only("pk", "protected_person__user_id"):
            model.objects.using(db).filter(pk=row.pk).update(councillor_id=row.protected_person.user_id)
    for signal in EscalationSignal.objects.using(db).filter(kind="several_people"):
        signal.kind = "several_councillors"
        signal.key = signal.key.replace("several_people", "several_councillors", 1)
        signal.save(update_fields=["kind", "key"])


def _user_fk():
    return models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                             to=settings.AUTH_USER_MODEL)


class Migration(migrations.Migration):

    dependencies = [
        ("safety_workflow", "0006_evidence_text"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The new records --------------------------------------------------------------------------------
        migrations.CreateModel(
            name="ElectionPeriod",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("name", models.CharField(help_text="e.g. Northshire County Council elections 2027, or Riverside by-election.", max_length=200, verbose_name="election")),
                ("poll_date", models.DateField(db_index=True, verbose_name="polling day")),
                ("starts_on", models.DateField(help_text="Usually the notice of election (25 working days before the poll).", verbose_name="first day of the period")),
                ("ends_on", models.DateField(help_text="Usually the day of the count.", verbose_name="last day of the period")),
                ("wards", models.JSONField(blank=True, default=list, help_text="The wards or divisions a by-election covers; empty for an election across the whole council.")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("created_by", _user_fk()),
            ],
            options={
                "verbose_name": "election period",
                "ordering": ["-poll_date", "name"],
                "constraints": [models.CheckConstraint(condition=models.Q(("poll_date__lte", models.F("ends_on")), ("starts_on__lte", models.F("poll_date"))), name="sw_election_period_dates")],
            },
        ),
        migrations.CreateModel(
            name="ProtectedPerson",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("kind", models.CharField(choices=[("councillor", "Councillor"), ("candidate", "Candidate for election"), ("household", "Member of a councillor's or candidate's household"), ("supporter", "Supporter of a councillor or candidate (ward assistant, agent)"), ("staff", "Member of the council's staff")], db_index=True, max_length=20)),
                ("full_name", models.CharField(blank=True, help_text="For a user, their name is the host's display name.", max_length=200, verbose_name="full name")),
                ("relationship", models.CharField(blank=True, help_text="e.g. partner, son, ward assistant, election agent.", max_length=100, verbose_name="relationship")),
                ("share_with_linked", models.BooleanField(default=False, help_text="They agreed that the councillor or candidate they are linked to may see incidents reported about them by others (those the councillor or candidate reports are always theirs to see).", verbose_name="the councillor or candidate may see incidents about them")),
                ("job_title", models.CharField(blank=True, max_length=200, verbose_name="job title")),
                ("workplace", models.CharField(blank=True, max_length=200, verbose_name="service or workplace")),
                ("email", models.EmailField(blank=True, max_length=254, verbose_name="e-mail address")),
                ("phone", models.CharField(blank=True, max_length=50, verbose_name="phone number")),
                ("address", models.TextField(blank=True, verbose_name="postal address")),
                ("postcode", models.CharField(blank=True, max_length=10, verbose_name="postcode")),
                ("preferred_contact", models.CharField(blank=True, choices=[("email", "E-mail"), ("phone", "Phone"), ("meeting", "In person"), ("letter", "Letter")], max_length=10, verbose_name="how they prefer to be contacted")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("created_by", _user_fk()),
                ("linked_to", models.ForeignKey(blank=True, help_text="For a household member or supporter: the councillor or candidate.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name="linked_people", to="safety_workflow.protectedperson")),
                ("user", models.OneToOneField(blank=True, help_text="Their login, if they have one (a councillor always has).", null=True, on_delete=django.db.models.deletion.PROTECT, related_name="safety_protected_person", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "verbose_name": "protected person",
                "ordering": ["full_name", "created_at"],
            },
        ),
        migrations.CreateModel(
            name="Candidacy",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("ward", models.CharField(max_length=100, verbose_name="ward or division")),
                ("elected", models.BooleanField(blank=True, help_text="Empty until the result is recorded.", null=True)),
                ("recorded_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("election", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="candidacies", to="safety_workflow.electionperiod")),
                ("person", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="candidacies", to="safety_workflow.protectedperson")),
                ("recorded_by", _user_fk()),
            ],
            options={
                "verbose_name": "candidacy",
                "verbose_name_plural": "candidacies",
                "ordering": ["election__poll_date", "id"],
                "constraints": [models.UniqueConstraint(fields=("person", "election"), name="sw_candidacy_once_per_election")],
            },
        ),
        # The person harmed, beside the councillor while the data moves ----------------------------------
        migrations.AddField(
            model_name="incident",
            name="protected_person",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="incidents", to="safety_workflow.protectedperson"),
        ),
        migrations.AddField(
            model_name="incident",
            name="person_kind",
            field=models.CharField(choices=[("councillor", "Councillor"), ("candidate", "Candidate for election"), ("household", "Member of a councillor's or candidate's household"), ("supporter", "Supporter of a councillor or candidate (ward assistant, agent)"), ("staff", "Member of the council's staff")], db_index=True, default="councillor", help_text="A candidate elected later stays a candidate here.", max_length=20, verbose_name="what the person was when it happened"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="incident",
            name="election_period",
            field=models.ForeignKey(blank=True, help_text="The election period it happened in (worked out from the date, the ward and the person).", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="incidents", to="safety_workflow.electionperiod"),
        ),
        migrations.AddField(
            model_name="advicegiven",
            name="protected_person",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="advice_given", to="safety_workflow.protectedperson"),
        ),
        migrations.AddField(
            model_name="homesecurityassessment",
            name="protected_person",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="safety_workflow.protectedperson"),
        ),
        migrations.AddField(
            model_name="priorityaddressflag",
            name="protected_person",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="safety_workflow.protectedperson"),
        ),
        migrations.AddField(
            model_name="employeeassistanceoffer",
            name="protected_person",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="safety_workflow.protectedperson"),
        ),
        migrations.AddField(
            model_name="inductiontraining",
            name="protected_person",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="safety_workflow.protectedperson"),
        ),
        migrations.AddField(
            model_name="courseofconductflag",
            name="protected_person",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="conduct_flags", to="safety_workflow.protectedperson"),
        ),
        migrations.RunPython(councillors_to_protected_people, protected_people_to_councillors),
        # The councillor goes ------------------------------------------------------------------------------
        migrations.RemoveIndex(model_name="incident", name="sw_inc_subject_cllr"),
        migrations.RemoveConstraint(model_name="courseofconductflag", name="sw_conduct_flag_once"),
        *[migrations.AlterField(model_name=name, name="councillor", field=models.ForeignKey(
            null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL))
          for name in MOVED],
        *[migrations.RemoveField(model_name=name, name="councillor") for name in MOVED],
        migrations.AlterField(
            model_name="incident",
            name="protected_person",
            field=models.ForeignKey(help_text="The person the incident was aimed at.", on_delete=django.db.models.deletion.PROTECT, related_name="incidents", to="safety_workflow.protectedperson"),
        ),
        migrations.AlterField(
            model_name="advicegiven",
            name="protected_person",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="advice_given", to="safety_workflow.protectedperson"),
        ),
        *[migrations.AlterField(model_name=name, name="protected_person", field=models.ForeignKey(
            on_delete=django.db.models.deletion.PROTECT, related_name="+", to="safety_workflow.protectedperson"))
          for name in ("homesecurityassessment", "priorityaddressflag", "employeeassistanceoffer",
                       "inductiontraining")],
        migrations.AlterField(
            model_name="courseofconductflag",
            name="protected_person",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="conduct_flags", to="safety_workflow.protectedperson"),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["subject", "protected_person", "occurred_at"], name="sw_inc_subject_person"),
        ),
        migrations.AddConstraint(
            model_name="courseofconductflag",
            constraint=models.UniqueConstraint(condition=models.Q(("withdrawn_at__isnull", True)), fields=("subject", "protected_person"), name="sw_conduct_flag_once"),
        ),
        # Telling the people harmed the outcome; advice written for some kinds of person ----------------------
        migrations.RenameField(model_name="case", old_name="councillor_informed_at", new_name="person_informed_at"),
        migrations.RenameField(model_name="case", old_name="councillor_informed_by", new_name="person_informed_by"),
        migrations.AddField(
            model_name="advicetemplate",
            name="for_kinds",
            field=models.JSONField(blank=True, default=list, help_text="The kinds of protected person the advice is written for (councillor, candidate, household, supporter, staff); empty for everyone."),
        ),
        # Wording: the person harmed, whoever they are ------------------------------------------------------
        migrations.AlterField(
            model_name="assessment",
            name="route",
            field=models.CharField(choices=[("advice", "Logged, with advice to the person harmed"), ("council_action", "Council action"), ("police", "Referral to the police")], max_length=20),
        ),
        migrations.AlterField(
            model_name="case",
            name="outcome_summary",
            field=models.TextField(blank=True, verbose_name="outcome told to the people harmed"),
        ),
        migrations.AlterField(
            model_name="case",
            name="person_informed_by",
            field=models.CharField(blank=True, choices=[("email", "E-mail"), ("phone", "Phone"), ("meeting", "In person"), ("letter", "Letter")], max_length=20, verbose_name="how the people harmed were told"),
        ),
        migrations.AlterField(
            model_name="case",
            name="route",
            field=models.CharField(blank=True, choices=[("advice", "Logged, with advice to the person harmed"), ("council_action", "Council action"), ("police", "Referral to the police")], max_length=20, verbose_name="current route"),
        ),
        migrations.AlterField(
            model_name="escalationsignal",
            name="kind",
            field=models.CharField(choices=[("frequency_rising", "Incidents are becoming more frequent"), ("severity_rising", "The incidents are becoming more serious"), ("moved_in_person", "Contact has moved from online to in person"), ("reached_home", "The subject has come to the home of someone the process protects"), ("several_people", "Several people targeted by the same subject")], max_length=30),
        ),
        migrations.AlterField(
            model_name="incident",
            name="channel",
            field=models.CharField(choices=[("in_person", "In person"), ("phone", "Phone"), ("email", "E-mail"), ("letter", "Letter"), ("social_media", "Social media"), ("at_home", "At the person's home"), ("surgery", "At a surgery"), ("online_meeting", "Online meeting")], db_index=True, max_length=20),
        ),
        migrations.AlterField(
            model_name="incident",
            name="immediate_danger",
            field=models.BooleanField(default=False, verbose_name="the person feels in immediate danger"),
        ),
        migrations.AlterField(
            model_name="securitymeasure",
            name="status",
            field=models.CharField(choices=[("recommended", "Recommended"), ("installed", "Installed"), ("declined", "Declined by the person")], default="recommended", max_length=20),
        ),
    ]
