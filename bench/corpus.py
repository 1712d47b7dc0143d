"""A labelled corpus for the register check: people on the register, the checks frontline staff type
for them (with the slips people make), and as many people who are not on it.

Deterministic for a seed, and independent of ``safety_workflow.matching``: its name frequencies,
nicknames and sound-alike spellings are its own tables (so the matcher is not graded on its own
data). Importable without Django; ``load`` writes a generated register into the database.

    corpus = generate(members=5_000, seed=2026)
    corpus.register[0]            # Person(forename="david", middle="", surname="smith", ...)
    corpus.queries[0]             # Query(name="DAVID SMTIH", date_of_birth=..., kinds=("typo_surname",), target=0)

Every member of the register gets one check and so does every non-member. A check's corruptions
(``kinds``) are drawn from ``SCENARIOS`` below, the same way for members and non-members; how the name
is written (case, "SURNAME, Forename", a title, the middle name or not) varies on top of that and is
not counted as a slip.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass, field
from typing import Any

# Name pools (lower case), most frequent first. Frequencies follow a Zipf-like law over the ranks
# (exponent 0.5 for forenames, 0.55 for surnames), so that the commonest forename is about 4% of men
# or women and the commonest surname about 1.5% of people, roughly as in England and Wales for people
# born 1945-2006. Accents are as people write them.
MALE = (
    "david john paul michael andrew mark james peter richard robert stephen christopher ian gary steven "
    "anthony simon kevin thomas martin daniel matthew william jason lee neil graham alan colin keith brian "
    "philip stuart craig darren wayne dean carl shaun adam jonathan nicholas timothy patrick edward george "
    "jack harry oliver charlie liam ryan jamie luke scott benjamin samuel joseph alexander kieran nathan "
    "gareth rhys dylan owen aled emyr gethin iwan dafydd huw llŷr sion mohammed muhammad ahmed ali imran "
    "tariq asif bilal hassan omar usman zain hamza yusuf ibrahim arjun rohan sanjay rajesh vikram harpreet "
    "gurpreet jaswinder seán ciaran declan connor eoin padraig tomasz piotr krzysztof marek pawel andrzej "
    "kwame kofi chinedu emeka oluwaseun tunde delroy winston leroy desmond trevor barry derek malcolm roger "
    "terence kenneth raymond ronald norman geoffrey leslie dennis frank harold arthur albert victor vincent "
    "russell clive howard gordon douglas duncan fraser angus callum ewan hamish ross"
).split()
FEMALE = (
    "susan sarah karen julie helen lisa claire catherine elizabeth emma rachel nicola joanne jane amanda "
    "louise michelle angela deborah tracy donna kelly jennifer laura hannah rebecca gemma amy margaret "
    "mary patricia linda christine janet carol alison jacqueline kathryn katherine victoria charlotte "
    "natalie samantha stephanie lucy sophie jessica chloe olivia emily grace ellie zoë megan bethan rhian "
    "siân ffion cerys nia eleri catrin gwen angharad lowri fatima aisha zainab maryam ayesha nadia sana "
    "shabana parveen priya anjali sunita kiran harjit manpreet siobhan niamh aoife orla róisín agnieszka "
    "katarzyna magdalena joanna anna monika abena ngozi chioma funmilayo yetunde marcia beverley "
    "jacqui sandra brenda pauline maureen sheila valerie doreen irene jean joan eileen hazel wendy "
    "denise lorraine dawn tina gillian fiona heather morag kirsty shona eilidh ailsa"
).split()
COMMON_SURNAMES = (
    "smith jones williams taylor brown davies evans wilson thomas johnson roberts robinson thompson wright "
    "walker white edwards hughes green hall lewis harris clarke patel jackson wood turner martin cooper hill "
    "ward morris moore clark lee king baker harrison morgan allen james scott phillips watson davis parker "
    "price bennett young griffiths mitchell kelly cook carter richardson bailey collins bell shaw murphy "
    "miller cox richards khan marshall anderson simpson ellis adams singh begum wilkinson foster chapman "
    "powell webb rogers gray mason ali hunt hussain campbell matthews owen palmer holmes mills barnes knight "
    "lloyd butler russell barker fisher stevens jenkins murray dixon harvey graham pearson ahmed fletcher "
    "walsh kaur gibson howard andrews stewart elliott reynolds saunders payne fox ford pearce day brooks "
    "west lawrence cole atkinson bradley spencer gill dawson ball burton o'brien watts rose booth perry ryan "
    "grant wells armstrong francis rees hayes hart hudson newman barrett webster hunter gregory carr lowe "
    "page marsh riley dunn woods parsons berry stone reid holland hawkins harding porter robertson newton "
    "oliver reed kennedy williamson bird gardner shah dean lane cooke bates henderson parry burgess bishop "
    "walton burns nicholson shepherd ross cross long freeman warren nicholls hamilton byrne sutton mcdonald "
    "yates hodgson robson curtis hopkins o'connor harper coleman watkins moss mccarthy chambers macleod "
    "kowalski nowak wiśniewski okafor adeyemi mensah nguyen chen wong sharma chaudhry mahmood iqbal akhtar "
    "rahman choudhury sheikh mirza"
).split()
# The long tail of rarer surnames, built like English place-name surnames (Ashworth, Bradley,
# Holmfirth...): some real, none frequent, about 17,000 of them, so that most people in the tail share
# their surname with nobody else in a register of a few thousand, as in life.
_FIRST = ("ash", "brad", "hol", "black", "white", "green", "kirk", "mar", "ather", "bram", "stan", "whit",
          "hart", "brom", "cal", "wad", "lang", "shel", "dun", "fair", "hay", "pick", "ram", "thorn", "wal",
          "win", "wood", "brig", "cross", "eld", "hal", "ken", "mid", "nor", "ox", "pen", "rad", "ac", "al",
          "bar", "bel", "bick", "bur", "chad", "chis", "cot", "dal", "den", "ead", "fern", "gar", "gil", "hep",
          "hind", "lock", "mow", "nut", "ot", "pres", "rid", "sed", "stock", "tod", "wig", "wool", "yar")
_MIDDLE = ("", "er", "ing", "en", "s", "le", "wor", "mer")
_LAST = ("worth", "ley", "ton", "field", "by", "ham", "well", "wood", "shaw", "croft", "stead", "hurst",
         "bury", "dale", "gate", "thwaite", "more", "ridge", "brook", "cliffe", "combe", "hall", "den", "don",
         "ford", "holme", "land", "low", "man", "wick", "ington", "stone", "thorpe", "well", "wright", "ward")
RARE_SURNAMES = tuple(sorted({a + m + b for a in _FIRST for m in _MIDDLE for b in _LAST}))
#: Share of people whose surname is among COMMON_SURNAMES (in England and Wales, the 300 commonest
#: surnames are borne by about 40% of people).
COMMON_SURNAME_SHARE = 0.4
DOUBLE_BARRELLED_SHARE = 0.02
SURNAME_ONLY_SHARE = 0.02   # entries recorded with a surname only (the forename never known)

# Short forms people give for their forename (the generator's own table, British usage).
NICKNAMES = {
    "david": ["dave", "davy", "dai"], "john": ["jon", "johnny", "jack"], "michael": ["mike", "mick", "micky"],
    "andrew": ["andy", "drew"], "james": ["jim", "jimmy", "jamie"], "peter": ["pete"],
    "richard": ["rich", "rick", "dick", "richie"], "robert": ["rob", "bob", "bobby", "robbie"],
    "stephen": ["steve", "stevie"], "steven": ["steve", "stevie"], "christopher": ["chris", "kit"],
    "anthony": ["tony", "ant"], "thomas": ["tom", "tommy"], "daniel": ["dan", "danny"],
    "matthew": ["matt", "matty"], "william": ["will", "bill", "billy", "liam"], "nicholas": ["nick", "nicky"],
    "timothy": ["tim"], "edward": ["ed", "eddie", "ted"], "benjamin": ["ben", "benji"],
    "samuel": ["sam", "sammy"], "joseph": ["joe", "joey"], "alexander": ["alex", "sandy", "alec"],
    "jonathan": ["jon", "jonny"], "philip": ["phil"], "kenneth": ["ken", "kenny"], "raymond": ["ray"],
    "ronald": ["ron", "ronnie"], "terence": ["terry", "tel"], "geoffrey": ["geoff"], "leslie": ["les"],
    "dennis": ["den"], "frank": ["frankie"], "harold": ["harry", "hal"], "albert": ["bert", "al"],
    "gareth": ["gaz"], "gary": ["gaz"], "mohammed": ["mo", "mohd"], "muhammad": ["mo", "md"],
    "patrick": ["pat", "paddy"], "douglas": ["doug", "dougie"], "gordon": ["gordie"], "callum": ["cal"],
    "susan": ["sue", "susie"], "elizabeth": ["liz", "beth", "lizzie", "betty"], "catherine": ["cath", "kate", "cathy"],
    "katherine": ["kate", "kath", "katie"], "kathryn": ["kath", "kate", "kathy"], "rebecca": ["becky", "becca"],
    "deborah": ["debbie", "deb"], "jennifer": ["jenny", "jen"], "margaret": ["maggie", "peggy", "meg"],
    "patricia": ["pat", "trish", "tricia"], "victoria": ["vicky", "tori"], "samantha": ["sam", "sammy"],
    "stephanie": ["steph"], "jacqueline": ["jackie", "jacqui"], "christine": ["chris", "chrissie"],
    "charlotte": ["charlie", "lottie"], "alexandra": ["alex", "lexi"], "natalie": ["nat"],
    "amanda": ["mandy"], "nicola": ["nicky", "nikki"], "abigail": ["abby"], "gillian": ["gill", "jill"],
    "valerie": ["val"], "pauline": ["paula"], "josephine": ["jo", "josie"], "joanne": ["jo"],
    "louise": ["lou"], "jessica": ["jess"], "eleanor": ["ellie", "nell"], "gwen": ["gwenda"],
}
# Spellings of a surname that sound the same (the generator's own table).
SOUNDALIKES = {
    "smith": ["smyth", "smithe"], "thompson": ["thomson", "tompson"], "clarke": ["clark"], "clark": ["clarke"],
    "phillips": ["philips", "phillipps"], "matthews": ["mathews"], "reid": ["reed", "read"], "reed": ["reid"],
    "gray": ["grey"], "stevens": ["stephens"], "davies": ["davis", "davey"], "davis": ["davies"],
    "mcdonald": ["macdonald", "mcdonnell"], "pearce": ["pierce", "pearse"], "dixon": ["dickson"],
    "lloyd": ["loyd"], "hughes": ["hews"], "stewart": ["stuart"], "nicholls": ["nichols", "nickolls"],
    "hussain": ["hussein", "husain"], "mohammed": ["mohamed"], "chaudhry": ["choudhury", "chowdhury"],
    "o'brien": ["o'brian", "obrien"], "byrne": ["burn", "byrn"], "macleod": ["mcleod"],
    "rees": ["reece", "rhys"], "parry": ["perry"], "cooke": ["cook"], "cook": ["cooke"], "lowe": ["low"],
    "hart": ["heart"], "wright": ["right"], "burgess": ["burges"], "watkins": ["watkin"],
    "jenkins": ["jenkin"], "griffiths": ["griffith"], "gibson": ["gibbson"], "shaw": ["shore"],
}
KEYBOARD = {
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij", "i": "uok", "o": "ipl",
    "p": "ol", "a": "qsz", "s": "awdz", "d": "sefx", "f": "drgc", "g": "fthv", "h": "gyjb", "j": "hukn",
    "k": "jilm", "l": "kop", "z": "asx", "x": "zsdc", "c": "xdfv", "v": "cfgb", "b": "vghn", "n": "bhjm",
    "m": "njk",
}
AREAS = ("HD", "LS", "BD", "HX", "WF", "S", "M", "DH", "NE", "SR", "CF", "SA", "LL", "B", "L", "YO", "DN")
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
TITLES = ("Mr", "Mrs", "Ms", "Miss", "Dr")

#: What can go wrong in a check (weights, out of 100). Members and non-members are drawn alike;
#: a scenario that does not apply to a person (no nickname known, a day above 12...) is redrawn.
SCENARIOS: dict[tuple[str, ...], float] = {
    (): 15,                                  # typed right (the writing may still vary)
    ("typo_forename",): 12.5,                # one slip in the forename
    ("typo_surname",): 12.5,                 # one slip in the surname
    ("nickname",): 8,
    ("soundalike_surname",): 4,              # Smyth for Smith, Thomson for Thompson
    ("no_dob",): 10,                         # date of birth not known
    ("dob_digit",): 8,                       # one digit of the date of birth wrong
    ("dob_swap",): 5,                        # day and month swapped (04/03 for 03/04)
    ("pasted",): 7,                          # invisible characters, full-width letters, decomposed accents
    ("reversed",): 3,                        # surname first, without a comma
    ("typo_forename", "no_dob"): 2.5,
    ("typo_surname", "no_dob"): 2.5,
    ("nickname", "no_dob"): 3,
    ("typo_surname", "dob_digit"): 3,
    ("typo_forename", "typo_surname"): 2,
    ("pasted", "typo_surname"): 2,
}
#: The single-character slips (each is one edit: a letter wrong, dropped, doubled, added, or two swapped).
SLIP_KINDS = ("substitute", "transpose", "drop", "double", "insert")
NAME_SLIPS = frozenset({"typo_forename", "typo_surname"})


@dataclass(frozen=True)
class Person:
    """A person, with what the register records about them (``*_recorded``)."""

    forename: str
    surname: str
    date_of_birth: dt.date
    middle: str = ""
    postcode: str = ""          # where they live now (what an officer may be given)
    address: str = ""
    recorded_postcode: str = ""  # the postcode on the register entry ("" if none); may be an old one
    aliases: tuple[str, ...] = ()
    sex: str = "m"
    forename_recorded: bool = True   # False: an entry recorded with a surname only
    dob_recorded: bool = True

    @property
    def full_name(self) -> str:
        """The name on the register entry."""
        words = (self.forename, self.middle) if self.forename_recorded else ()
        return " ".join(_title(w) for w in (*words, self.surname) if w)

    @property
    def recorded_dob(self) -> dt.date | None:
        return self.date_of_birth if self.dob_recorded else None


@dataclass(frozen=True)
class Query:
    name: str
    date_of_birth: dt.date | None
    postcode: str
    kinds: tuple[str, ...]
    slips: tuple[str, ...] = ()      # which single-character slips were made, if any
    target: int | None = None        # index in Corpus.register, or None for a person not on it
    outsider: int | None = None      # for a person not on it: index in Corpus.non_members

    @property
    def single_slip(self) -> bool:
        """One slip in one name and nothing else wrong (the issue's "single-character slip")."""
        return len(self.kinds) == 1 and self.kinds[0] in NAME_SLIPS


@dataclass
class Corpus:
    seed: int
    register: list[Person]
    queries: list[Query] = field(default_factory=list)
    non_members: list[Person] = field(default_factory=list)

    @property
    def member_queries(self) -> list[Query]:
        return [q for q in self.queries if q.target is not None]

    @property
    def non_member_queries(self) -> list[Query]:
        return [q for q in self.queries if q.target is None]


# Drawing people -----------------------------------------------------------------------------------
def _zipf(names: tuple[str, ...] | list[str], exponent: float) -> list[float]:
    return [1 / (rank + 1) ** exponent for rank in range(len(names))]


class _Pools:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.male_weights = _zipf(MALE, 0.5)
        self.female_weights = _zipf(FEMALE, 0.5)
        self.common_weights = _zipf(COMMON_SURNAMES, 0.55)

    def forename(self, sex: str) -> str:
        names, weights = (MALE, self.male_weights) if sex == "m" else (FEMALE, self.female_weights)
        return self.rng.choices(names, weights)[0]

    def surname(self) -> str:
        rng = self.rng
        if rng.random() < DOUBLE_BARRELLED_SHARE:
            return f"{self._single()}-{self._single()}"
        return self._single()

    def _single(self) -> str:
        rng = self.rng
        if rng.random() < COMMON_SURNAME_SHARE:
            return rng.choices(COMMON_SURNAMES, self.common_weights)[0]
        return rng.choice(RARE_SURNAMES)

    def dob(self) -> dt.date:
        return dt.date(1945, 1, 1) + dt.timedelta(days=self.rng.randrange((dt.date(2006, 12, 31)
                                                                            - dt.date(1945, 1, 1)).days))

    def postcode(self) -> str:
        rng = self.rng
        return (f"{rng.choice(AREAS)}{rng.randrange(1, 30)} {rng.randrange(1, 10)}"
                f"{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}")

    def person(self, *, register: bool, surname: str | None = None) -> Person:
        rng = self.rng
        sex = rng.choice("mf")
        forename = self.forename(sex)
        middle = self.forename(sex) if rng.random() < 0.35 else ""
        surname = surname or self.surname()
        postcode = self.postcode()
        address = f"{rng.randrange(1, 220)} {_title(rng.choice(RARE_SURNAMES))} Road"
        recorded_postcode = ""
        if register and rng.random() < 0.6:
            # 85% still live at the address recorded; the others have moved since.
            recorded_postcode = postcode if rng.random() < 0.85 else self.postcode()
        aliases: tuple[str, ...] = ()
        forename_recorded = not (register and rng.random() < SURNAME_ONLY_SHARE)
        if register and forename_recorded and rng.random() < 0.1:
            if sex == "f" and rng.random() < 0.5:  # a former surname
                aliases = (f"{_title(forename)} {_title(self.surname())}",)
            else:  # a name used on the street
                aliases = (f"{_title(self.forename(sex))} {_title(self.surname())}",)
        return Person(forename=forename, surname=surname, date_of_birth=self.dob(), middle=middle,
                      postcode=postcode, address=address, recorded_postcode=recorded_postcode, aliases=aliases,
                      sex=sex, forename_recorded=forename_recorded,
                      dob_recorded=not register or rng.random() < 0.85)


# Writing a check ---------------------------------------------------------------------------------
def _title(word: str) -> str:
    return "-".join("'".join(p[:1].upper() + p[1:] for p in part.split("'")) for part in word.split("-"))


def _slip(word: str, rng: random.Random) -> tuple[str, str]:
    """One single-character slip in ``word`` (letters only are touched): which kind, and the result."""
    letters = [i for i, ch in enumerate(word) if ch.isalpha() and ch.isascii()]
    if len(letters) < 2:
        return "none", word
    for _ in range(20):
        kind = rng.choice(SLIP_KINDS)
        i = rng.choice(letters)
        ch = word[i]
        if kind == "substitute":
            new = word[:i] + rng.choice(KEYBOARD.get(ch, "aeiou")) + word[i + 1:]
        elif kind == "transpose":
            j = i + 1
            if j >= len(word) or not word[j].isalpha() or word[j] == ch:
                continue
            new = word[:i] + word[j] + ch + word[j + 1:]
        elif kind == "drop":
            new = word[:i] + word[i + 1:]
        elif kind == "double":
            new = word[:i] + ch + word[i:]
        else:  # insert a neighbouring key
            new = word[:i] + rng.choice(KEYBOARD.get(ch, "aeiou")) + word[i:]
        if new != word:
            return kind, new
    return "none", word


def _dob_digit(value: dt.date, rng: random.Random) -> dt.date | None:
    text = value.strftime("%Y%m%d")
    for _ in range(50):
        i = rng.randrange(8)
        digit = rng.choice([d for d in "0123456789" if d != text[i]])
        candidate = text[:i] + digit + text[i + 1:]
        try:
            new = dt.datetime.strptime(candidate, "%Y%m%d").date()
        except ValueError:
            continue
        if dt.date(1900, 1, 1) <= new <= dt.date(2010, 12, 31):
            return new
    return None


def _paste(name: str, rng: random.Random) -> str:
    """What copying a name from an e-mail, a PDF or a web form can add."""
    damage = rng.sample(["zwsp", "nbsp", "bidi", "fullwidth", "bom", "soft_hyphen", "decomposed"], k=rng.choice((1, 2)))
    if "fullwidth" in damage:
        name = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name)
    if "decomposed" in damage:
        name = unicodedata.normalize("NFD", name)
        if name == unicodedata.normalize("NFC", name):  # nothing to decompose: add what a bad paste adds
            name = name.replace(" ", "\u0301 ", 1) if " " in name else name + "\u0301"
    if "nbsp" in damage:
        name = name.replace(" ", "\u00a0")
    if "zwsp" in damage:
        i = rng.randrange(1, max(2, len(name)))
        name = name[:i] + rng.choice(["\u200b", "\u200c", "\u200d", "\u2060"]) + name[i:]
    if "soft_hyphen" in damage:
        i = rng.randrange(1, max(2, len(name)))
        name = name[:i] + "\u00ad" + name[i:]
    if "bidi" in damage:
        name = rng.choice(["\u200f", "\u200e", "\u202b", "\u2067"]) + name + rng.choice(["\u202c", "\u2069", "\u200f"])
    if "bom" in damage:
        name = "\ufeff" + name
    return name


