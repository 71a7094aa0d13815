"""CHAIR (Rohrbach et al. 2018): which COCO objects an answer mentions, and how many of
them the image does not hold.

In: an answer's text (English, Chinese, or both mixed), a :class:`Vocabulary` built from
the CHAIR synonym list (``category_name`` -> its synonyms, the landed ``chair_synonyms``
table) and the Chinese category names (``seeds/coco_category_names.csv``), and per answer
the set of categories its image(s) hold. Out: :class:`Mention` s and :class:`ChairScores`:

- ``CHAIR_i`` = hallucinated mentions / all mentions (each occurrence counts, as in the
  reference implementation);
- ``CHAIR_s`` = answers with at least one hallucinated mention / all answers.

English mention extraction follows the reference implementation:
- lower-case, split into words of Latin letters (anything else separates words, so
  "dog's" is "dog" and "s");
- multi-word phrases first, longest first, so "hot dog" is one hot dog and never a
  dog, "teddy bear" never a bear, "wine glasses" a wine glass;
- the reference's special phrases: "baby <animal>" / "adult <animal>" are the animal
  (not a person), "passenger jet" / "passenger train" the vehicle (not a person),
  "toilet seat" a toilet (not a chair), "bow tie" a tie; "home plate" and "train track"
  are no object at all (not a train);
- a word (or a phrase's last word) that is not in the list as written is singularised
  (regular plurals, -ies, -ches/-shes/-sses/-xes, -men, and irregulars such as
  people -> person, children -> child, mice -> mouse, knives -> knife, geese -> goose,
  oxen -> ox, TVs -> tv) and looked up again.

Chinese: the text is scanned left to right for the categories' Chinese names, longest
first, so 热狗 (hot dog) is not 狗 (dog), 泰迪熊 (teddy bear) not 熊 (bear) and 单板滑雪板
(snowboard) not 滑雪板 (skis). Both scans run on every text; they cannot overlap because
one reads only Latin letters and the other only the Chinese names.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

ANIMAL_WORDS: tuple[str, ...] = ("bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear",
                                 "zebra", "giraffe", "animal", "cub")
"""Nouns that a "baby"/"adult" qualifier belongs to (the reference implementation's list)."""

VEHICLE_WORDS: tuple[str, ...] = ("jet", "train")
"""Nouns that a "passenger" qualifier belongs to."""

NON_OBJECT_PHRASES: tuple[str, ...] = ("home plate", "train track")
"""Phrases that contain an object word but name no COCO object."""

IRREGULAR_PLURALS: Mapping[str, str] = {
    "people": "person", "persons": "person", "men": "man", "children": "child", "grandchildren": "grandchild",
    "mice": "mouse", "geese": "goose", "oxen": "ox", "teeth": "tooth", "feet": "foot",
    "knives": "knife", "pocketknives": "pocketknife", "wives": "wife", "leaves": "leaf",
    "calves": "calf", "halves": "half", "shelves": "shelf", "loaves": "loaf", "wolves": "wolf",
    "scarves": "scarf", "thieves": "thief", "lives": "life", "buses": "bus", "minibuses": "minibus",
    "tvs": "tv", "dice": "die", "cacti": "cactus", "buffaloes": "buffalo", "tomatoes": "tomato",
    "potatoes": "potato", "heroes": "hero", "volcanoes": "volcano",
}
"""Plurals the suffix rules get wrong."""

_UNCHANGED_ENDINGS = ("ss", "us", "is", "os")
_LATIN_WORD = re.compile(r"[a-z]+")


def singularize(word: str) -> str:
    """The singular of an English noun (lower-case in, lower-case out).

    Irregulars from :data:`IRREGULAR_PLURALS`; then -ies -> -y ("ponies"), -men -> -man
    ("policemen"), -sses/-ches/-shes/-xes/-zes lose "es" ("glasses", "benches"),
    other words ending in -s lose it unless they end in -ss/-us/-is/-os ("bus", "glass").
    Words that are not plurals come back unchanged ("sheep", "person").
    """
    if word in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("men"):
        return word[:-3] + "man"
    if word.endswith(("sses", "ches", "shes", "xes", "zes")):
        return word[:-2]
    if len(word) > 2 and word.endswith("s") and not word.endswith(_UNCHANGED_ENDINGS):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """The lower-cased Latin words of ``text`` (anything else separates words)."""
    return _LATIN_WORD.findall(text.lower())


@dataclass(frozen=True)
class Mention:
    """One occurrence of a COCO object in a text: its category and the words as written."""

    category: str
    surface: str


@dataclass(frozen=True)
class Vocabulary:
    """What maps to which COCO category.

    ``phrases``: English word tuples -> category, or ``None`` for a phrase that must be
    consumed but is no object ("train track"). ``zh_names``: Chinese names -> category.
    """

    phrases: Mapping[tuple[str, ...], str | None]
    zh_names: Mapping[str, str]
    max_phrase_words: int = field(init=False)
    _zh_pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _multi_word_starts: frozenset[str] = field(init=False, repr=False, compare=False)
    _single_words: dict[str, tuple[bool, str | None]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "max_phrase_words", max((len(p) for p in self.phrases), default=1))
        # a phrase of two words or more keeps its first word as written (``lookup``
        # singularises the last word only): a word outside this set starts none
        object.__setattr__(self, "_multi_word_starts",
                           frozenset(p[0] for p in self.phrases if len(p) > 1))
        object.__setattr__(self, "_single_words", {})  # ``lookup`` of one word, as met
        names = sorted(self.zh_names, key=lambda n: (-len(n), n))
        pattern = re.compile("|".join(re.escape(n) for n in names)) if names else None
        object.__setattr__(self, "_zh_pattern", pattern)

    def lookup(self, words: tuple[str, ...]) -> tuple[bool, str | None]:
        """(found, category) for a phrase as written, else with its last word singularised."""
        if words in self.phrases:
            return True, self.phrases[words]
        singular = (*words[:-1], singularize(words[-1]))
        if singular in self.phrases:
            return True, self.phrases[singular]
        return False, None

    def lookup_word(self, word: str) -> tuple[bool, str | None]:
        """``lookup((word,))``, kept for the next time the word is met."""
        found = self._single_words.get(word)
        if found is None:
            found = self._single_words[word] = self.lookup((word,))
        return found

    def longest_phrase_from(self, word: str) -> int:
        """The most words a phrase starting with ``word`` (as written) can have."""
        return self.max_phrase_words if word in self._multi_word_starts else 1


def build_vocabulary(synonyms: Iterable[tuple[str, str]],
                     zh_names: Mapping[str, str] | None = None) -> Vocabulary:
    """A :class:`Vocabulary` from ``(category_name, synonym)`` pairs and Chinese names.

    Every category name is also a synonym of itself. Synonyms are stripped and
    lower-cased (the list's double-space quirk, "iPhone"); the reference's special
    phrases are added. A synonym listed under two categories keeps the first.
    """
    phrases: dict[tuple[str, ...], str | None] = {}

    def add(text: str, category: str | None) -> None:
        words = tuple(tokenize(text))
        if words and words not in phrases:
            phrases[words] = category

    pairs = list(synonyms)
    for category, synonym in pairs:
        add(category, category)
        add(synonym.strip(), category)
    known = {words: category for words, category in phrases.items()}
    for animal in ANIMAL_WORDS:
        target = known.get((animal,))
        for qualifier in ("baby", "adult"):
            phrases[(qualifier, animal)] = target
    for vehicle in VEHICLE_WORDS:
        phrases[("passenger", vehicle)] = known.get((vehicle,))
    if ("toilet",) in known:
        phrases[("toilet", "seat")] = known[("toilet",)]
    if ("tie",) in known:
        phrases[("bow", "tie")] = known[("tie",)]
    for phrase in NON_OBJECT_PHRASES:
        phrases.setdefault(tuple(phrase.split()), None)
    return Vocabulary(phrases=phrases, zh_names=dict(zh_names or {}))


def _english_mentions(text: str, vocabulary: Vocabulary) -> list[Mention]:
    """At each word the longest phrase found is taken (one word when none is): phrases of
    two words or more are tried only from a word that starts one."""
    words = tokenize(text)
    mentions: list[Mention] = []
    lookup, lookup_word = vocabulary.lookup, vocabulary.lookup_word
    i = 0
    while i < len(words):
        n = min(vocabulary.longest_phrase_from(words[i]), len(words) - i)
        while n > 1 and not lookup(tuple(words[i:i + n]))[0]:
            n -= 1
        _, category = lookup(tuple(words[i:i + n])) if n > 1 else lookup_word(words[i])
        if category is not None:
            mentions.append(Mention(category, " ".join(words[i:i + n])))
        i += n
    return mentions


def _chinese_mentions(text: str, vocabulary: Vocabulary) -> list[Mention]:
    pattern = vocabulary._zh_pattern  # noqa: SLF001 - built once per vocabulary
    if pattern is None:
        return []
    return [Mention(vocabulary.zh_names[m.group(0)], m.group(0)) for m in pattern.finditer(text)]


def extract_mentions(text: str, vocabulary: Vocabulary) -> list[Mention]:
    """Every COCO object mention in ``text``: English words first, then Chinese names,
    each in reading order. An empty or missing text has none."""
    if not text:
        return []
    return _english_mentions(text, vocabulary) + _chinese_mentions(text, vocabulary)


@dataclass(frozen=True)
class AnswerChair:
    """One answer's mentions against the categories its image(s) hold."""

    mentions: tuple[Mention, ...]
    hallucinated: tuple[Mention, ...]

    @property
    def has_hallucination(self) -> bool:
        return bool(self.hallucinated)


def score_answer(mentions: Iterable[Mention], truth: Collection[str]) -> AnswerChair:
    """Split ``mentions`` into all and hallucinated (category not in ``truth``)."""
    all_mentions = tuple(mentions)
    return AnswerChair(all_mentions, tuple(m for m in all_mentions if m.category not in truth))


@dataclass(frozen=True)
class ChairScores:
    """CHAIR over a set of answers. Ratios are ``None`` when their denominator is 0."""

    answer_count: int
    hallucinated_answer_count: int
    mention_count: int
    hallucinated_mention_count: int

    @property
    def chair_i(self) -> float | None:
        """Hallucinated mentions / all mentions."""
        return self.hallucinated_mention_count / self.mention_count if self.mention_count else None

    @property
    def chair_s(self) -> float | None:
        """Answers with any hallucinated mention / all answers."""
        return self.hallucinated_answer_count / self.answer_count if self.answer_count else None


def chair_scores(answers: Iterable[AnswerChair]) -> ChairScores:
    """CHAIR_i and CHAIR_s over ``answers`` (an answer without mentions still counts in
    CHAIR_s's denominator)."""
    answer_count = hallucinated_answers = mention_count = hallucinated_mentions = 0
    for answer in answers:
        answer_count += 1
        hallucinated_answers += answer.has_hallucination
        mention_count += len(answer.mentions)
        hallucinated_mentions += len(answer.hallucinated)
    return ChairScores(answer_count, hallucinated_answers, mention_count, hallucinated_mentions)
