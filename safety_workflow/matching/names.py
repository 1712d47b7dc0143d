"""People's names for the register check: parsing, forename variants, and graded agreement.

Parsing turns "Dr Jonathan O'Brien", "O'BRIEN, Jonathan" or "Mary-Jane Smith-Jones" into forenames
and every form of the surname. Two names are then compared word by word with levels borrowed from
splink's ``NameComparison`` (UK Ministry of Justice): exact, a known variant, one slip (Damerau-
Levenshtein distance 1: one letter wrong, missing, doubled or two letters swapped), Jaro-Winkler at
least 0.92 or the same sound (Metaphone or NYSIIS, jellyfish), Jaro-Winkler at least 0.88, an initial,
none. The distances are rapidfuzz's.

Forename variants are the ``nicknames`` package's hand-curated dataset (Robert/Bob/Bobby...: a name
and its nicknames) merged with the UK and Welsh groups in ``name_variants.py`` and the council's
``REGISTER_NAME_VARIANTS`` (which decide where they cover both names). Two forenames that are both
known and not variants are different names,
however alike they are written (John and Jane, Stephen and Stephanie): at most a fair likeness when
one letter apart (Jon, Joan).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import IntEnum

import jellyfish
from django.utils.translation import gettext as _
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from .text import fold_letters

#: Words dropped from the start (titles) or the end (generational suffixes) of a name.
TITLES = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "master", "dr", "doctor", "prof", "professor", "sir", "dame", "lord",
    "lady", "rev", "revd", "reverend", "fr", "father", "cllr", "councillor", "capt", "captain", "sgt", "pc",
})
SUFFIXES = frozenset({"jr", "jnr", "junior", "sr", "snr", "senior", "ii", "iii", "iv", "esq"})
#: Surname particles joined to the word after them: "O Brien" = "O'Brien" = "OBrien".
PARTICLES = frozenset({
    "o", "mc", "mac", "de", "da", "di", "du", "del", "della", "der", "den", "des", "van", "von", "le", "la",
    "st", "saint", "al", "el", "bin", "ibn", "ap", "ab", "ni", "nic", "ui", "y",
})

#: splink's Jaro-Winkler thresholds for names.
JW_CLOSE, JW_FAIR = 0.92, 0.88


class Agreement(IntEnum):
    """How far two words of a name agree, best first when compared."""

    NONE = 0
    INITIAL = 1   #: one side is an initial, the same letter
    FAIR = 2      #: Jaro-Winkler >= 0.88 (or two known forenames one letter apart)
    CLOSE = 3     #: Jaro-Winkler >= 0.92, or the same sound (Metaphone or NYSIIS)
    SLIP = 4      #: one slip: Damerau-Levenshtein distance 1
    VARIANT = 5   #: forenames in a common variant group (Bob, Robert)
    EXACT = 6


# Forename variant groups ---------------------------------------------------------------------
def _token(name: str) -> str:
    return fold_letters(name).replace("-", "").replace(" ", "")


@dataclass(frozen=True)
class _Variants:
    #: forename -> the project's or the council's groups it is in (every member of a group is a variant
    #: of every other: "spellings and short forms of one forename").
    groups: dict[str, frozenset[str]]
    #: forename -> the names the nicknames dataset links it to directly (its nicknames, and the names it
    #: is a nickname of). Two nicknames of one name are not linked through it: Nathan and John are both
    #: short for Jonathan, and are different names.
    links: dict[str, frozenset[str]]


@functools.lru_cache(maxsize=8)
def _variant_index(extra: tuple[tuple[str, ...], ...]) -> _Variants:
    from nicknames import NickNamer

    from ..name_variants import FORENAME_VARIANTS

    links: dict[str, set[str]] = {}
    for canonical, nicknames in NickNamer().nickname_lookup.items():
        head = _token(canonical)
        for nickname in {_token(n) for n in nicknames} - {"", head}:
            links.setdefault(head, set()).add(nickname)
            links.setdefault(nickname, set()).add(head)
    groups: dict[str, set[str]] = {}
    for group in (*FORENAME_VARIANTS, *extra):
        names = [name for name in (_token(n) for n in group) if name]
        for name in names:
            groups.setdefault(name, set()).add(names[0])
    return _Variants(groups={k: frozenset(v) for k, v in groups.items()},
                     links={k: frozenset(v) for k, v in links.items()})


def _variants() -> _Variants:
    from ..conf import app_settings

    return _variant_index(tuple(tuple(group) for group in app_settings.REGISTER_NAME_VARIANTS))


def forename_variant_codes(token: str) -> frozenset[str]:
    """Blocking codes for a forename's variants: two forenames that are variants of each other share at
    least one (and a few that are not do too; the comparison decides). Empty for an unknown name."""
    variants = _variants()
    codes = {f"g{head}" for head in variants.groups.get(token, ())}
    linked = variants.links.get(token, frozenset())
    if linked:
        codes |= {f"k{token}"} | {f"k{name}" for name in linked}
    return frozenset(codes)


def is_known_forename(token: str, variants: _Variants | None = None) -> bool:
    variants = variants or _variants()
    return token in variants.groups or token in variants.links


def are_variants(a: str, b: str, variants: _Variants | None = None) -> bool:
    """Whether two forenames are variants of one name. Where both are in the project's or the council's
    groups (British usage), the groups decide, whatever the dataset links: Ian is not John, Gary is not
    Gareth. Otherwise the nicknames dataset's direct links decide."""
    variants = variants or _variants()
    groups_a, groups_b = variants.groups.get(a), variants.groups.get(b)
    if groups_a and groups_b:
        return bool(groups_a & groups_b)
    return b in variants.links.get(a, frozenset())