def _write(forename: str, middle: str, surname: str, *, reversed_order: bool, rng: random.Random) -> str:
    """The name as someone types it: case, order, title and middle name vary."""
    case = rng.choices(("title", "upper", "lower"), (70, 15, 15))[0]
    style = (lambda w: _title(w)) if case == "title" else (str.upper if case == "upper" else str.lower)
    given = [forename] + ([middle] if middle and rng.random() < 0.25 else [])
    if reversed_order:
        return f"{style(surname)} {' '.join(style(g) for g in given)}"
    if rng.random() < 0.1:
        return f"{style(surname).upper()}, {' '.join(style(g) for g in given)}"
    title = f"{rng.choice(TITLES)} " if rng.random() < 0.05 else ""
    return f"{title}{' '.join(style(g) for g in given)} {style(surname)}"


def _applies(kinds: tuple[str, ...], person: Person, forename: str) -> bool:
    if "nickname" in kinds and forename not in NICKNAMES:
        return False
    if "soundalike_surname" in kinds and person.surname not in SOUNDALIKES:
        return False
    if "dob_swap" in kinds and (person.date_of_birth.day > 12
                                or person.date_of_birth.day == person.date_of_birth.month):
        return False
    return True


def write_query(person: Person, *, rng: random.Random, target: int | None) -> Query:
    """One check about ``person``, with a scenario's corruptions."""
    forename = person.forename
    scenarios, weights = list(SCENARIOS), list(SCENARIOS.values())
    while True:
        kinds = rng.choices(scenarios, weights)[0]
        if _applies(kinds, person, forename):
            break
    surname, slips = person.surname, []
    if "nickname" in kinds:
        forename = rng.choice(NICKNAMES[forename])
    if "soundalike_surname" in kinds:
        surname = rng.choice(SOUNDALIKES[surname])
    if "typo_forename" in kinds:
        slip, forename = _slip(forename, rng)
        slips.append(slip)
    if "typo_surname" in kinds:
        slip, surname = _slip(surname, rng)
        slips.append(slip)
    name = _write(forename, person.middle, surname, reversed_order="reversed" in kinds, rng=rng)
    if "pasted" in kinds:
        name = _paste(name, rng)
    dob: dt.date | None = person.date_of_birth
    if "no_dob" in kinds:
        dob = None
    elif "dob_digit" in kinds:
        dob = _dob_digit(person.date_of_birth, rng)
    elif "dob_swap" in kinds:
        dob = person.date_of_birth.replace(day=person.date_of_birth.month, month=person.date_of_birth.day)
    # The officer has the address of the meeting or the visit for about a third of checks.
    postcode = person.postcode if rng.random() < 0.35 else ""
    return Query(name=name, date_of_birth=dob, postcode=postcode, kinds=kinds, slips=tuple(slips), target=target)


