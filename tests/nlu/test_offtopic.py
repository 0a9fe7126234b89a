"""nlu.offtopic: the off-topic generator's splits stay apart, and the committed training file is what it generates."""

from __future__ import annotations

from pathlib import Path

from nlu import offtopic
from nlu.text import normalise_for_matching
from shaml.commands.assistant import (
    OFFTOPIC_TRAINING,
    offtopic_dev_sets,
    offtopic_training_yaml,
    trained_texts,
)

ROOT = Path(__file__).resolve().parents[2]


def _templates(table: dict[str, tuple[str, ...]]) -> set[str]:
    return {template for templates in table.values() for template in templates}


def test_dev_templates_are_never_training_templates():
    dev = {t for t in _templates(offtopic.TEMPLATES) if offtopic._is_dev(t)}
    train = {t for t in _templates(offtopic.TEMPLATES) if not offtopic._is_dev(t)} | _templates(offtopic.TRAIN_TEMPLATES)
    fresh = _templates(offtopic.FRESH_DEV_TEMPLATES)
    assert dev and train and fresh
    assert not dev & train and not fresh & train and not fresh & dev


def test_no_scored_dev_message_is_in_the_training_data():
    trained = trained_texts()
    sets = offtopic_dev_sets()
    dev, fresh = sets["off-topic dev set"], sets["second off-topic dev set"]
    assert len(dev) > 2500 and len(fresh) > 1000
    assert [t for t in dev + fresh if normalise_for_matching(t) in trained] == []
    # The generator itself never writes a dev message into the generated training file; a few dev
    # messages equal hand-written examples of data/nlu.yml and are left out of the scored sets.
    generated = set(offtopic.train_examples())
    assert not generated & {t for _topic, t in offtopic.dev_examples() + offtopic.fresh_dev_examples()}


def test_the_committed_training_file_is_the_generated_one():
    assert OFFTOPIC_TRAINING.read_text(encoding="utf-8") == offtopic_training_yaml()


def test_courtesy_copies_keep_the_message_and_add_an_opening_or_ending():
    examples = ["بدي احكي مع شخص", "talk to a person", "bde e7ki ma3 7ada"] * 10
    copies = offtopic.with_courtesy("request_human", examples)
    assert copies and all(any(base in copy and copy != base for base in examples) for copy in copies)
