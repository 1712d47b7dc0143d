# Corrections: withdrawn course-of-conduct flags and escalation signals, police acknowledgement notes.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('safety_workflow', '0002_retention_audit'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='courseofconductflag',
            name='sw_conduct_flag_once',
        ),
        migrations.RemoveConstraint(
            model_name='escalationsignal',
            name='sw_escalation_signal_once',
        ),
        migrations.AddField(
            model_name='courseofconductflag',
            name='withdrawal_reason',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='courseofconductflag',
            name='withdrawn_at',
            field=models.DateTimeField(blank=True, db_index=True, null=True),
        ),
        migrations.AddField(
            model_name='courseofconductflag',
            name='withdrawn_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='escalationsignal',
            name='withdrawal_reason',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='escalationsignal',
            name='withdrawn_at',
            field=models.DateTimeField(blank=True, db_index=True, null=True),
        ),
        migrations.AddField(
            model_name='escalationsignal',
            name='withdrawn_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='policereferral',
            name='acknowledgement_notes',
            field=models.TextField(blank=True),
        ),
        migrations.AddConstraint(
            model_name='courseofconductflag',
            constraint=models.UniqueConstraint(condition=models.Q(('withdrawn_at__isnull', True)), fields=('subject', 'councillor'), name='sw_conduct_flag_once'),
        ),
        migrations.AddConstraint(
            model_name='escalationsignal',
            constraint=models.UniqueConstraint(condition=models.Q(('withdrawn_at__isnull', True)), fields=('subject', 'key'), name='sw_escalation_signal_once'),
        ),
    ]
