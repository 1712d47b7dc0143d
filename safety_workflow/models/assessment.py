"""The predetermined process as data: versioned decision tables, and the assessments made with them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .cases import Case, Incident, Level, Route


class DecisionTable(models.Model):
    """One version of the threat-assessment questionnaire and its rules.

    A published version is frozen: assessments point at it, so editing it would rewrite history.
    Make a new draft (the admin copies one) and publish that.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    id = models.BigAutoField(primary_key=True)
    version = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    default_level = models.CharField(max_length=10, choices=Level.choices, default=Level.LOW)
    routes = models.JSONField(
        default=dict,
        help_text=_('Level -> route, e.g. {"low": "advice", "medium": "council_action", "serious": "police"}.'),
    )
    notes = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        verbose_name = _("decision table")

    def __str__(self) -> str:
        return f"v{self.version}: {self.title} ({self.get_status_display()})"

    def clean(self) -> None:
        bad = {k: v for k, v in (self.routes or {}).items()
               if k not in Level.values or v not in Route.values}
        missing = set(Level.values) - set(self.routes or {})
        if bad or missing:
            raise ValidationError({"routes": _("Give a route (advice, council_action, police) for each "
                                               "level (low, medium, serious).")})


class DecisionQuestion(models.Model):
    class Kind(models.TextChoices):
        YES_NO = "yes_no", _("Yes or no")
        CHOICE = "choice", _("One of a list")

    id = models.BigAutoField(primary_key=True)
    table = models.ForeignKey(DecisionTable, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=60)
    text = models.CharField(max_length=500)
    help_text = models.TextField(blank=True)
    text_cy = models.CharField(_("question in Welsh"), max_length=500, blank=True,
                               help_text=_("Asked of an assessor whose language is Welsh (the API's Accept-Language)."))
    help_text_cy = models.TextField(_("help in Welsh"), blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.YES_NO)
    choices = models.JSONField(default=list, blank=True, help_text=_("For 'one of a list': the values."))
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["table", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["table", "key"], name="sw_question_key_unique"),
        ]

    def __str__(self) -> str:
        return self.text

    def text_in(self, language: str | None = None) -> tuple[str, str]:
        """The question and its help in ``language`` (default: the active one); English where no Welsh is written."""
        from django.utils import translation

        if (language or translation.get_language() or "").split("-")[0] == "cy" and self.text_cy:
            return self.text_cy, self.help_text_cy or self.help_text
        return self.text, self.help_text


class DecisionRule(models.Model):
    """If every condition holds, the case is at least this level. The highest matching level wins."""

    id = models.BigAutoField(primary_key=True)
    table = models.ForeignKey(DecisionTable, on_delete=models.CASCADE, related_name="rules")
    order = models.PositiveIntegerField(default=0)
    description = models.CharField(max_length=300)
    conditions = models.JSONField(
        help_text=_('Question key -> required answer or list of answers, e.g. {"threat_to_life": true}.'),
    )
    level = models.CharField(max_length=10, choices=Level.choices)

    class Meta:
        ordering = ["table", "order", "id"]

    def __str__(self) -> str:
        return self.description


class Assessment(models.Model):
    """A threat assessment of a case, with the decision-table version it used."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assessments")
    incidents = models.ManyToManyField(Incident, related_name="assessments", blank=True)
    decision_table = models.ForeignKey(DecisionTable, on_delete=models.PROTECT, related_name="+")
    answers = models.JSONField()
    computed_level = models.CharField(max_length=10, choices=Level.choices)
    matched_rules = models.JSONField(default=list)
    override_level = models.CharField(max_length=10, choices=Level.choices, blank=True)
    override_reason = models.TextField(blank=True)
    level = models.CharField(_("final level"), max_length=10, choices=Level.choices, db_index=True)
    route = models.CharField(max_length=20, choices=Route.choices)
    propose_register = models.BooleanField(default=False)
    home_security = models.BooleanField(default=False)
    employee_assistance = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["assessed_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(override_level="") | ~models.Q(override_reason=""),
                name="sw_override_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.level} ({self.assessed_at:%Y-%m-%d})"
