"""Every message of the reunification workflow, in Arabic and English side by side. Pure."""

from __future__ import annotations

import re
import unicodedata

#: key -> (Arabic, English). Placeholders are filled by :func:`render`. Each fits two SMS segments
#: once filled with ordinary names (Arabic is UCS-2: 134 characters in two segments).
TEXTS: dict[str, tuple[str, str]] = {
    # To the released person: a family is looking for them (the question of the consent flow).
    "consent_request": (
        "{searcher} يبحث عنك عبر شمل ويقول إنك: {relationship}. اكتب رقماً:\n1 شارك رقمي\n2 أخبرهم أنني بخير فقط\n3 لا تخبرهم شيئاً",
        "{searcher} is looking for you through Shaml and says you are their {relationship}. Reply:\n1 share my number\n2 only tell them I'm safe\n3 tell them nothing",
    ),
    "consent_reminder": (
        "تذكير: {searcher} يبحث عنك ويقول إنك: {relationship}. اكتب:\n1 شارك رقمي\n2 أخبرهم أنني بخير فقط\n3 لا تخبرهم شيئاً",
        "Reminder: {searcher} is looking for you and says you are their {relationship}. Reply:\n1 share my number\n2 only tell them I'm safe\n3 tell them nothing",
    ),
    "consent_invalid": (
        "اكتب 1 أو 2 أو 3 من فضلك.",
        "Please reply 1, 2 or 3.",
    ),
    # To the released person, after the choice.
    "consent_done_share_no_number": (
        "شكراً. أرسلنا رقمك إلى {searcher}. كتب لنا عبر تيليغرام دون رقم هاتف، فسيتصل بك هو.",
        "Thank you. We sent your number to {searcher}. They wrote to us on Telegram without a phone number, so they will call you.",
    ),
    "consent_done_share": (
        "شكراً. أرسلنا رقمك إلى {searcher}. رقم التواصل معه: {number}",
        "Thank you. We sent your number to {searcher}. You can reach them on {number}",
    ),
    "consent_done_share_reviewed": (
        "شكراً. هذا رقم {searcher} لتتصل به متى شئت: {number}. لم نرسل رقمك.",
        "Thank you. Here is {searcher}'s number to call when you wish: {number}. We did not send yours.",
    ),
    "consent_done_safe": (
        "شكراً. أخبرناهم أنك بخير، ولم نرسل رقمك.",
        "Thank you. We told them you are safe and did not send your number.",
    ),
    "consent_done_nothing": (
        "حسناً، لن نخبرهم بشيء. نحن هنا إن غيّرت رأيك.",
        "All right, we will tell them nothing. We are here if you change your mind.",
    ),
    # To the family, exactly what the released person allowed.
    "family_shared": (
        "خبر طيب: {name} سجّل في شمل ووافق على التواصل معك. رقمه: {number}",
        "Good news: {name} registered with Shaml and agreed to be in touch. Their number: {number}",
    ),
    "family_shared_reviewed": (
        "خبر طيب: {name} سجّل في شمل، وأرسلنا إليه رقمك ليتصل بك.",
        "Good news: {name} registered with Shaml, and we sent them your number so they can call you.",
    ),
    "family_safe": (
        "خبر طيب: {name} سجّل في شمل وطلب أن نخبرك أنه بخير. لم يشارك رقمه.",
        "Good news: {name} registered with Shaml and asked us to tell you they are safe. They did not share a number.",
    ),
    "family_released_list": (
        "{name} مذكور في قائمة المفرج عنهم من {source} بتاريخ {date}. تجمّع المفرج عنهم من {governorate} في {place}.",
        "{name} appears on the released list from {source} dated {date}. People released from {governorate} were gathered at {place}.",
    ),
    # Verification of the callback number.
    "verification_code": (
        "رمز شمل: {code}\nأرسل هذا الرمز إلى شمل من أي هاتف لتأكيد رقم التواصل.",
        "Shaml code: {code}\nSend this code to Shaml from any phone to confirm the callback number.",
    ),
    "verification_sent": (
        "أرسلنا رمزاً إلى {number}. أرسل الرمز إلينا من أي هاتف لتفعيل تسجيلك.",
        "We sent a code to {number}. Send it to us from any phone to activate your registration.",
    ),
    "verified": (
        "تم تأكيد رقم التواصل وتسجيلك فعّال. سنخبرك إن بحث عنك أحد.",
        "The callback number is confirmed and your registration is active. We will tell you if someone looks for you.",
    ),
    "verified_elsewhere": (
        "شكراً، تم تأكيد الرمز.",
        "Thank you, the code is confirmed.",
    ),
    "code_wrong": (
        "هذا الرمز غير صحيح أو انتهت صلاحيته. تحقق منه وأرسله مرة أخرى.",
        "That code is not right or has expired. Check it and send it again.",
    ),
    "code_locked": (
        "تعذّر التأكيد بالرمز. سيتواصل معك أحد المتطوعين.",
        "We could not confirm the code. A volunteer will contact you.",
    ),
    # Searches.
    "search_recorded": (
        "سجّلنا بحثك عن {name}. يبقى البحث مفتوحاً، وسنراسلك فور وجود خبر.",
        "We recorded your search for {name}. It stays open, and we will write as soon as there is news.",
    ),
    "search_duplicate": (
        "بحثك عن {name} مسجّل من قبل وما زال مفتوحاً. سنراسلك فور وجود خبر.",
        "Your search for {name} is already recorded and still open. We will write as soon as there is news.",
    ),
    "search_limit": (
        "وصلت إلى حد البحث اليومي ({limit}). بحوثك السابقة ما زالت مفتوحة. حاول غداً أو اطلب الحديث مع شخص.",
        "You have reached today's search limit ({limit}). Your earlier searches stay open. Try tomorrow or ask for a person.",
    ),
    "search_cooldown": (
        "لا نستطيع تسجيل بحث جديد الآن. سيتواصل معك أحد المتطوعين.",
        "We cannot record a new search right now. A volunteer will contact you.",
    ),
    # check_status.
    "status_none": (
        "ليس لديك بحث أو تسجيل عندنا. اكتب 1 لتبدأ بحثاً.",
        "You have no search or registration with us. Reply 1 to start a search.",
    ),
    "status_open": (
        "بحثك عن {name}: مفتوح، ولا خبر نستطيع مشاركته بعد.",
        "Your search for {name}: open, no news we can share yet.",
    ),
    "status_shared": (
        "بحثك عن {name}: أرسلنا إليك رقم التواصل بتاريخ {date}.",
        "Your search for {name}: we sent you a contact number on {date}.",
    ),
    "status_shared_reviewed": (
        "بحثك عن {name}: أرسلنا رقمك إليه بتاريخ {date}.",
        "Your search for {name}: we sent your number to them on {date}.",
    ),
    "status_safe": (
        "بحثك عن {name}: أخبرناك بتاريخ {date} أنه بخير.",
        "Your search for {name}: on {date} we told you they are safe.",
    ),
    "status_released_list": (
        "بحثك عن {name}: أخبرناك بتاريخ {date} أنه في قائمة المفرج عنهم.",
        "Your search for {name}: on {date} we told you they are on a released list.",
    ),
    "status_registration_pending": (
        "تسجيلك ينتظر تأكيد رقم التواصل بالرمز الذي أرسلناه.",
        "Your registration is waiting for the code we sent to the callback number.",
    ),
    "status_registration_active": (
        "تسجيلك فعّال. سنخبرك إن بحث عنك أحد.",
        "Your registration is active. We will tell you if someone looks for you.",
    ),
    # delete_data.
    "deleted": (
        "حذفنا بياناتك كلها. إن راسلتنا من جديد نبدأ من البداية.",
        "We deleted all your data. If you write again, we start from the beginning.",
    ),
}

