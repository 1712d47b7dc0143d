"""The register check now compares names on kept libraries and files entries under new blocking keys
(``safety_workflow.matching``); contact phone numbers are normalised to E.164 with ``phonenumbers``.

This migration refiles every entry (profile and keys) and renormalises stored phone handles. It
changes no table. The same refiling is ``manage.py safety_workflow_register_reindex``, to run after
changing ``REGISTER_NAME_VARIANTS``.
"""

from django.db import migrations

CHECKABLE = ("approved", "active", "review_due")
BATCH = 500


def refile_entries(apps, schema_editor):
    from safety_workflow import matching

    RegisterEntry = apps.get_model("safety_workflow", "RegisterEntry")
    RegisterMatchKey = apps.get_model("safety_workflow", "RegisterMatchKey")
    entries = (RegisterEntry.objects.exclude(state="erased").select_related("subject")
               .prefetch_related("aliases", "addresses").order_by("pk"))
    batch = []
    for entry in entries.iterator(chunk_size=BATCH):
        batch.append(entry)
        if len(batch) == BATCH:
            _refile(batch, RegisterEntry, RegisterMatchKey, matching)
            batch = []
    if batch:
        _refile(batch, RegisterEntry, RegisterMatchKey, matching)


def _refile(entries, RegisterEntry, RegisterMatchKey, matching):
    keys = []
    for entry in entries:
        names = [entry.subject.full_name if entry.subject_id else ""] + [a.name for a in entry.aliases.all()]
        addresses = [(a.address, a.postcode) for a in entry.addresses.all()]
        entry.match_profile, entry_keys = matching.entry_profile(
            names=names, date_of_birth=entry.date_of_birth, addresses=addresses)
        if entry.state in CHECKABLE:
            keys += [RegisterMatchKey(entry_id=entry.pk, key=key) for key in sorted(entry_keys)]
    RegisterEntry.objects.bulk_update(entries, ["match_profile"])
    RegisterMatchKey.objects.filter(entry_id__in=[e.pk for e in entries]).delete()
    RegisterMatchKey.objects.bulk_create(keys, batch_size=5_000)


def renormalise_phones(apps, schema_editor):
    from safety_workflow.matching import normalise_phone

    ContactHandle = apps.get_model("safety_workflow", "ContactHandle")
    taken = set(ContactHandle.objects.filter(kind="phone").values_list("subject_id", "normalised"))
    for handle in ContactHandle.objects.filter(kind="phone").order_by("pk").iterator(chunk_size=BATCH):
        new = normalise_phone(handle.value)
        # Two numbers of one subject that are now seen to be the same number: keep the second as it was.
        if new != handle.normalised and (handle.subject_id, new) not in taken:
            taken.discard((handle.subject_id, handle.normalised))
            taken.add((handle.subject_id, new))
            ContactHandle.objects.filter(pk=handle.pk).update(normalised=new)


class Migration(migrations.Migration):

    dependencies = [
        ("safety_workflow", "0004_background_tasks"),
    ]

    operations = [
        migrations.RunPython(refile_entries, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(renormalise_phones, migrations.RunPython.noop, elidable=True),
    ]
