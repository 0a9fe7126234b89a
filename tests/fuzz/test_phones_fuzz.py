"""Phone numbers: ``bot.contacts.normalise_address`` and the callback answer ``parse_callback``.

A number comes back in E.164 or as :class:`AddressError`; E.164 output is valid and a fixed point
(normalising it again gives it back); every valid number, written with spaces, dashes, 00, a
``whatsapp:`` prefix or Arabic-Indic digits, round-trips to the same E.164.
"""

from __future__ import annotations

import re

import phonenumbers
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.actions.parsing import parse_callback
from bot.contacts import AddressError, normalise_address
from tests.fuzz.strategies import ARABIC_INDIC, PERSIAN, hostile_text

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")

#: An example number of every region the phone library knows (mobile where it has one).
EXAMPLES = sorted(
    {
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        for region in phonenumbers.SUPPORTED_REGIONS
        for number in (
            phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE),
            phonenumbers.example_number(region),
        )
        if number is not None and phonenumbers.is_valid_number(number)
    }
)

#: Syrian mobile numbers: 09X XXX XXXX nationally, +963 9X XXX XXXX in E.164.
syrian_mobiles = st.builds(
    lambda prefix, rest: f"+963{prefix}{rest:07d}",
    st.sampled_from(["93", "94", "95", "96", "98", "99"]),
    st.integers(0, 9_999_999),
)

valid_numbers = st.sampled_from(EXAMPLES) | syrian_mobiles


def _written(e164: str, style: str, digits: str, prefix: str) -> str:
    """``e164`` written the way a person or a provider might write it."""
    number = phonenumbers.parse(e164)
    if style == "international":
        text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    elif style == "double zero":
        text = "00" + e164[1:]
    elif style == "dashes":
        text = "-".join(re.findall(r".{1,3}", e164))
    else:
        text = e164
    text = text.translate(ARABIC_INDIC if digits == "arabic" else PERSIAN if digits == "persian" else {})
    return prefix + text


@settings(max_examples=150)
@given(
    valid_numbers,
    st.sampled_from(["e164", "international", "double zero", "dashes"]),
    st.sampled_from(["latin", "arabic", "persian"]),
    st.sampled_from(["", "whatsapp:", "WhatsApp:", " "]),
)
def test_every_valid_number_round_trips_to_its_e164(e164, style, digits, prefix):
    """A valid number in any common writing normalises to the same E.164, which is a fixed point."""
    assert normalise_address(_written(e164, style, digits, prefix)) == e164
    assert normalise_address(e164) == e164


@settings(max_examples=150)
@given(syrian_mobiles, st.sampled_from(["latin", "arabic"]), st.sampled_from(["", " ", "-"]))
def test_syrian_numbers_without_a_country_code_are_syrian(e164, digits, sep):
    """"0944 123 456" (national, trunk 0) in Latin or Arabic-Indic digits is +963944123456."""
    national = "0" + e164[4:]
    text = sep.join([national[:4], national[4:7], national[7:]])
    if digits == "arabic":
        text = text.translate(ARABIC_INDIC)
    assert normalise_address(text) == e164


_PHONEISH = st.from_regex(r"\A(whatsapp:)?\s?(\+|00)?[0-9٠-٩ ()\-]{0,22}\Z")


@settings(max_examples=150)
@given(hostile_text | _PHONEISH)
@example("whatsapp:")
@example("00")
@example("+" + "9" * 45)
def test_any_text_is_e164_or_address_error(text):
    """Any text gives a valid E.164 number that normalises to itself, or AddressError with a reason."""
    try:
        e164 = normalise_address(text)
    except AddressError as exc:
        assert str(exc)
        return
    assert E164.match(e164), e164
    assert phonenumbers.is_valid_number(phonenumbers.parse(e164))
    assert normalise_address(e164) == e164
    assert normalise_address("whatsapp:" + e164) == e164


OWN = "+963944123456"


@settings(max_examples=100)
@given(st.sampled_from(["1", "١", "۱", " 1.", "نعم", "yes", "ok", "اي"]))
def test_callback_yes_or_1_is_the_senders_own_number(answer):
    """"1" in any script, or yes, means the sender's own number, normalised; without one, no answer."""
    assert parse_callback(answer, "whatsapp:" + OWN) == OWN
    assert parse_callback(answer, None) is None


@settings(max_examples=150)
@given(valid_numbers, st.sampled_from(["", "رقمي ", "my number is "]))
def test_callback_typed_number_is_read(e164, words):
    """A number typed with words before it is that number in E.164."""
    assert parse_callback(words + e164, OWN) == e164


@settings(max_examples=150)
@given(hostile_text | _PHONEISH, st.sampled_from([None, OWN, "whatsapp:" + OWN, "not a phone"]))
@example("¹", OWN)  # superscript one: menu_choice raised ValueError
def test_callback_never_raises_and_gives_e164_or_none(text, own):
    """Any answer gives None or a valid E.164 number."""
    answer = parse_callback(text, own)
    assert answer is None or (E164.match(answer) and normalise_address(answer) == answer)