# Phonetic codes and distances ------------------------------------------------------------------
@functools.lru_cache(maxsize=65536)
def metaphone(token: str) -> str:
    return jellyfish.metaphone(token) if token else ""


@functools.lru_cache(maxsize=65536)
def nysiis(token: str) -> str:
    return jellyfish.nysiis(token) if token else ""


def _sounds_alike(a: str, b: str) -> bool:
    return (metaphone(a) == metaphone(b) and len(metaphone(a)) > 1) or (nysiis(a) == nysiis(b) and len(a) > 2)


@functools.lru_cache(maxsize=65536)
def _spelling_agreement(a: str, b: str) -> Agreement:
    """Agreement of two full words from their spelling and sound only."""
    if a == b:
        return Agreement.EXACT
    if min(len(a), len(b)) >= 3 and DamerauLevenshtein.distance(a, b) == 1:
        return Agreement.SLIP
    similarity = JaroWinkler.similarity(a, b)
    if similarity >= JW_CLOSE or _sounds_alike(a, b):
        return Agreement.CLOSE
    if similarity >= JW_FAIR:
        return Agreement.FAIR
    return Agreement.NONE


def forename_relation(a: str, b: str) -> Agreement:
    """How two forenames (folded, as parsed) agree."""
    if a == b:
        return Agreement.EXACT
    if len(a) == 1 or len(b) == 1:
        return Agreement.INITIAL if a[0] == b[0] else Agreement.NONE
    variants = _variants()
    if are_variants(a, b, variants):
        return Agreement.VARIANT
    agreement = _spelling_agreement(a, b)
    if is_known_forename(a, variants) and is_known_forename(b, variants):
        # Two known names of different groups are different names (John is not Jane); one letter apart
        # (Jon, Joan) is worth a call at most.
        return Agreement.FAIR if agreement == Agreement.SLIP else Agreement.NONE
    return agreement


def surname_relation(a: frozenset[str], b: frozenset[str]) -> Agreement:
    """How two surnames agree, over every form each may be written in (Smith-Jones, Smith, Jones)."""
    if a & b:
        return Agreement.EXACT
    return max((_spelling_agreement(x, y) for x in a for y in b), default=Agreement.NONE)


