"""Is this incoming facility one we know? Exact on the cleaned name, address and country
first, then fuzzy (rapidfuzz) within the country, with a score from 0 to 100.

At or above ``AUTO_ACCEPT`` a fuzzy match is taken; between ``ASK`` and it a person
confirms or rejects it (the answer is remembered in ``MatchDecision``); below ``ASK``
the facility is new.
"""

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz, process

AUTO_ACCEPT = 92
ASK = 75

# Words that tell nothing apart: legal forms and the commonest address words.
_NOISE = frozenset(
    [
        "ltd",
        "limited",
        "pvt",
        "private",
        "co",
        "company",
        "inc",
        "llc",
        "sa",
        "srl",
        "gmbh",
        "plc",
        "corp",
        "corporation",
        "the",
        "and",
        "of",
        "road",
        "rd",
        "street",
        "st",
    ]
)


def clean(text):
    """Lower case, accents and punctuation off, noise words dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    return " ".join(w for w in words if w not in _NOISE)


def facility_key(name, address, country):
    return f"{(country or '').upper()}|{clean(name)}|{clean(address)}"[:600]


def _fuzzy_text(key):
    """The words of name (twice: two factories on one street share an address, not a
    name) and address, sorted: ``fuzz.ratio`` of two such texts is rapidfuzz's
    ``token_sort_ratio``, without sorting every candidate again for every query."""
    _, name, address = key.split("|", 2)
    return " ".join(sorted(f"{name} {name} {address}".split()))


@dataclass(frozen=True)
class Candidate:
    ref: object  # a facility id or an OS ID
    name: str
    address: str


@dataclass(frozen=True)
class Match:
    ref: object
    how: str  # "exact", "os_id", "fuzzy"
    score: int


class MatchIndex:
    """Candidates by exact key and, per country, for fuzzy search."""

    def __init__(self, candidates):
        """``candidates``: iterable of (key, Candidate)."""
        self.exact = {}
        self.by_ref = {}
        self._texts = {}  # country -> [text]
        self._refs = {}  # country -> [Candidate]
        for key, cand in candidates:
            self.exact.setdefault(key, cand)
            self.by_ref[cand.ref] = cand
            country = key.split("|", 1)[0]
            self._texts.setdefault(country, []).append(_fuzzy_text(key))
            self._refs.setdefault(country, []).append(cand)

    def find(self, key, *, exclude=()):
        """The best Match for ``key`` (exact, else the best fuzzy at or above ASK whose
        ref is not in ``exclude``), or None."""
        cand = self.exact.get(key)
        if cand is not None and cand.ref not in exclude:
            return Match(cand.ref, "exact", 100)
        country = key.split("|", 1)[0]
        texts = self._texts.get(country)
        if not texts:
            return None
        query = _fuzzy_text(key)
        for _text, score, i in process.extract(
            query, texts, scorer=fuzz.ratio, score_cutoff=ASK, limit=5
        ):
            cand = self._refs[country][i]
            if cand.ref not in exclude:
                return Match(cand.ref, "fuzzy", int(score))
        return None
