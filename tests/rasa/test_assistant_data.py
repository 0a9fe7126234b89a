"""The assistant's data: intents and examples, the held-out split kept apart, bilingual responses, SMS lengths."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.actions.forms import FORM_SLOTS
from shaml.commands import assistant

ROOT = Path(__file__).resolve().parents[2]
ASSISTANT = ROOT / "bot" / "assistant"
NLU_FILE = ASSISTANT / "data" / "nlu.yml"
HELDOUT_FILES = sorted((ASSISTANT / "heldout").glob("*.yml"))
#: Held out for the next reading: written after this split's errors were read, scored later.
HELDOUT_NEXT_FILES = sorted((ASSISTANT / "heldout_next").glob("*.yml"))
DOMAIN = yaml.safe_load((ASSISTANT / "domain.yml").read_text())

INTENTS = ["greet", "goodbye", "thank", "help", "affirm", "deny", "search_person", "register_released",
           "request_human", "check_status", "stop", "delete_data", "out_of_scope"]

#: Two UCS-2 segments of a multi-part SMS: 2 x 67 characters.
ARABIC_SMS_LIMIT = 134
#: Two GSM-7 segments of a multi-part SMS: 2 x 153 characters.
ENGLISH_SMS_LIMIT = 306


def _examples(path: Path) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text()).get("nlu") or []
    return {
        item["intent"]: [line.strip()[2:].strip() for line in item["examples"].splitlines() if line.strip()]
        for item in data
        if "intent" in item
    }


def test_exactly_the_thirteen_intents():
    assert DOMAIN["intents"] == INTENTS
    assert sorted(_examples(NLU_FILE)) == sorted(INTENTS)
    for path in HELDOUT_FILES + HELDOUT_NEXT_FILES:
        assert sorted(_examples(path)) == sorted(INTENTS), path.name


@pytest.mark.parametrize("intent", INTENTS)
def test_at_least_25_varied_examples_in_arabic_arabizi_and_english(intent):
    examples = _examples(NLU_FILE)[intent]
    assert len(examples) >= 25 and len(set(examples)) == len(examples)
    arabic = [e for e in examples if re.search(r"[\u0600-\u06FF]", e)]
    latin = [e for e in examples if re.search(r"[A-Za-z]", e)]
    assert len(arabic) >= 8 and len(latin) >= 8


def test_the_held_out_split_is_never_trained_on():
    from nlu.text import normalise_for_matching

    trained = {normalise_for_matching(e) for path in sorted(NLU_FILE.parent.glob("*.yml"))
               for examples in _examples(path).values() for e in examples}
    assert len(HELDOUT_FILES) == 4  # the fourth, nlu_issue17.yml, written for issue 17
    assert len(HELDOUT_NEXT_FILES) == 2  # nlu_issue17b.yml, and nlu_issue17c.yml written by the nlu helper
    for intent, examples in (item for path in HELDOUT_FILES + HELDOUT_NEXT_FILES for item in _examples(path).items()):
        for example in examples:
            assert normalise_for_matching(example) not in trained, f"held-out {intent!r} example {example!r} is in the training data"


def test_the_dev_split_is_never_trained_on_and_has_25_per_intent():
    """dev/ (issue 17) is read freely to find weak intents, so no training file may hold its texts."""
    from nlu.text import normalise_for_matching

    dev_files = sorted((ASSISTANT / "dev").glob("*.yml"))
    assert dev_files
    assert not any("/dev" in str(p) for p in assistant.training_inputs() + assistant.data_paths())
    assert all(p in assistant.evaluation_files() for p in dev_files)
    trained = assistant.trained_texts()
    counts: dict[str, int] = {}
    for intent, text in assistant.labelled_examples(dev_files):
        assert normalise_for_matching(text) not in trained, f"dev {intent!r} example {text!r} is in the training data"
        counts[intent] = counts.get(intent, 0) + 1
    assert sorted(counts) == sorted(INTENTS)
    assert min(counts.values()) >= 25, counts


def test_split_scores_average_the_splits_own_intents():
    macro, per_intent = assistant.split_scores(["stop", "stop", "greet"], ["stop", "help", "greet"])
    assert per_intent == {"greet": 1.0, "stop": 2 / 3}
    assert macro == (1.0 + 2 / 3) / 2


def _variants(name: str) -> dict[tuple[str, bool], str]:
    """The text a user gets for each (language, sms) combination, as Rasa picks conditional variations."""
    chosen = {}
    variants = DOMAIN["responses"][name]
    for language in ("ar", "en", "az"):
        for sms in (False, True):
            slots = {"language": language, "sms": sms}
            matching = [v for v in variants if v.get("condition") and all(slots[c["name"]] == c["value"] for c in v["condition"])]
            defaults = [v for v in variants if not v.get("condition")]
            picked = matching or defaults
            assert len(picked) == 1, f"{name}: {len(picked)} variants for {slots}"
            chosen[(language, sms)] = picked[0]["text"]
    return chosen


@pytest.mark.parametrize("name", sorted(DOMAIN["responses"]))
def test_every_response_in_arabic_and_english(name):
    chosen = _variants(name)
    for sms in (False, True):
        assert re.search(r"[\u0600-\u06FF]", chosen[("ar", sms)]), f"{name} has no Arabic text"
        english = re.sub(r"\{\w+\}", "", chosen[("en", sms)])
        assert not re.search(r"[\u0600-\u06FF]", english) and re.search(r"[A-Za-z]{3}", english), f"{name} has no English text"


@pytest.mark.parametrize("name", sorted(DOMAIN["responses"]))
def test_every_response_in_arabizi(name):
    """An Arabizi reader gets Arabic in Latin letters: no Arabic letters, and recognisably Arabizi."""
    from nlu.text import is_arabizi

    chosen = _variants(name)
    for sms in (False, True):
        arabizi = re.sub(r"\{\w+\}", "", chosen[("az", sms)])
        assert not re.search(r"[\u0600-\u06FF]", arabizi) and is_arabizi(arabizi), f"{name} has no Arabizi text"
        assert len(chosen[("az", sms)]) <= ENGLISH_SMS_LIMIT


@pytest.mark.parametrize("name", sorted(DOMAIN["responses"]))
def test_sms_variants_fit_two_segments(name):
    chosen = _variants(name)
    # Placeholders ({summary}) are counted as written; the summary itself is one short line per field.
    assert len(chosen[("ar", True)]) <= ARABIC_SMS_LIMIT, f"{name} Arabic SMS is {len(chosen[('ar', True)])} characters"
    assert len(chosen[("en", True)]) <= ENGLISH_SMS_LIMIT


def test_every_response_the_code_sends_exists():
    code = "\n".join(p.read_text() for p in (ROOT / "bot" / "actions").glob("*.py"))
    sent = set(re.findall(r'"(utter_\w+)"', code))
    assert sent and sent <= set(DOMAIN["responses"])
    for form in DOMAIN["forms"].values():
        for slot in form["required_slots"]:
            assert f"utter_ask_{slot}" in DOMAIN["responses"] or f"action_ask_{slot}" in DOMAIN["actions"]
            assert slot in FORM_SLOTS


def test_no_reply_mentions_death_or_harm():
    words = ("مات", "توفي", "وفاة", "قتل", "مقتول", "died", "dead", "killed", "death")
    for name, variants in DOMAIN["responses"].items():
        for variant in variants:
            for word in words:
                assert not re.search(rf"\b{word}\b", variant["text"]), f"{name} mentions {word!r}"


def test_training_inputs_cover_data_domain_config_and_nlu_code():
    inputs = {p.relative_to(ROOT).as_posix() for p in assistant.training_inputs()}
    assert {"bot/assistant/config.yml", "bot/assistant/domain.yml", "bot/assistant/data/nlu.yml",
            "bot/assistant/data/rules.yml", "nlu/components.py", "nlu/text.py"} <= inputs
    assert not any(p.startswith("bot/assistant/heldout") for p in inputs)


def test_retrains_only_when_an_input_changes(tmp_path, monkeypatch):
    source = tmp_path / "nlu.yml"
    source.write_text("a")
    (tmp_path / "nlu").mkdir()
    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.setattr(assistant, "ROOT", tmp_path)
    monkeypatch.setattr(assistant, "MODELS", models)
    monkeypatch.setattr(assistant, "STAMP", models / ".stamp")
    monkeypatch.setattr(assistant, "training_inputs", lambda: [source])
    assert assistant.needs_training()  # no model yet
    (models / f"{assistant.MODEL_NAME}.tar.gz").write_bytes(b"model")
    (models / ".stamp").write_text(f"inputs {assistant.training_stamp()}\ncode {assistant.code_stamp()}\n")
    assert not assistant.needs_training()
    source.write_text("b")
    assert assistant.needs_training()


def test_a_part_of_the_assistant_is_merged_and_trained(tmp_path, monkeypatch):
    home = tmp_path / "bot" / "assistant"
    (home / "data").mkdir(parents=True)
    (home / "heldout").mkdir()
    (home / "domain.yml").write_text("intents: [greet]\n")
    (home / "config.yml").write_text("pipeline: []\n")
    (home / "data" / "nlu.yml").write_text("nlu: []\n")
    (home / "heldout" / "nlu.yml").write_text("nlu: []\n")
    (home / "reunion").mkdir()
    (home / "reunion" / "domain.yml").write_text("intents: [enter_code]\n")
    (home / "reunion" / "data.yml").write_text("nlu: []\n")
    (tmp_path / "nlu").mkdir()
    monkeypatch.setattr(assistant, "ROOT", tmp_path)
    monkeypatch.setattr(assistant, "ASSISTANT", home)
    merged = assistant.domain_path()
    assert sorted(p.name for p in merged.glob("*.yml")) == ["reunion.yml", "shaml.yml"]
    assert assistant.data_paths() == [home / "data", home / "reunion" / "data.yml"]
    assert home / "reunion" / "domain.yml" in assistant.training_inputs()
    assert not any("heldout" in str(p) for p in assistant.training_inputs() + assistant.data_paths())


def test_training_runs_with_deterministic_tensorflow(tmp_path, monkeypatch):
    """The model must not change between two trainings of the same inputs (a check that passes on
    one training and fails on the next is no check): the settings that make TensorFlow repeat
    itself are passed to `rasa train`, over whatever the caller's environment says."""
    models = tmp_path / "models"
    monkeypatch.setattr(assistant, "MODELS", models)
    monkeypatch.setattr(assistant, "STAMP", models / ".stamp")
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    seen: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(assistant.subprocess, "run", lambda command, **kw: seen.append((command, kw["env"])))
    assert assistant.train(force=True)
    [(command, env)] = seen
    assert command[1] == "train" and "--force" in command
    assert (env["TF_DETERMINISTIC_OPS"], env["TF_ENABLE_ONEDNN_OPTS"], env["PYTHONHASHSEED"]) == ("1", "0", "0")
    assert env["TF_NUM_INTRAOP_THREADS"] == "2"
