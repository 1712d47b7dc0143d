"""Blocking keys: how the check finds the few entries worth scoring without reading the register.

Each name of a checkable entry (its subject's name and aliases) is filed under several keys in an
indexed table (``RegisterMatchKey``); a check computes the keys of the name it was given the same way
and looks them all up in one query, ranking entries by how many keys they share. Each kind of key
survives a different slip, so that one slip never loses the entry:

====== =========================================================== =======================================
prefix key                                                         still found when
====== =========================================================== =======================================
``n:`` forename's sound (Metaphone) or variant group + surname's    the spelling changes but not the sound;
       sound                                                       a nickname (Bob for Robert)
``f:`` forename with any one letter deleted + the exact surname    one slip in the forename
``e:`` surname with any one letter deleted + the exact forename    one slip in the surname
``d:`` the date of birth                                           any slip in the names, with the date
                                                                   of birth given (also day/month swapped,
                                                                   or one digit typed wrong)
``i:`` forename's initial + surname's sound                        the check gives only an initial
``x:`` an initial recorded on the entry + surname's sound          the entry records only an initial
``s:`` surname (sound, or one letter deleted), entry recorded       -
       with a surname only
====== =========================================================== =======================================

One letter deleted from each side meets for any single slip (the "deletion neighbourhood" of
SymSpell): "Blackwekl" and "Blackwell" share "Blackwel"; "Tobt" and "Toby" share "Tob".
"""

from __future__ import annotations

import datetime as dt

from .evidence import CheckQuery, dob_one_digit_away, dob_transposed
from .names import ParsedName, forename_variant_codes, metaphone

KEY_LENGTH = 100


def deletions(token: str) -> set[str]:
    """The word and the word with any one letter deleted (for words of three letters or more)."""
    if len(token) < 3:
        return {token}
    return {token} | {token[:i] + token[i + 1:] for i in range(len(token))}


def _forename_codes(token: str) -> set[str]:
    return {f"m{metaphone(token)}", *forename_variant_codes(token)}


def _surname_codes(surnames: frozenset[str]) -> set[str]:
    return {code for s in surnames if (code := metaphone(s))}


def _name_keys(name: ParsedName, *, stored: bool) -> set[str]:
    keys: set[str] = set()
    sounds = _surname_codes(name.surnames)
    full = [t for t in name.given if len(t) > 1]
    initials = [t for t in name.given if len(t) == 1]
    if stored and not name.given:
        keys |= {f"s:{sound}" for sound in sounds}
        keys |= {f"s:{d}" for surname in name.surnames for d in deletions(surname)}
        return keys
    if not stored:  # a checked name also meets entries recorded with a surname only
        keys |= {f"s:{sound}" for sound in sounds}
        keys |= {f"s:{d}" for surname in name.surnames for d in deletions(surname)}
    for token in full:
        codes = _forename_codes(token)
        keys |= {f"n:{code}|{sound}" for code in codes for sound in sounds}
        keys |= {f"f:{d}|{surname}" for d in deletions(token) for surname in name.surnames}
        keys |= {f"e:{d}|{token}" for surname in name.surnames for d in deletions(surname)}
        # A stored forename is found by a checked initial (i:); a checked forename finds stored initials (x:).
        keys |= {f"{'i' if stored else 'x'}:{token[0]}|{sound}" for sound in sounds}
    for initial in initials:
        keys |= {f"x:{initial}|{sound}" for sound in sounds}
        if not stored:
            keys |= {f"i:{initial}|{sound}" for sound in sounds}
    return keys


def _reversed_keys(name: ParsedName) -> set[str]:
    """The keys of a name read surname first: it only counts when otherwise the same (names exact or
    variants, or a recorded surname exactly), so the sound and variant keys are enough."""
    sounds = _surname_codes(name.surnames)
    keys = {f"s:{sound}" for sound in sounds} | {f"s:{surname}" for surname in name.surnames}
    for token in (t for t in name.given if len(t) > 1):
        keys |= {f"n:{code}|{sound}" for code in _forename_codes(token) for sound in sounds}
    return keys


def entry_keys(*, names: list[ParsedName], date_of_birth: dt.date | None) -> set[str]:
    """Every key a checkable entry is filed under."""
    keys: set[str] = set()
    for name in names:
        keys |= _name_keys(name, stored=True)
    if date_of_birth is not None:
        keys.add(f"d:{date_of_birth.isoformat()}")
    return {key[:KEY_LENGTH] for key in keys}


def query_keys(query: CheckQuery) -> set[str]:
    """Every key a check looks up."""
    keys = _name_keys(query.name, stored=False)
    if query.reversed_name is not None:
        keys |= _reversed_keys(query.reversed_name)
    if query.date_of_birth is not None:
        keys.add(f"d:{query.date_of_birth.isoformat()}")
        swapped = dob_transposed(query.date_of_birth)
        if swapped is not None:
            keys.add(f"d:{swapped.isoformat()}")
        # One digit typed wrong is a possible match: among many namesakes (more than a check scores), the
        # entry whose date is one digit away must still rank above those whose date is further off.
        keys |= {f"d:{near.isoformat()}" for near in dob_one_digit_away(query.date_of_birth)}
    return {key[:KEY_LENGTH] for key in keys}