# Parsing ------------------------------------------------------------------------------------------
class NameTooShort(ValueError):
    """A name too short to check (a first name or initial and a surname are needed)."""


@dataclass(frozen=True)
class ParsedName:
    """A person's name as the register check compares it.

    ``given``: forenames and initials in order (hyphenated ones also joined: mary, jane, maryjane);
    ``surnames``: every form the surname may be written in (smithjones, smith, jones; obrien, brien).
    """

    given: tuple[str, ...]
    surnames: frozenset[str]

    def to_json(self) -> dict[str, list[str]]:
        return {"g": list(self.given), "s": sorted(self.surnames)}

    @classmethod
    def from_json(cls, data: dict[str, list[str]]) -> ParsedName:
        return cls(given=tuple(data.get("g", ())), surnames=frozenset(data.get("s", ())))


def _canonical_surname(text: str) -> str:
    text = text.replace("-", "")
    if text.startswith("saint"):
        text = "st" + text[5:]
    if text.startswith("mac") and len(text) > 4:
        text = "mc" + text[3:]
    return text


def _split_hyphens(token: str) -> list[str]:
    parts = [p for p in token.split("-") if p]
    return parts + (["".join(parts)] if len(parts) > 1 else [])


def _from_tokens(given_tokens: list[str], surname_tokens: list[str]) -> ParsedName:
    while given_tokens and given_tokens[0] in TITLES:
        given_tokens.pop(0)
    while len(surname_tokens) == 1 and surname_tokens[0] in SUFFIXES and given_tokens:
        surname_tokens = [given_tokens.pop()]
    if surname_tokens and surname_tokens[-1] in SUFFIXES and len(surname_tokens) > 1:
        surname_tokens.pop()
    given: list[str] = []
    for token in given_tokens:
        for part in _split_hyphens(token):
            if part not in given and part not in SUFFIXES:
                given.append(part)
    surnames: set[str] = set()
    if surname_tokens:
        surnames.add(_canonical_surname("".join(surname_tokens)))
        core = [t for t in surname_tokens if t not in PARTICLES] or surname_tokens[-1:]
        surnames.add(_canonical_surname("".join(core)))
        for token in core:
            for part in _split_hyphens(token):
                surnames.add(_canonical_surname(part))
    surnames.discard("")
    return ParsedName(given=tuple(given), surnames=frozenset(surnames))


def parse_name(text: str) -> ParsedName:
    """Parse "Dr Jonathan O'Brien", "O'BRIEN, Jonathan", "J. O Brien", "Mary-Jane Smith-Jones"."""
    folded = fold_letters(text)
    if "," in folded:
        surname_part, _comma, given_part = folded.partition(",")
        return _from_tokens(given_part.replace(",", " ").split(), surname_part.split())
    tokens = folded.split()
    given_tokens, surname_tokens = tokens[:-1], tokens[-1:]
    # Particles before the last word belong to the surname: "Ludwig van der Berg", "Sean O Brien".
    while len(given_tokens) > 1 and given_tokens[-1] in PARTICLES:
        surname_tokens.insert(0, given_tokens.pop())
    return _from_tokens(given_tokens, surname_tokens)


def parse_reversed(text: str) -> ParsedName | None:
    """The name read surname first without a comma ("SMITH John"), or None where that reading is not
    possible (one word, a comma, or a first word that is a title or particle)."""
    folded = fold_letters(text)
    tokens = folded.split()
    if "," in folded or len(tokens) < 2 or tokens[0] in TITLES or tokens[0] in PARTICLES:
        return None
    name = _from_tokens(tokens[1:], tokens[:1])
    return name if name.given and name.surnames else None


def parse_query_name(text: str) -> ParsedName:
    name = parse_name(text)
    if not name.given or not name.surnames:
        raise NameTooShort(_("Give a first name or initial and a surname."))
    return name


