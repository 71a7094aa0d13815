"""CHAIR on hand-made sentences: mention extraction (English and Chinese) and the two
figures, CHAIR_i = hallucinated mentions / mentions and CHAIR_s = answers with a
hallucination / answers, checked against values worked out by hand."""

from __future__ import annotations

import pytest

from lakehouse.settings import PROJECT_ROOT
from quality.chair import (
    ChairScores,
    build_vocabulary,
    chair_scores,
    extract_mentions,
    score_answer,
    singularize,
)
from quality.chair_synonyms import DEFAULT_CHAIR_SYNONYMS, parse_synonyms

ZH_NAMES = {"人": "person", "狗": "dog", "热狗": "hot dog", "熊": "bear", "泰迪熊": "teddy bear",
            "滑雪板": "skis", "单板滑雪板": "snowboard", "马": "horse", "斑马": "zebra", "马桶": "toilet",
            "猫": "cat", "风筝": "kite"}


@pytest.fixture(scope="module")
def vocabulary(shared_datasets):
    rows, rejects = parse_synonyms(DEFAULT_CHAIR_SYNONYMS.read_text(encoding="utf-8"))
    assert rejects == []
    import csv

    with (PROJECT_ROOT / "seeds" / "coco_category_names.csv").open(encoding="utf-8") as f:
        zh = {r["name_zh"]: r["category_name"] for r in csv.DictReader(f)}
    return build_vocabulary([(r["category_name"], r["synonym"]) for r in rows], zh)


def categories(text, vocabulary):
    return [m.category for m in extract_mentions(text, vocabulary)]


@pytest.mark.parametrize(("plural", "singular"), [
    ("people", "person"), ("children", "child"), ("men", "man"), ("women", "woman"),
    ("policemen", "policeman"), ("mice", "mouse"), ("knives", "knife"), ("geese", "goose"),
    ("oxen", "ox"), ("ponies", "pony"), ("benches", "bench"), ("glasses", "glass"),
    ("buses", "bus"), ("boxes", "box"), ("toothbrushes", "toothbrush"), ("dogs", "dog"),
    ("tvs", "tv"), ("bus", "bus"), ("glass", "glass"), ("sheep", "sheep"), ("person", "person"),
])
def test_singularize(plural, singular):
    assert singularize(plural) == singular


def test_multi_word_synonyms_come_first(vocabulary):
    # "hot dog" is a hot dog, never a dog; "teddy bears" never bears
    assert categories("A hot dog next to two dogs.", vocabulary) == ["hot dog", "dog"]
    assert categories("Three teddy bears and a bear.", vocabulary) == ["teddy bear", "bear"]
    assert categories("Two wine glasses and a cell phone.", vocabulary) == ["wine glass", "cell phone"]


def test_plurals_irregulars_and_synonyms(vocabulary):
    assert categories("People, children and mice; knives on a sofa.", vocabulary) == [
        "person", "person", "mouse", "knife", "couch"]
    assert categories("A puppy chases two kittens past the TVs.", vocabulary) == ["dog", "cat", "tv"]


def test_the_double_space_quirk_is_stripped(vocabulary):
    # the file writes "scooter,  motor bike" and "cake,  cheesecake"
    assert categories("a motor bike and a cheesecake", vocabulary) == ["motorcycle", "cake"]


def test_reference_special_phrases(vocabulary):
    # a baby elephant is no person, a toilet seat no chair, a passenger train no person,
    # a train track and home plate no object
    assert categories("A baby elephant near a toilet seat.", vocabulary) == ["elephant", "toilet"]
    assert categories("A passenger train on a train track by home plate.", vocabulary) == ["train"]
    assert categories("A man wears a bow tie.", vocabulary) == ["person", "tie"]


def test_chinese_names_longest_first(vocabulary):
    assert categories("图中有许多人、1个热狗和2只泰迪熊。", vocabulary) == ["person", "hot dog", "teddy bear"]
    assert categories("一块单板滑雪板和一副滑雪板，还有马桶和斑马。", vocabulary) == [
        "snowboard", "skis", "toilet", "zebra"]
    assert categories("图1和图2没有相同种类的物体。", vocabulary) == []


def test_chair_figures_on_hand_made_answers(vocabulary):
    # answer 1: dog, frisbee, person(man) on an image with a dog and a person -> 3 mentions, 1 hallucinated
    # answer 2: cat, cat(kitten) on an image with a cat -> 2 mentions, 0 hallucinated
    # answer 3: 狗, 人 on an image with a dog only -> 2 mentions, 1 hallucinated
    # answer 4: no object words -> 0 mentions
    answers = [
        ("A dog catches a frisbee thrown by a man.", {"dog", "person"}),
        ("A cat sleeps beside a kitten.", {"cat"}),
        ("图中有1只狗和2个人。", {"dog"}),
        ("A sunny afternoon.", {"cat"}),
    ]
    scored = [score_answer(extract_mentions(text, vocabulary), truth) for text, truth in answers]
    assert [len(a.mentions) for a in scored] == [3, 2, 2, 0]
    assert [[m.category for m in a.hallucinated] for a in scored] == [["frisbee"], [], ["person"], []]
    scores = chair_scores(scored)
    assert scores == ChairScores(answer_count=4, hallucinated_answer_count=2, mention_count=7,
                                 hallucinated_mention_count=2)
    assert scores.chair_i == pytest.approx(2 / 7)
    assert scores.chair_s == pytest.approx(2 / 4)


def test_chair_of_nothing_is_undefined():
    scores = chair_scores([])
    assert scores.chair_i is None and scores.chair_s is None


def test_vocabulary_without_synonyms_uses_category_names():
    vocabulary = build_vocabulary([("dog", "dog"), ("person", "person")], ZH_NAMES)
    assert categories("two dogs and people", vocabulary) == ["dog", "person"]


def _mentions_trying_every_length(text, vocabulary):
    """The rule as the CHAIR reference states it, with no shortcut: at each word, the
    longest phrase that matches (last word as written or singularised) is taken."""
    from quality.chair import Mention, tokenize

    words, found, i = tokenize(text), [], 0
    while i < len(words):
        for n in range(min(vocabulary.max_phrase_words, len(words) - i), 0, -1):
            hit, category = vocabulary.lookup(tuple(words[i:i + n]))
            if hit:
                if category is not None:
                    found.append(Mention(category, " ".join(words[i:i + n])))
                i += n
                break
        else:
            i += 1
    return found


def test_shortcut_finds_what_trying_every_length_finds(vocabulary):
    """extract_mentions tries phrases longer than one word only from a word that starts
    one; on texts mixing every synonym, plurals, special phrases and filler words it must
    find exactly the mentions the exhaustive rule finds."""
    import random

    phrases = [" ".join(p) for p in vocabulary.phrases]
    fillers = ["the", "a", "is", "left", "of", "2", "many", "and", "baby", "passenger", "seat",
               "bow", "dogs", "hot", "train", "track", "glasses", "policemen", "ponies", "."]
    rng = random.Random(12)
    for _ in range(3000):
        words = [rng.choice(phrases) if rng.random() < 0.4 else rng.choice(fillers)
                 for _ in range(rng.randint(1, 25))]
        text = " ".join(w + ("s" if rng.random() < 0.2 else "") for w in words)
        expected = _mentions_trying_every_length(text, vocabulary)
        assert extract_mentions(text, vocabulary) == expected, text
