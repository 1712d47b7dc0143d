"""Patterns in the log: course of conduct, escalation signals and police escalation triggers.

Pure functions over plain :class:`IncidentRecord` values (no database access), so every rule
can be read, tested and explained on its own. Each finding carries an explanation in plain
English that a monitoring officer can repeat in a meeting, naming the incidents behind it by
reference and date. ``selectors.patterns`` builds the records from the database.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import mean
from typing import Any

from .matching import fold

#: Protection from Harassment Act 1997, s.7(3)(a): a course of conduct "must involve conduct on at
#: least two occasions". A legal threshold, not a council preference, so it is not a setting.
COURSE_OF_CONDUCT_THRESHOLD = 2

LEVEL_RANK = {"low": 0, "medium": 1, "serious": 2}

ONLINE_CHANNELS = frozenset({"email", "social_media", "online_meeting", "phone", "letter"})
IN_PERSON_CHANNELS = frozenset({"in_person", "surgery", "at_home"})
HOME_CHANNEL = "at_home"

CHANNEL_WORDS = {
    "email": "by e-mail",
    "social_media": "on social media",
    "online_meeting": "in an online meeting",
    "phone": "by phone",
    "letter": "by letter",
    "in_person": "in person",
    "surgery": "at a surgery",
    "at_home": "at their home",
}

#: The kinds of protected person, in the words an explanation uses.
KIND_WORDS = {
    "councillor": "councillor",
    "candidate": "candidate",
    "household": "household member",
    "supporter": "supporter",
    "staff": "member of staff",
}
KIND_PLURALS = {
    "councillor": "councillors",
    "candidate": "candidates",
    "household": "household members",
    "supporter": "supporters",
    "staff": "members of staff",
}

HATE_WORDS = {
    "race": "race or ethnicity",
    "religion": "religion or belief",
    "sexual_orientation": "sexual orientation",
    "disability": "disability",
    "transgender": "transgender identity",
    "sex": "sex or gender",
    "other": "another protected characteristic",
}

#: Default wording that suggests threatening or excessively abusive language (see
#: ``SAFETY_WORKFLOW["POLICE_TRIGGER_PHRASES"]``). Matched as whole words on folded text.
DEFAULT_THREAT_PHRASES: tuple[str, ...] = (
    "kill", "killed", "murder", "stab", "shoot", "shot", "bomb", "burn", "acid", "petrol",
    "behead", "slit", "hurt you", "beat you", "smash your", "punch", "rape",
    "i know where you live", "know where you live", "watch your back", "you'll regret",
    "you will regret", "coming for you", "string you up", "deserve to die", "should die",
    "your family", "your kids", "your children",
)


# Records -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IncidentRecord:
    """What the pattern rules need to know about one incident. Times are aware datetimes."""

    id: Any
    reference: str
    occurred_at: dt.datetime
    person_id: Any
    person_name: str
    channel: str
    #: What the person harmed was when it happened (councillor, candidate, household, supporter, staff),
    #: and what they are now (a candidate elected since is a councillor now).
    person_kind: str = "councillor"
    person_current_kind: str = "councillor"
    #: The level the incident was assessed at (the first assessment that took it into account), or "".
    level: str = ""
    case_id: Any = None
    case_reference: str = ""
    case_state: str = ""
    case_level: str = ""
    case_route: str = ""
    reported_at: dt.datetime | None = None
    hate_element: bool = False
    hate_categories: tuple[str, ...] = ()
    words_used: str = ""
    account: str = ""
    #: The text read from the incident's evidence (screenshots, scans, e-mails), as one string.
    evidence_text: str = ""

    @property
    def is_online(self) -> bool:
        return self.channel in ONLINE_CHANNELS

    @property
    def is_in_person(self) -> bool:
        return self.channel in IN_PERSON_CHANNELS


@dataclass(frozen=True)
class CourseOfConduct:
    """One subject's incidents against one protected person."""

    person_id: Any
    person_name: str
    incidents: tuple[IncidentRecord, ...]
    explanation: str

    @property
    def count(self) -> int:
        return len(self.incidents)

    @property
    def reaches_threshold(self) -> bool:
        return self.count >= COURSE_OF_CONDUCT_THRESHOLD

    @property
    def first(self) -> IncidentRecord:
        return self.incidents[0]

    @property
    def last(self) -> IncidentRecord:
        return self.incidents[-1]