#: Where released people were gathered, by governorate (DESIGN.md): Damascus and its suburbs at the
#: Salam Mosque in Barzeh; everyone else in the shelters of Tal and Minin, grouped by governorate.
GATHERING = {
    "دمشق": ("جامع السلام في برزة", "the Salam Mosque in Barzeh"),
    "ريف دمشق": ("جامع السلام في برزة", "the Salam Mosque in Barzeh"),
}
DEFAULT_GATHERING = ("مراكز الإيواء في التل ومنين", "the shelters in Tal and Minin")

#: Latin spellings of the governorates with a gathering point of their own.
_LATIN_GOVERNORATE = {
    "damascus": "دمشق",
    "dimashq": "دمشق",
    "rif dimashq": "ريف دمشق",
    "rif damascus": "ريف دمشق",
    "rural damascus": "ريف دمشق",
    "damascus countryside": "ريف دمشق",
    "reef dimashq": "ريف دمشق",
}

_ALEF = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي"})


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().casefold().translate(_ALEF)
    return re.sub(r"[\s\-]+", " ", text)


def gathering_point(governorate: str | None, language: str) -> str:
    """Where people from ``governorate`` were gathered after release, in ``language``."""
    folded = _fold(governorate or "")
    key = _LATIN_GOVERNORATE.get(folded)
    if key is None:
        key = next((g for g in GATHERING if _fold(g) == folded), None)
    ar, en = GATHERING.get(key, DEFAULT_GATHERING) if key else DEFAULT_GATHERING
    return en if language == "en" else ar


def render(key: str, language: str, **values: object) -> str:
    """The text ``key`` in ``language`` (``ar`` unless ``en``), with the placeholders filled."""
    ar, en = TEXTS[key]
    template = en if language == "en" else ar
    return template.format(**{k: ("" if v is None else v) for k, v in values.items()})
