"""nlu.evidence: the words an intent needs. No name has them; the training examples of each intent do."""

from __future__ import annotations

import pytest

from nlu.evidence import asks_for_person, asks_to_stop, has_domain_evidence
from nlu.offtopic import dev_examples
from tests.rasa.test_names_in_forms import CASES


def test_no_name_asks_for_a_person_or_to_stop():
    names = sorted({name for _q, name in CASES})
    assert len(names) > 3000
    assert [n for n in names if asks_for_person(n)] == []
    assert [n for n in names if asks_to_stop(n)] == []


@pytest.mark.parametrize(
    ("text", "person", "stop", "domain"),
    [
        ("بدي احكي مع شخص", True, False, False),
        ("badi e7ke ma3 7ada", True, False, False),
        ("محمد حداد", False, False, False),  # حدا inside حداد is not "someone"
        ("لماذا تم إلغاء طلبي؟", False, False, False),
        ("ما بدي رسائل بعد اليوم", False, True, False),
        ("اهلين", False, False, False),  # hello, not اهلي (my family)
        ("بدي دورة انكليزي", False, False, False),
        ("ابني معتقل بصيدنايا", False, False, True),
        ("I got out of prison last month", False, False, True),
    ],
)
def test_evidence(text, person, stop, domain):
    assert (asks_for_person(text), asks_to_stop(text), has_domain_evidence(text)) == (person, stop, domain)


def test_few_off_topic_messages_carry_stop_words():
    dev = [text for _topic, text in dev_examples()]
    assert sum(asks_to_stop(t) for t in dev) / len(dev) < 0.005
