"""What the gateway itself says to people, in Arabic, English and Arabizi (az) side by side. Short: an SMS is 2 segments."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "stopped": {
        "ar": "تم إيقاف الرسائل. لن نرسل لك شيئاً بعد الآن. لاستئنافها أرسل: ابدأ أو START",
        "en": "Messages stopped. We will not write again. To resume, send START.",
        "az": "Wa2afna el rasa2el. Ma ra7 neb3atlak shi ba3d halla2. La terja3 ebe3t: START aw ebda2",
    },
    "started": {
        "ar": "أهلاً بعودتك إلى شمل. اكتب رسالتك، أو أرسل: مساعدة",
        "en": "Welcome back to Shaml. Write your message, or send HELP.",
        "az": "Ahla w sahla fik mn jdid bi Shaml. Ekteb resaltak, aw ebe3t: HELP",
    },
    "help": {
        "ar": "شمل يساعد العائلات والمفرج عنهم على التواصل. اكتب: بحث، أو تسجيل، أو موظف. للإيقاف: توقف",
        "en": "Shaml helps families and released detainees reconnect. Write: search, register or human. STOP to end.",
        "az": "Shaml bisa3ed el 3ayle wel mafraj 3anhon yetwasalo. Ekteb: 1 lal ba7es, 2 lal tasjil, 3 la shakhs. La tewa22ef: STOP",
    },
    "media": {
        "ar": "نقرأ الرسائل النصية فقط. وصلتنا رسالتك وسيطّلع عليها أحد أعضاء فريقنا ويرد عليك.",
        "en": "We can only read text. We kept your message; a member of our team will look at it and reply.",
        "az": "Mne2ra bas el rasa2el el maktube. Wsletna resaltak w ra7 ysufha 7ada mn fari2na w yrod 3lek.",
    },
    "waiting": {
        "ar": "وصلت رسالتك إلى فريقنا. سيرد عليك شخص هنا، عادةً خلال يوم. لا داعي لإعادة الإرسال.",
        "en": "Your message reached our team. A person will answer here, usually within a day. No need to send it again.",
        "az": "Wsolet resaltak la fari2na. Ra7 yrod 3lek shakhs hon, 3adatan khelal yom. Ma fi da3i teb3ata mara tenye.",
    },
    "rate_limited": {
        "ar": "وصلتنا رسائل كثيرة في وقت قصير. حفظناها كلها، وسيرد عليك أحد أعضاء فريقنا.",
        "en": "We received many messages at once. We kept them all; a member of our team will reply.",
        "az": "Wsletna rasa2el ktir b wa2t 2asir. 7afaznahon kellon, w ra7 yrod 3lek 7ada mn fari2na.",
    },
    "unavailable": {
        "ar": "نواجه عطلاً مؤقتاً. حفظنا رسالتك وسيرد عليك أحد أعضاء فريقنا.",
        "en": "We have a temporary problem. We kept your message; a member of our team will reply.",
        "az": "3anna 3otel mo2a22at. 7afazna resaltak w ra7 yrod 3lek 7ada mn fari2na.",
    },
}


def text(key: str, language: str) -> str:
    """The message ``key`` in ``language`` (Arabic when the language is unknown)."""
    entry = TEXTS[key]
    return entry.get(language, entry["ar"])
