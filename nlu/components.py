"""Rasa 3.6 components for Arabic: a folding whitespace tokenizer, a folding regex featurizer, keyword intent rules."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

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
from nlu.keywords import asks_erasure, has_distress
from nlu.text import fold, is_number_only, menu_choice, normalise_token

#: What a bare menu digit means outside a form: 1 search, 2 I was released, 3 talk to a person.
MENU_INTENTS = {1: "search_person", 2: "register_released", 3: "request_human"}

#: Entity carrying a bare digit (any script) as "1".."9": numbered questions in forms read it.
MENU_CHOICE_ENTITY = "menu_choice"

#: The lowest confidence at which the runner-up replaces an intent refused for lack of evidence.
NEXT_INTENT_FLOOR = 0.1

#: What a message about detention that the model found out of scope is read as instead (the best ranked).
DETENTION_INTENTS = ("search_person", "register_released", "check_status")

#: Intents a bare number (a year, an age, a phone number) must never be read as.
NOT_FOR_NUMBERS = ("request_human", "stop", "delete_data")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class ArabicWhitespaceTokenizer(WhitespaceTokenizer):
    """Whitespace tokens found on the folded text; each token's text loses tashkeel and tatweel.

    Folding is one character for one character, so token offsets point into the original
    message and entity values keep the user's spelling.
    """

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ArabicWhitespaceTokenizer:
        """Creates the tokenizer (see the parent class)."""
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Tokens of the folded text, with offsets into the original text."""
        text = message.get(attribute)
        folded = fold(text)
        tokens = super().tokenize(Message(data={attribute: folded}), attribute)
        result = []
        for token in tokens:
            clean = normalise_token(token.text)
            if clean:
                result.append(Token(clean, token.start, end=token.end, lemma=clean))
        return result or tokens


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class FoldingRegexFeaturizer(RegexFeaturizer):
    """The regex and lookup-table featurizer, with patterns and text folded the same way."""

    def train(self, training_data: TrainingData) -> Resource:
        """Learns the patterns from the data, folded (ASCII regex syntax is left untouched)."""
        resource = super().train(training_data)
        patterns: list[dict[str, str]] = list(self.known_patterns)  # type: ignore[has-type]
        self.known_patterns = [{**p, "pattern": fold(p["pattern"])} for p in patterns]
        self._persist()
        return resource

    def _features_for_patterns(self, message: Message, attribute: str) -> Any:
        original = message.get(attribute)
        if not isinstance(original, str):
            return super()._features_for_patterns(message, attribute)
        message.data[attribute] = fold(original)
        try:
            return super()._features_for_patterns(message, attribute)
        finally:
            message.data[attribute] = original


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class KeywordIntentRules(GraphComponent):
    """Deterministic overrides after the classifiers.

    - A bare menu digit (1, 2, 3 in Western or Arabic-Indic digits) is the menu choice, and any
      bare digit is also a ``menu_choice`` entity, which a form's numbered question takes.
    - A distress word is always ``request_human``: a person answers, whatever else was said.
    - A bare number of two or more digits (a year, an age, a phone number) is never
      ``request_human``, ``stop`` or ``delete_data``; the next intent in the ranking is used.
    - ``delete_data`` needs a word of an erasure request (``nlu.keywords.ERASURE_WORDS``): a
      name or other answer the model took for one gets the next intent in the ranking.
    - ``request_human`` needs a word asking for a person, ``stop`` a word about messages, and
      ``search_person`` / ``register_released`` a word of the domain (detention, prison, missing,
      release, searching, a relative), and ``check_status`` a word of news, the request or waiting, or
      of the domain: see nlu.evidence. A name is never an intent, and an
      everyday message never starts a search or opts anyone out. ``affirm`` and ``deny`` need a
      word of agreement or refusal, ``enter_code`` a code (six digits), and ``greet``,
      ``thank`` and ``goodbye`` a message of courtesy words with two other words at most
      ("مرحبا، كل عام وانتم بخير" is not a greeting to answer with the menu). Otherwise the next
      intent in the ranking that has its evidence is used, else out_of_scope.
    - A message about detention itself (prison, arrest, release: ``nlu.evidence.DETENTION_WORDS``)
      that the model found out of scope is read as the best ranked of search_person,
      register_released and check_status.
    """

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KeywordIntentRules:
        """Creates the component; it has no configuration."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Applies the overrides to each message in place."""
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and text:
                self._apply(message, text)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to do at training time."""
        return training_data

    @staticmethod
    def _set_intent(message: Message, name: str) -> None:
        intent = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = [
            r for r in message.get("intent_ranking", []) or [] if r.get(INTENT_NAME_KEY) != name
        ]
        message.set(INTENT, intent, add_to_output=True)
        message.set("intent_ranking", [intent, *ranking], add_to_output=True)

    def _apply(self, message: Message, text: str) -> None:
        choice = menu_choice(text)
        if choice is not None:
            # The digit itself, so a form's numbered question can take it whatever the intent.
            entity = {
                ENTITY_ATTRIBUTE_TYPE: MENU_CHOICE_ENTITY,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(text),
                ENTITY_ATTRIBUTE_VALUE: str(choice),
                EXTRACTOR: type(self).__name__,
            }
            message.set(ENTITIES, [*(message.get(ENTITIES) or []), entity], add_to_output=True)
        if choice in MENU_INTENTS:
            self._set_intent(message, MENU_INTENTS[choice])
            return
        if has_distress(text):
            self._set_intent(message, "request_human")
            return
        current = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        refused = self._refused(text)
        if current in refused:
            self._next_intent(message, refused)
        elif current in ("out_of_scope", "nlu_fallback") and mentions_detention(text):
            self._about_detention(message, refused)

    @staticmethod
    def _refused(text: str) -> tuple[str, ...]:
        """The intents this message lacks the evidence for."""
        refused = list(NOT_FOR_NUMBERS) if is_number_only(text) else []
        if not asks_erasure(text):
            refused.append("delete_data")
        if not asks_for_person(text):
            refused.append("request_human")
        if not asks_to_stop(text):
            refused.append("stop")
        if not has_domain_evidence(text):
            refused += ["search_person", "register_released"]
        if not asks_status(text):
            refused.append("check_status")
        if not says_yes(text):
            refused.append("affirm")
        if not says_no(text):
            refused.append("deny")
        if not is_small_talk(text):
            refused += ["greet", "thank", "goodbye"]
        if not has_code(text):
            refused.append("enter_code")
        return tuple(refused)

    def _about_detention(self, message: Message, refused: tuple[str, ...]) -> None:
        """A message about detention is never out of scope: the best-ranked of searching, registering
        and asking for news that has its evidence, however low the model ranked it."""
        for ranked in message.get("intent_ranking", []) or []:
            if ranked.get(INTENT_NAME_KEY) in DETENTION_INTENTS and ranked.get(INTENT_NAME_KEY) not in refused:
                message.set(INTENT, dict(ranked), add_to_output=True)
                return

    def _next_intent(self, message: Message, refused: tuple[str, ...]) -> None:
        """The best-ranked intent not in ``refused`` (never the fallback), else out_of_scope.

        A confident guess that lacked its evidence leaves nothing to trust: when the next intent is
        far below the fallback threshold, the message is out of scope.
        """
        for ranked in message.get("intent_ranking", []) or []:
            name = ranked.get(INTENT_NAME_KEY)
            if name not in refused and name != "nlu_fallback":
                if float(ranked.get(PREDICTED_CONFIDENCE_KEY) or 0.0) < NEXT_INTENT_FLOOR:
                    break
                message.set(INTENT, dict(ranked), add_to_output=True)
                return
        self._set_intent(message, "out_of_scope")
