"""What the gateway itself says to people, in Arabic and English side by side. Short: an SMS is 2 segments."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "stopped": {
        "ar": "تم إيقاف الرسائل. لن نرسل لك شيئاً بعد الآن. لاستئنافها أرسل: ابدأ أو START",
        "en": "Messages stopped. We will not write again. To resume, send START.",
    },
    "started": {
        "ar": "أهلاً بعودتك إلى شمل. اكتب رسالتك، أو أرسل: مساعدة",
        "en": "Welcome back to Shaml. Write your message, or send HELP.",
    },
    "help": {
        "ar": "شمل يساعد العائلات والمفرج عنهم على التواصل. اكتب: بحث، أو تسجيل، أو موظف. للإيقاف: توقف",
        "en": "Shaml helps families and released detainees reconnect. Write: search, register or human. STOP to end.",
    },
    "media": {
        "ar": "نقرأ الرسائل النصية فقط. وصلتنا رسالتك وسيطّلع عليها أحد أعضاء فريقنا ويرد عليك.",
        "en": "We can only read text. We kept your message; a member of our team will look at it and reply.",
    },
    "waiting": {
        "ar": "وصلت رسالتك إلى فريقنا. سيرد عليك شخص هنا، عادةً خلال يوم. لا داعي لإعادة الإرسال.",
        "en": "Your message reached our team. A person will answer here, usually within a day. No need to send it again.",
    },
    "rate_limited": {
        "ar": "وصلتنا رسائل كثيرة في وقت قصير. حفظناها كلها، وسيرد عليك أحد أعضاء فريقنا.",
        "en": "We received many messages at once. We kept them all; a member of our team will reply.",
    },
    "unavailable": {
        "ar": "نواجه عطلاً مؤقتاً. حفظنا رسالتك وسيرد عليك أحد أعضاء فريقنا.",
        "en": "We have a temporary problem. We kept your message; a member of our team will reply.",
    },
}


def text(key: str, language: str) -> str:
    """The message ``key`` in ``language`` (Arabic when the language is unknown)."""
    entry = TEXTS[key]
    return entry.get(language, entry["ar"])