def generate(*, members: int = 5_000, non_members: int | None = None, seed: int = 2026,
             share_surname: float = 0.6) -> Corpus:
    """``members`` people on the register, one check for each, and ``non_members`` (as many by
    default) checks for people who are not on it, ``share_surname`` of them sharing a surname with
    someone on it. A non-member never has the same forename, surname and date of birth as a member
    (no check could tell those two apart)."""
    rng = random.Random(seed)
    pools = _Pools(rng)
    register = [pools.person(register=True) for _ in range(members)]
    queries: list[Query] = []
    for index, person in enumerate(register):
        queries.append(write_query(person, rng=rng, target=index))
    taken = {(p.forename, p.surname, p.date_of_birth) for p in register}
    outsiders: list[Person] = []
    for _ in range(members if non_members is None else non_members):
        surname = rng.choice(register).surname if rng.random() < share_surname else None
        while True:
            person = pools.person(register=False, surname=surname)
            if (person.forename, person.surname, person.date_of_birth) not in taken:
                break
        outsiders.append(person)
        query = write_query(person, rng=rng, target=None)
        queries.append(Query(**{**query.__dict__, "outsider": len(outsiders) - 1}))
    order = list(range(len(queries)))
    rng.shuffle(order)
    return Corpus(seed=seed, register=register, queries=[queries[i] for i in order], non_members=outsiders)


