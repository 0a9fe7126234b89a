"""nlu.evidence: the words an intent needs. No name has them; the training examples of each intent do."""

from __future__ import annotations

import pytest

from nlu.evidence import (
    asks_for_person,
    asks_status,
    asks_to_stop,
    has_code,
    has_domain_evidence,
    is_small_talk,
    mentions_detention,
    says_no,
    says_yes,
)
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


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("يا اخي شاحن الموبايل خربان", False),  # "O brother": an address, not a relative sought
        ("ya akhi wen fi sayadle", False),
        ("اخي معتقل من ٢٠١٣", True),
        ("يا جماعة ابني مفقود", True),
    ],
)
def test_a_relative_named_only_in_an_address_is_no_evidence(text, domain):
    assert has_domain_evidence(text) == domain


@pytest.mark.parametrize(
    ("text", "yes", "no"),
    [
        ("ايه مزبوط", True, False), ("yes that's right", True, False), ("eh tamam", True, False),
        ("definitely", True, False), ("لا مو هيك", None, True), ("no it's wrong", False, True),
        ("la2 mish sa7", None, True), ("i don't agree", None, True),  # a "no" may hold a "right" word too
        ("ما هو أفضل مكيف للطلاب؟", False, False), ("laptop tabe3i 5erbane", False, False),
    ],
)
def test_affirm_and_deny_need_their_words(text, yes, no):
    assert says_no(text) == no
    if yes is not None:
        assert says_yes(text) == yes


@pytest.mark.parametrize(
    ("text", "small"),
    [
        ("مرحبا", True), ("السلام عليكم ورحمة الله وبركاته", True), ("hi is anyone there", True),
        ("shukran kteer 3al mosa3de", True), ("ok i'm leaving now, bye", True), ("مرحبا، بدي اسأل", True),
        ("مرحبا، بدي اشتري موبايل سامسونج مستعمل", False), ("my laptop is broken and nobody fixes it, thanks", False),
        ("hi, how much is the dollar today in Gaziantep", False),
    ],
)
def test_greetings_thanks_and_goodbyes_are_made_of_courtesy(text, small):
    assert is_small_talk(text) == small


def test_codes_and_detention():
    assert has_code("الرمز ٤٨٣٩٢٠") and has_code("my code is 364201") and not has_code("صحيح ١٠٠٪")
    assert has_code("483 920") and has_code("٤٨٣-٩٢٠")
    # A year or a phone number is not a six-digit code.
    assert not has_code("jozi mafoud mn 2014") and not has_code("0944123456") and not has_code("1234567")
    assert mentions_detention("اخوي اعتقلوه بالجامعة") and mentions_detention("my son is in prison")
    assert not mentions_detention("وين بلاقي شقة للإيجار") and not mentions_detention("بدي اشتري موبايل")


def test_the_training_examples_of_each_gated_intent_have_its_words():
    """Each training example of affirm, deny, greet, thank and goodbye passes its own gate."""
    import yaml

    from tests.rasa.test_assistant_data import NLU_FILE

    gates = {"affirm": says_yes, "deny": says_no, "greet": is_small_talk, "thank": is_small_talk, "goodbye": is_small_talk,
             "check_status": asks_status}
    for item in yaml.safe_load(NLU_FILE.read_text(encoding="utf-8"))["nlu"]:
        gate = gates.get(item.get("intent"))
        if gate:
            examples = [line.strip()[2:] for line in item["examples"].splitlines() if line.strip()]
            assert [e for e in examples if not gate(e)] == [], item["intent"]


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("في شي جديد؟", True), ("any news?", True), ("la2ayto shi 3an a5i?", True), ("شو صار بطلبي", True),
        ("did my son come home?", True), ("still waiting", True),
        ("fi forn bel 7ara?", False), ("my heater won't charge", False), ("بكام الخبز", False),
    ],
)
def test_a_status_question_asks_about_news_a_request_or_a_person(text, status):
    assert asks_status(text) == status


@pytest.mark.parametrize(
    ("text", "no"),
    [("la mish hek", True), ("la", True), ("la2 ghalat", True), ("bde panadol la emme", False), ("ruh la beitak", False)],
)
def test_the_arabizi_la_is_no_only_at_the_start(text, no):
    assert says_no(text) == no


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("بنتي عندها كحة من يومين شو بعطيها", False),
        ("my dad needs insulin, where can I buy it", False),
        ("ابني الصغير بدو حليب وحفاضات", False),
        ("emme 3anda s5oneh shu ba3tiha", False),
        ("اخوي عندو امتحان بكرا", False),
        ("ابني مريض ومعتقل من سنتين", True),  # a word of detention outweighs the illness
        ("my brother was sick when they arrested him", True),
        ("اخي كان طالب بالجامعة وما رجع", True),  # where people were taken from is not a need
        ("آخر مرة شافوا ابني بمشفى تشرين", True),  # nor a hospital: detainees died in them
        ("ابني الدكتور محمد", True),  # a title is part of a name
    ],
)
def test_a_relative_with_an_everyday_need_is_no_search(text, domain):
    assert has_domain_evidence(text) == domain