# Grading two names -------------------------------------------------------------------------------
class NameGrade(IntEnum):
    """How a checked name agrees with one name of an entry, for the decision (matching.evidence)."""

    NONE = 0
    SURNAME_ONLY = 1  #: the entry records a surname only, and it agrees (exactly or within one slip)
    SIMILAR = 2       #: alike, but more than one slip apart, by sound, by an initial, or in another order
    ALIKE = 3         #: one slip in either the forename or the surname, or forename and surname swapped
    SAME = 4          #: the same surname, and the same forename or a known variant of it


FULL = (Agreement.EXACT, Agreement.VARIANT)


@dataclass(frozen=True)
class NameEvidence:
    grade: NameGrade
    surname: Agreement = Agreement.NONE
    forename: Agreement = Agreement.NONE
    reversed_order: bool = False

    @property
    def initial_only(self) -> bool:
        """The surname is the same and the forenames agree by an initial only ("J Smith")."""
        return self.surname == Agreement.EXACT and self.forename == Agreement.INITIAL

    def describe(self) -> str:
        text = f"{self.grade.name.lower()} (surname {self.surname.name.lower()}"
        if self.grade != NameGrade.SURNAME_ONLY:
            text += f", forename {self.forename.name.lower()}"
        return text + (", names in another order)" if self.reversed_order else ")")


def _grade(surname: Agreement, forename: Agreement) -> NameGrade:
    if surname == Agreement.EXACT and forename in FULL:
        return NameGrade.SAME
    if (surname == Agreement.EXACT and forename == Agreement.SLIP) or (surname == Agreement.SLIP and forename in FULL):
        return NameGrade.ALIKE
    if surname >= Agreement.FAIR and forename >= Agreement.INITIAL:
        return NameGrade.SIMILAR
    return NameGrade.NONE


def compare_names(query: ParsedName, stored: ParsedName) -> NameEvidence:
    """Grade a checked name against one stored name (the entry's name or an alias)."""
    surname = surname_relation(query.surnames, stored.surnames)
    if not stored.given:
        grade = NameGrade.SURNAME_ONLY if surname >= Agreement.SLIP else NameGrade.NONE
        return NameEvidence(grade, surname=surname)
    if surname < Agreement.FAIR:
        return NameEvidence(NameGrade.NONE, surname=surname)
    forename = forenames_relation(query.given, stored.given)
    return NameEvidence(_grade(surname, forename), surname=surname, forename=forename)


def forenames_relation(query: tuple[str, ...], stored: tuple[str, ...]) -> Agreement:
    """The best agreement between any checked forename and any recorded one (a middle name counts),
    at most FAIR when each side has a full forename the other lacks entirely ("John Paul" and "John
    Peter" are two sets of names, so probably two people)."""
    table = {(q, s): forename_relation(q, s) for q in query for s in stored}
    best = max(table.values(), default=Agreement.NONE)
    if best > Agreement.FAIR:
        lone_query = any(all(table[q, s] == Agreement.NONE for s in stored) for q in query if len(q) > 1)
        lone_stored = any(all(table[q, s] == Agreement.NONE for q in query) for s in stored if len(s) > 1)
        if lone_query and lone_stored:
            return Agreement.FAIR
    return best


def compare_reversed(query: ParsedName, stored: ParsedName) -> NameEvidence:
    """The same, for a name read surname first ("SMITH John"): the order is itself the one slip allowed,
    so only names that are otherwise the same count, as ALIKE (or a recorded surname, exactly)."""
    evidence = compare_names(query, stored)
    if evidence.grade == NameGrade.SAME:
        grade = NameGrade.ALIKE
    elif evidence.grade == NameGrade.SURNAME_ONLY and evidence.surname == Agreement.EXACT:
        grade = NameGrade.SURNAME_ONLY
    else:
        grade = NameGrade.NONE
    return NameEvidence(grade, evidence.surname, evidence.forename, reversed_order=True)