# Loading a register into the database -------------------------------------------------------------
def load(register: list[Person], *, proposed_by: Any, reference_prefix: str = "CORPUS",
         batch: int = 2_000) -> list[Any]:
    """Write ``register`` as active entries (with their subjects, aliases, addresses, one mitigation
    and matching keys) with ``bulk_create``; returns the entries' ids in the register's order.
    Filing goes through ``matching.entry_profile``, as ``services.register.register_entry_index`` does."""
    import uuid

    from django.db import transaction
    from django.utils import timezone

    from safety_workflow import matching
    from safety_workflow.models import (
        RegisterAddress,
        RegisterAlias,
        RegisterEntry,
        RegisterMatchKey,
        RegisterMitigation,
        Subject,
    )

    today = timezone.localdate()
    ids: list[Any] = []
    for start in range(0, len(register), batch):
        subjects, entries, keys, mitigations, aliases, addresses = [], [], [], [], [], []
        for n, person in enumerate(register[start:start + batch], start=start):
            dob = person.recorded_dob
            subject = Subject(id=uuid.uuid4(), full_name=person.full_name, date_of_birth=dob)
            rows = [(person.address, person.recorded_postcode)] if person.recorded_postcode else []
            profile, entry_keys = matching.entry_profile(names=[person.full_name, *person.aliases],
                                                         date_of_birth=dob, addresses=rows)
            entry = RegisterEntry(
                id=uuid.uuid4(), reference=f"{reference_prefix}-{n + 1:06d}", subject=subject,
                state=RegisterEntry.State.ACTIVE, reasons="Corpus entry.", date_of_birth=dob,
                advice_contact_name="Health and Safety", advice_contact_phone="01484 000000",
                match_profile=profile, proposed_by=proposed_by, review_due_on=today + dt.timedelta(days=365),
            )
            subjects.append(subject)
            entries.append(entry)
            keys += [RegisterMatchKey(entry=entry, key=k) for k in entry_keys]
            mitigations.append(RegisterMitigation(entry=entry, kind="meet_in_pairs"))
            aliases += [RegisterAlias(entry=entry, name=a) for a in person.aliases]
            addresses += [RegisterAddress(entry=entry, address=a, postcode=matching.postcode_in(p)) for a, p in rows]
            ids.append(entry.id)
        with transaction.atomic():
            Subject.objects.bulk_create(subjects)
            RegisterEntry.objects.bulk_create(entries)
            RegisterMatchKey.objects.bulk_create(keys, batch_size=5_000)
            RegisterMitigation.objects.bulk_create(mitigations)
            RegisterAlias.objects.bulk_create(aliases)
            RegisterAddress.objects.bulk_create(addresses)
    return ids