@dataclass(frozen=True)
class Signal:
    """An escalation signal. ``key`` identifies it for "noticed once": it changes only when the
    signal says something new (a higher level, another band of people targeted)."""

    kind: str
    key: str
    title: str
    explanation: str
    incidents: tuple[IncidentRecord, ...]


@dataclass(frozen=True)
class Trigger:
    """A police escalation trigger (Operation Ford) seen in the log, with the assessment question it bears on."""

    trigger: str
    title: str
    question: str
    explanation: str
    incidents: tuple[IncidentRecord, ...]


# Wording -------------------------------------------------------------------------------------
def format_date(value: dt.datetime | dt.date) -> str:
    """``3 March 2026``: the form people say aloud."""
    return f"{value.day} {value:%B %Y}"


def join_words(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def plural(count: int, singular: str, many: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def describe_incident(record: IncidentRecord, *, channel: bool = True) -> str:
    """``SW-2026-0001-02 (10 March 2026, on social media)``."""
    details = format_date(record.occurred_at)
    if channel:
        details += f", {CHANNEL_WORDS.get(record.channel, record.channel)}"
    return f"{record.reference} ({details})"


def describe_incidents(records: Iterable[IncidentRecord], *, channel: bool = True) -> str:
    return join_words([describe_incident(r, channel=channel) for r in records])


def channels_in_words(records: Iterable[IncidentRecord]) -> str:
    seen: list[str] = []
    for record in records:
        words = CHANNEL_WORDS.get(record.channel, record.channel)
        if words not in seen:
            seen.append(words)
    return join_words(seen)


def days_in_words(days: float) -> str:
    if days < 1:
        return "less than a day"
    return plural(round(days), "day")


def subject_label(name: str, *, start: bool = True) -> str:
    if name:
        return name
    return "The unidentified subject" if start else "the unidentified subject"


def _visit_words(record: IncidentRecord) -> str:
    name = record.person_name
    if record.channel == "surgery":
        return f"came to {name}'s surgery"
    if record.channel == HOME_CHANNEL:
        return f"came to {name}'s home"
    return f"approached {name} in person"


def _sorted(records: Iterable[IncidentRecord]) -> list[IncidentRecord]:
    return sorted(records, key=lambda r: (r.occurred_at, r.reported_at or r.occurred_at, r.reference))


# Course of conduct -------------------------------------------------------------------------
def course_of_conduct(records: Iterable[IncidentRecord], *, subject_name: str = "") -> list[CourseOfConduct]:
    """The subject's incidents grouped by the person harmed (of any kind): most incidents first."""
    groups: dict[Any, list[IncidentRecord]] = {}
    for record in _sorted(records):
        groups.setdefault(record.person_id, []).append(record)
    who = subject_label(subject_name)
    result = []
    for person_id, items in groups.items():
        name = items[-1].person_name
        if len(items) >= COURSE_OF_CONDUCT_THRESHOLD:
            explanation = (
                f"{who} has {plural(len(items), 'logged incident')} against {name}, "
                f"from {format_date(items[0].occurred_at)} to {format_date(items[-1].occurred_at)}: "
                f"{describe_incidents(items)}. Conduct on two or more occasions against the same person "
                "can amount to a course of conduct under the Protection from Harassment Act 1997."
            )
        else:
            explanation = (
                f"{who} has 1 logged incident against {name}: {describe_incidents(items)}. "
                "A course of conduct under the Protection from Harassment Act 1997 needs at least two occasions."
            )
        result.append(CourseOfConduct(person_id=person_id, person_name=name,
                                      incidents=tuple(items), explanation=explanation))
    result.sort(key=lambda c: (-c.count, c.first.occurred_at))
    return result


# Escalation --------------------------------------------------------------------------------
def frequency_signal(records: Sequence[IncidentRecord], *, min_incidents: int = 4,
                     ratio: float = 0.5) -> Signal | None:
    """Incidents coming closer together: the recent gaps average at most ``ratio`` of the earlier ones.

    The gaps between consecutive incidents are split in two: the later half (at least two gaps)
    is compared with the earlier half.
    """
    items = _sorted(records)
    if len(items) < max(min_incidents, 4):
        return None
    gaps = [(b.occurred_at - a.occurred_at).total_seconds() / 86400 for a, b in zip(items, items[1:], strict=False)]
    recent_count = max(2, len(gaps) // 2)
    earlier, recent = gaps[:-recent_count], gaps[-recent_count:]
    if not earlier:
        return None
    earlier_mean, recent_mean = mean(earlier), mean(recent)
    if earlier_mean <= 0 or recent_mean > earlier_mean * ratio:
        return None
    behind = items[-(recent_count + 1):]
    before = items[: len(items) - recent_count]
    explanation = (
        f"Incidents are coming closer together: the last {len(behind)} incidents, "
        f"{describe_incidents(behind, channel=False)}, came on average {days_in_words(recent_mean)} apart, "
        f"against {days_in_words(earlier_mean)} apart for the {len(before)} incidents up to "
        f"{format_date(before[-1].occurred_at)}."
    )
    return Signal(kind="frequency_rising", key="frequency_rising", title="Incidents are becoming more frequent",
                  explanation=explanation, incidents=tuple(behind))


def severity_signal(records: Sequence[IncidentRecord]) -> Signal | None:
    """The assessed level has risen: a later incident was assessed at a higher level than the first one."""
    assessed = [r for r in _sorted(records) if r.level in LEVEL_RANK]
    if len(assessed) < 2:
        return None
    steps = [assessed[0]]
    for record in assessed[1:]:
        if LEVEL_RANK[record.level] > LEVEL_RANK[steps[-1].level]:
            steps.append(record)
    if len(steps) < 2:
        return None
    parts = [f"{steps[0].reference} ({format_date(steps[0].occurred_at)}) was assessed {steps[0].level}"]
    parts += [f"{r.reference} ({format_date(r.occurred_at)}) {r.level}" for r in steps[1:]]
    explanation = (
        f"The assessed level has risen from {steps[0].level} to {steps[-1].level}: {join_words(parts)}."
    )
    return Signal(kind="severity_rising", key=f"severity_rising:{steps[-1].level}",
                  title="The incidents are becoming more serious", explanation=explanation,
                  incidents=tuple(steps))


def in_person_signal(records: Sequence[IncidentRecord], *, subject_name: str = "") -> Signal | None:
    """Contact moved from online (e-mail, social media, phone, letters) to in person."""
    items = _sorted(records)
    first = next((i for i, r in enumerate(items) if r.is_in_person), None)
    if first is None:
        return None
    online = [r for r in items[:first] if r.is_online]
    if not online:
        return None
    visits = [r for r in items[first:] if r.is_in_person]
    visit = visits[0]
    explanation = (
        f"Contact has moved from online to in person: after {plural(len(online), 'incident')} "
        f"{channels_in_words(online)} from {format_date(online[0].occurred_at)}, "
        f"{subject_label(subject_name, start=False)} {_visit_words(visit)} on {format_date(visit.occurred_at)} "
        f"({visit.reference})"
    )
    if len(visits) > 1:
        more = plural(len(visits) - 1, "more time")
        explanation += f", and has been met in person {more} since: {describe_incidents(visits[1:])}"
    return Signal(kind="moved_in_person", key="moved_in_person", title="Contact has moved from online to in person",
                  explanation=explanation + ".", incidents=tuple(online + visits))


def home_signal(records: Sequence[IncidentRecord], *, subject_name: str = "") -> Signal | None:
    """The subject reached the home of someone the process protects after contact elsewhere: the strongest move
    there is."""
    items = _sorted(records)
    first = next((i for i, r in enumerate(items) if r.channel == HOME_CHANNEL), None)
    if first is None or first == 0:  # never at home, or nothing came before it (not a move)
        return None
    earlier = items[:first]
    homes = [r for r in items[first:] if r.channel == HOME_CHANNEL]
    explanation = (
        f"{subject_label(subject_name)} {_visit_words(homes[0])} on {format_date(homes[0].occurred_at)} "
        f"({homes[0].reference}), after {plural(len(earlier), 'earlier incident')} "
        f"({channels_in_words(earlier)}) from {format_date(earlier[0].occurred_at)}."
    )
    if len(homes) > 1:
        more = plural(len(homes) - 1, "more visit")
        explanation += f" There have been {more} to a home since: {describe_incidents(homes[1:], channel=False)}."
    explanation += " Contact at someone's home is the strongest sign of escalation."
    return Signal(kind="reached_home", key="reached_home",
                  title="The subject has come to the home of someone the process protects",
                  explanation=explanation, incidents=tuple(earlier[-1:] + homes))


#: A several-people signal is noticed again only when the number of people targeted passes one of these.
PEOPLE_BANDS = (2, 3, 5, 10, 20, 50)


def people_signal(records: Sequence[IncidentRecord], *, subject_name: str = "",
                  threshold: int = 2) -> Signal | None:
    """The same subject has incidents against several people the process protects, of any kind (councillors,
    candidates, their households and supporters, staff)."""
    groups = course_of_conduct(records, subject_name=subject_name)
    if len(groups) < max(threshold, 2):
        return None
    kinds = sorted({g.last.person_kind for g in groups})
    mixed = len(kinds) > 1
    parts = []
    for group in sorted(groups, key=lambda g: g.first.occurred_at):
        who = group.person_name
        if mixed:
            who += f", {KIND_WORDS.get(group.last.person_kind, group.last.person_kind)}"
        if group.count == 1:
            parts.append(f"{who} ({group.first.reference}, {format_date(group.first.occurred_at)})")
        else:
            parts.append(f"{who} ({plural(group.count, 'incident')} from "
                         f"{format_date(group.first.occurred_at)}: "
                         f"{join_words([r.reference for r in group.incidents])})")
    band = max(b for b in PEOPLE_BANDS if b <= len(groups))
    whom = (f"{len(groups)} people ({join_words([KIND_PLURALS.get(k, k) for k in kinds])})" if mixed
            else f"{len(groups)} {KIND_PLURALS.get(kinds[0], kinds[0])}")
    explanation = f"{subject_label(subject_name)} has incidents against {whom}: {join_words(parts)}."
    incidents = tuple(_sorted(r for g in groups for r in g.incidents))
    return Signal(kind="several_people", key=f"several_people:{band}",
                  title="Several people targeted by the same subject", explanation=explanation,
                  incidents=incidents)


def escalation_signals(
    records: Iterable[IncidentRecord],
    *,
    subject_name: str = "",
    frequency_min_incidents: int = 4,
    frequency_ratio: float = 0.5,
    people_threshold: int = 2,
) -> list[Signal]:
    """Every escalation signal the subject's incidents show, most serious kind first."""
    items = _sorted(records)
    found = [
        home_signal(items, subject_name=subject_name),
        in_person_signal(items, subject_name=subject_name),
        severity_signal(items),
        frequency_signal(items, min_incidents=frequency_min_incidents, ratio=frequency_ratio),
        people_signal(items, subject_name=subject_name, threshold=people_threshold),
    ]
    return [s for s in found if s is not None]


# Police escalation triggers (Operation Ford) -----------------------------------------------
def _phrase_patterns(phrases: Iterable[str]) -> list[tuple[str, re.Pattern[str]]]:
    patterns = []
    for phrase in phrases:
        folded = fold(phrase)
        if folded:
            patterns.append((phrase, re.compile(rf"\b{re.escape(folded)}\b")))
    return patterns


def threatening_phrases(record: IncidentRecord, phrases: Iterable[str]) -> list[str]:
    """The phrases found in the words used, the account or the evidence's text, in the order configured."""
    text = fold(f"{record.words_used}\n{record.account}\n{record.evidence_text}")
    found = [phrase for phrase, pattern in _phrase_patterns(phrases) if pattern.search(text)]
    # "know where you live" adds nothing beside "i know where you live": keep the longest wording.
    return [p for p in found
            if not any(p != q and re.search(rf"\b{re.escape(fold(p))}\b", fold(q)) for q in found)]


def _only_in_evidence(record: IncidentRecord, phrase: str) -> bool:
    told = fold(f"{record.words_used}\n{record.account}")
    return not re.search(rf"\b{re.escape(fold(phrase))}\b", told)


def _threat_words(record: IncidentRecord, found: list[str]) -> str:
    said = [p for p in found if not _only_in_evidence(record, p)]
    shown = [p for p in found if _only_in_evidence(record, p)]
    parts = []
    if said:
        parts.append(f"records {join_words([chr(34) + p + chr(34) for p in said])}")
    if shown:
        parts.append(f"{'and its' if said else 'has'} evidence showing "
                     f"{join_words([chr(34) + p + chr(34) for p in shown])}")
    return " ".join(parts)


def police_triggers(
    records: Iterable[IncidentRecord],
    *,
    subject_name: str = "",
    threat_phrases: Iterable[str] = DEFAULT_THREAT_PHRASES,
) -> list[Trigger]:
    """The Operation Ford triggers the incidents show: threatening language, repeated contact, hate.

    These are suggestions for the assessor, who decides: they are never applied automatically.
    """
    items = _sorted(records)
    phrases = tuple(threat_phrases)
    triggers = []

    threats = [(r, threatening_phrases(r, phrases)) for r in items]
    threats = [(r, found) for r, found in threats if found]
    if threats:
        parts = [f"{r.reference} ({format_date(r.occurred_at)}) {_threat_words(r, found)}" for r, found in threats]
        triggers.append(Trigger(
            trigger="threatening_language", title="Excessive abuse or threatening language",
            question="threatening_language",
            explanation=(f"Possible threatening or abusive language: {'; '.join(parts)}. "
                         "Operation Ford treats excessive abuse or threatening language as a reason to "
                         "involve the police. Read the words in full before deciding."),
            incidents=tuple(r for r, _ in threats),
        ))

    repeated = [g for g in course_of_conduct(items, subject_name=subject_name) if g.reaches_threshold]
    if repeated:
        parts = [f"{plural(g.count, 'incident')} against {g.person_name} "
                 f"({join_words([r.reference for r in g.incidents])})" for g in repeated]
        triggers.append(Trigger(
            trigger="repeated_contact", title="Repeated unwanted contact", question="repeated_contact",
            explanation=(f"{subject_label(subject_name)} has {join_words(parts)}. Operation Ford treats repeated "
                         "unwanted contact as a reason to involve the police, and two or more occasions can be "
                         "a course of conduct under the Protection from Harassment Act 1997."),
            incidents=tuple(_sorted(r for g in repeated for r in g.incidents)),
        ))

    hateful = [r for r in items if r.hate_element or r.hate_categories]
    if hateful:
        parts = []
        for r in hateful:
            words = join_words([HATE_WORDS.get(c, c) for c in r.hate_categories])
            parts.append(f"{r.reference} ({format_date(r.occurred_at)}) was recorded as "
                         + (f"hostile to {words}" if words else "hate-based"))
        triggers.append(Trigger(
            trigger="hate_based", title="Hate-based abuse", question="hate_based",
            explanation=(f"{'; '.join(parts)}. Operation Ford treats hate-based abuse as a reason to "
                         "involve the police."),
            incidents=tuple(hateful),
        ))
    return triggers
