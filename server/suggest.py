"""Suggested clusters for the notes of one station (R29), from their Dutch texts.

Texts are lower-cased, split into words, stripped of Dutch stop words and stemmed with the
Snowball stemmer for Dutch (``snowballstemmer``); two notes are compared with RapidFuzz's
token-set ratio over their stems, which also catches compounds that share a stem
("stageplek" / "stages"). Notes are then grouped greedily in their order: a note joins the
suggested cluster it is most similar to on average, when that is above the threshold, or starts
a new one. The same notes in the same order always give the same suggestions.

The grouping compares every note with the clusters made so far: its cost grows with the square
of the notes (2,000 notes took 11 s). So at most ``MAX_COMPARED`` notes, the first in reading
order, are compared in one request, in a worker process (R44); the answer says how many of how
many, and once the facilitator has clustered those, asking again suggests for the rest.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import snowballstemmer
from rapidfuzz import fuzz

# Common Dutch function words, plus the words nearly every note in this programme shares
# (it is about vmbo and mbo working together), which say nothing about a note's theme.
_STOP_TEXT = """
aan al alle alleen als altijd ander andere anders ben bij bijvoorbeeld bv dan dat de deze die
dit doen door dus een eens en er ergens erg ga gaan gaat geen had heb hebben heeft hem het hier
hij hoe hun iets ik in is ja je jij jullie kan kun kunnen maar me meer men met mij mijn moet
moeten na naar nee niet niets nog nu of om omdat onder ons onze ook op over te tegen toch toe
tot u uit uw van veel voor waar wanneer want was wat we wel welke werd wie wij wil wij worden
wordt zal ze zelf zich zij zijn zo zonder zou zouden instrument tool hoek plaat goed beter mooi
graag echt heel even erbij vmbo mbo school scholen onderwijs techniek samen samenwerking
samenwerken
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
WORD = re.compile(r"[a-zà-ÿ0-9]+")
THRESHOLD = 45.0  # token-set ratio (0-100) to join a cluster
# R44: notes compared in one request (about a second of a worker's time), and up to how many
# the work is done on the spot (a worker's round trip costs more than a few milliseconds).
MAX_COMPARED = 600
INLINE_UP_TO = 40


@dataclass
class Suggestion:
    title: str
    keys: list[str] = field(default_factory=list)


_stemmer = snowballstemmer.stemmer("dutch")


def words(text: str) -> list[str]:
    return [w for w in WORD.findall(text.lower()) if len(w) > 2 and w not in STOP_WORDS]


def stems(text: str) -> list[str]:
    return list(_stemmer.stemWords(words(text)))


def similarity(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 0.0
    return float(fuzz.token_set_ratio(" ".join(sorted(set(a))), " ".join(sorted(set(b)))))


def suggest(notes: Sequence[tuple[str, str]], threshold: float = THRESHOLD) -> list[Suggestion]:
    """Clusters of two or more notes, from (key, text) pairs in reading order."""
    tokens = [stems(text) for _, text in notes]
    groups: list[list[int]] = []
    for i, mine in enumerate(tokens):
        if not mine:
            continue
        best, best_score = -1, threshold
        for g, members in enumerate(groups):
            score = sum(similarity(mine, tokens[j]) for j in members) / len(members)
            if score >= best_score:
                best, best_score = g, score
        if best < 0:
            groups.append([i])
        else:
            groups[best].append(i)
    out = []
    for members in groups:
        if len(members) < 2:
            continue
        out.append(Suggestion(_title([notes[j][1] for j in members]),
                              [notes[j][0] for j in members]))
    return out


def _title(texts: list[str]) -> str:
    """The word (as written) whose stem most notes of the cluster share."""
    by_stem: Counter[str] = Counter()
    surface: dict[str, Counter[str]] = {}
    for text in texts:
        seen = set()
        for w in words(text):
            stem = _stemmer.stemWord(w)
            surface.setdefault(stem, Counter())[w] += 1
            if stem not in seen:
                seen.add(stem)
                by_stem[stem] += 1
    if not by_stem:
        return "Cluster"
    stem = min(by_stem, key=lambda s: (-by_stem[s], s))
    word = min(surface[stem], key=lambda w: (-surface[stem][w], w))
    return word[:1].upper() + word[1:]
