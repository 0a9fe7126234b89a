"""The Rasa components: tokens on folded text with true offsets, folded lookups, deterministic intent rules."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components import ArabicWhitespaceTokenizer, FoldingRegexFeaturizer, KeywordIntentRules


def _tokens(text):
    tokenizer = ArabicWhitespaceTokenizer(ArabicWhitespaceTokenizer.get_default_config())
    message = Message(data={"text": text})
    return tokenizer.tokenize(message, "text")


def test_tokens_are_folded_without_marks_and_offsets_point_into_the_original():
    text = "أبحث عن مُحَمَّد مـــن إدلب ١٩٨٥"
    tokens = _tokens(text)
    assert [t.text for t in tokens] == ["ابحث", "عن", "محمد", "من", "ادلب", "1985"]
    assert [text[t.start : t.end] for t in tokens] == ["أبحث", "عن", "مُحَمَّد", "مـــن", "إدلب", "١٩٨٥"]


def test_english_and_arabizi_tokens_are_lower_case():
    assert [t.text for t in _tokens("Looking for my A5i")] == ["looking", "for", "my", "a5i"]


def _featurizer(tmp_path, lookup, regex=None):
    """A featurizer trained through its public API on a lookup table (and a regex)."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    featurizer = FoldingRegexFeaturizer.create(
        {**FoldingRegexFeaturizer.get_default_config(), "case_sensitive": False},
        LocalModelStorage(tmp_path),
        Resource("regex"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    featurizer.train(
        TrainingData(
            lookup_tables=[{"name": "governorate", "elements": lookup}],
            regex_features=[{"name": "year", "pattern": regex}] if regex else [],
        )
    )
    return featurizer


def _sentence_features(featurizer, text):
    message = Message(data={"text": text})
    message.set("text_tokens", _tokens(text))
    featurizer.process([message])
    _, sentence = message.get_sparse_features("text")
    return sentence.features.toarray()[0], message


@pytest.mark.parametrize("text", ["اخي من ادلب", "اخي من إدلب", "اخي من أدلب"])
def test_lookup_entries_match_every_alef_spelling(tmp_path, text):
    features, message = _sentence_features(_featurizer(tmp_path, ["إدلب"]), text)
    assert features[0] == 1.0
    assert message.get("text") == text  # the message text itself is never changed


def test_year_regex_in_any_digits(tmp_path):
    featurizer = _featurizer(tmp_path, ["حمص"], regex=r"(?<![0-9])(19|20)[0-9]{2}(?![0-9])")
    for text, hit in (("مواليد ١٩٨٥", 1.0), ("born 1990", 1.0), ("رقم 12345", 0.0)):
        features, _ = _sentence_features(featurizer, text)
        assert list(features) == [0.0, hit] or list(features) == [hit, 0.0], text


def _classified(text, intent, ranking=None):
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": 0.6})
    message.set("intent_ranking", ranking or [{"name": intent, "confidence": 0.6}])
    KeywordIntentRules().process([message])
    return message.get("intent")["name"]


@pytest.mark.parametrize(
    ("text", "model_says", "final"),
    [
        ("1", "greet", "search_person"),
        ("١", "greet", "search_person"),
        ("٢", "out_of_scope", "register_released"),
        ("3", "affirm", "request_human"),
        ("٣", "affirm", "request_human"),
        ("بدي موت", "out_of_scope", "request_human"),
        ("عذبوه بالسجن، بدي دور عليه", "search_person", "request_human"),
        ("I want to kill myself", "nlu_fallback", "request_human"),
        ("مرحبا", "greet", "greet"),
        ("9", "out_of_scope", "out_of_scope"),
    ],
)
def test_keyword_rules(text, model_says, final):
    assert _classified(text, model_says) == final


def test_a_bare_number_is_never_a_request_for_a_person_or_an_opt_out():
    ranking = [{"name": "request_human", "confidence": 0.5}, {"name": "stop", "confidence": 0.3}, {"name": "help", "confidence": 0.2}]
    assert _classified("1993", "request_human", ranking) == "help"
    assert _classified("+963 944 123 456", "stop", [{"name": "stop", "confidence": 1.0}]) == "out_of_scope"


def test_delete_data_needs_an_erasure_word():
    """A name the model took for an erasure request gets the next intent; a real request stays."""
    ranking = [{"name": "delete_data", "confidence": 0.5}, {"name": "nlu_fallback", "confidence": 0.3},
               {"name": "help", "confidence": 0.2}]
    assert _classified("مسعود الشيخ علي", "delete_data", ranking) == "help"
    assert _classified("Abdo Shaaban", "delete_data", [{"name": "delete_data", "confidence": 0.9}]) == "out_of_scope"
    assert _classified("امسحوا معلوماتي", "delete_data", ranking) == "delete_data"
    assert _classified("please wipe my details", "delete_data", ranking) == "delete_data"


@pytest.mark.parametrize(("text", "value"), [("٣", "3"), ("1", "1"), ("۲.", "2"), ("7", "7"), ("12", None), ("بدي شخص", None)])
def test_a_bare_digit_is_also_a_menu_choice_entity(text, value):
    message = Message(data={"text": text})
    message.set("intent", {"name": "greet", "confidence": 0.6})
    KeywordIntentRules().process([message])
    found = [e for e in message.get("entities") or [] if e["entity"] == "menu_choice"]
    assert [e["value"] for e in found] == ([value] if value else [])
    if value:
        assert (found[0]["start"], found[0]["end"]) == (0, len(text))


@pytest.mark.parametrize(
    ("text", "model_says", "final"),
    [
        # A name is never a request for a person, an opt-out or a search (issue 17).
        ("محمد الجمال", "request_human", "out_of_scope"),
        ("أحمد محمد البكري", "request_human", "out_of_scope"),
        ("سعاد", "stop", "out_of_scope"),
        # An everyday "cancel" question is not an opt-out.
        ("لماذا تم إلغاء طلبي؟", "stop", "out_of_scope"),
        ("هل يمكنني إلغاء معاملتي؟", "stop", "out_of_scope"),
        # An everyday message does not start a search or a registration.
        ("بدي اشتري موبايل", "search_person", "out_of_scope"),
        ("i want to register for the course", "register_released", "out_of_scope"),
        # With its words, each intent stays.
        ("بدي احكي مع شخص", "request_human", "request_human"),
        ("talk to a person", "request_human", "request_human"),
        ("ما بدي رسائل", "stop", "stop"),
        ("بدي دور على أخي", "search_person", "search_person"),
        ("انا طلعت من السجن", "register_released", "register_released"),
        # A question about a shop nearby is not a question about a search.
        ("fi forn bel 7ara?", "check_status", "out_of_scope"),
        ("في شي جديد عن اخي؟", "check_status", "check_status"),
    ],
)
def test_intents_that_change_what_happens_need_their_words(text, model_says, final):
    assert _classified(text, model_says, [{"name": model_says, "confidence": 0.8}]) == final


def test_a_refused_intent_falls_to_a_runner_up_only_when_it_is_credible():
    ranking = [{"name": "stop", "confidence": 0.6}, {"name": "check_status", "confidence": 0.3}]
    assert _classified("لماذا تم إلغاء طلبي؟", "stop", ranking) == "check_status"
    weak = [{"name": "stop", "confidence": 0.95}, {"name": "check_status", "confidence": 0.03}]
    assert _classified("لماذا تم إلغاء طلبي؟", "stop", weak) == "out_of_scope"


@pytest.mark.parametrize(
    ("text", "ranking", "final"),
    [
        # Small talk and yes/no need their words; an off-topic message gets the kind answer.
        ("مرحبا كل عام وانتم بخير يا احلى ناس", [("greet", 0.99), ("out_of_scope", 0.01)], "out_of_scope"),
        ("sammaat tabe3i 5erbane thanks", [("thank", 0.98), ("search_person", 0.01)], "out_of_scope"),
        ("ما هو أفضل مكيف للطلاب؟", [("deny", 0.5), ("out_of_scope", 0.35)], "out_of_scope"),
        ("بدك تتجوزني", [("affirm", 0.48), ("deny", 0.15), ("delete_data", 0.09)], "out_of_scope"),
        ("رابط التسجيل: tiktok.com/@user/video/1", [("enter_code", 0.99)], "out_of_scope"),
        ("يا اخي bde el kartone", [("search_person", 0.99)], "out_of_scope"),
        # With their words they stay.
        ("مرحبا كيفكن", [("greet", 0.99)], "greet"),
        ("shukran kteer", [("thank", 0.99)], "thank"),
        ("ايه صح", [("affirm", 0.9)], "affirm"),
        ("la2 mish hek", [("deny", 0.9)], "deny"),
        ("الرمز 483920", [("enter_code", 0.9)], "enter_code"),
        # Detention is never out of scope: the best ranked of search, registration and news.
        ("اخوي الصغير اعتقلوه بالجامعة بدي اعرف عنه", [("out_of_scope", 1.0), ("search_person", 0.0), ("affirm", 0.0)], "search_person"),
        ("طلعت من السجن", [("nlu_fallback", 0.4), ("register_released", 0.3), ("search_person", 0.2)], "register_released"),
        ("وين بلاقي شقة للإيجار", [("out_of_scope", 1.0), ("search_person", 0.0)], "out_of_scope"),
    ],
)
def test_every_intent_that_answers_a_message_needs_its_words(text, ranking, final):
    ranked = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    assert _classified(text, ranking[0][0], ranked) == final
