# Notifications as records, webhook subscriptions and their deliveries (issue 16).

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('safety_workflow', '0007_protected_persons'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Notification',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('event', models.CharField(db_index=True, max_length=100)),
                ('channel', models.CharField(choices=[('email', 'E-mail (through the adapter)'), ('notify_email', 'GOV.UK Notify e-mail'), ('notify_sms', 'GOV.UK Notify text message')], default='email', max_length=20)),
                ('recipient', models.CharField(max_length=300)),
                ('address', models.CharField(blank=True, max_length=300)),
                ('subject', models.CharField(blank=True, max_length=300)),
                ('message', models.TextField(blank=True)),
                ('context', models.JSONField(blank=True, default=dict)),
                ('template_id', models.CharField(blank=True, max_length=100)),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('sending', 'Handed to the provider'), ('sent', 'Sent'), ('delivered', 'Delivered'), ('retrying', 'Failed; will be tried again'), ('failed', 'Failed'), ('permanent-failure', 'Not delivered: the address or number is wrong'), ('temporary-failure', 'Not delivered: the inbox was full or the phone off'), ('technical-failure', 'Not delivered: the provider failed')], db_index=True, default='queued', max_length=20)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField(blank=True, db_index=True, null=True)),
                ('last_error', models.TextField(blank=True)),
                ('provider_reference', models.CharField(blank=True, db_index=True, max_length=100)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('status_at', models.DateTimeField(blank=True, help_text='When the status last changed.', null=True)),
                ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='safety_workflow.case')),
            ],
            options={
                'verbose_name': 'notification',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='WebhookSubscription',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('name', models.CharField(max_length=200)),
                ('url', models.URLField(max_length=1000)),
                ('events', models.JSONField(blank=True, default=list)),
                ('secret', models.CharField(max_length=200)),
                ('role', models.CharField(choices=[('councillor', 'Councillor'), ('candidate', 'Candidate for election'), ('members_services', 'Members services'), ('health_and_safety', 'Health and safety'), ('legal', 'Legal'), ('monitoring_officer', 'Monitoring officer'), ('electoral_services', 'Electoral services'), ('police_liaison', 'Police liaison'), ('frontline', 'Frontline staff'), ('information_governance', 'Information governance')], help_text='The subscription receives only what this role may see.', max_length=40)),
                ('active', models.BooleanField(default=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'webhook subscription',
                'ordering': ['name', 'created_at'],
            },
        ),
        migrations.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('event_id', models.UUIDField(db_index=True)),
                ('event_type', models.CharField(max_length=100)),
                ('payload', models.JSONField()),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('delivered', 'Delivered'), ('retrying', 'Failed; will be tried again'), ('failed', 'Failed')], db_index=True, default='pending', max_length=20)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField(blank=True, db_index=True, null=True)),
                ('log', models.JSONField(blank=True, default=list)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('delivered_at', models.DateTimeField(blank=True, null=True)),
                ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='safety_workflow.case')),
                ('subscription', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='safety_workflow.webhooksubscription')),
            ],
            options={
                'verbose_name': 'webhook delivery',
                'verbose_name_plural': 'webhook deliveries',
                'ordering': ['created_at', 'id'],
            },
        ),
    ]
