"""Words an intent needs before the model's guess is believed: a person asked for, messages stopped, a search.

The classifier reads names and everyday messages as intents now and then ("محمد الجمال" as
request_human, "لماذا تم إلغاء طلبي؟" as stop). These intents change what happens to a family, so
nlu.components.KeywordIntentRules keeps them only when the message has one of these words.
"""

from __future__ import annotations

import re

from nlu.lexicon import find_relationship
from nlu.text import normalise_for_matching

#: Asking for a person: "بدي احكي مع شخص", "talk to a person", "موظف", "bde 7ada".
HUMAN_WORDS = (
    "شخص", "انسان", "بني ادم", "موظف=", "موظفه=", "متطوع", "متطوعه", "حدا", "احد", "مسؤول", "الادمن",
    "ادمن", "دعم", "خدمه العملاء", "حقيقي", "اتصل", "اتصلوا", "تتصلوا", "اكلم", "احكي مع",
    "كلموني", "تواصل معي", "حكيني", "حاكيني", "رقم تلفون", "رقمكم",
    "person", "human", "agent", "operator", "someone", "somebody", "staff", "volunteer",
    "representative", "call me", "phone call", "talk to", "speak to", "speak with", "talk with",
    "7ada", "7adan", "shakhes", "sha5es", "shakhs", "insan", "mowazaf", "muwazzaf", "e7ki ma3", "ehki ma3",
    "e7ke ma3", "بشري لو", "مكالمه", "احكوني", "تلفون", "هاتف",
)

#: Stopping messages: "ما بدي رسائل", "وقفوا الرسايل", "unsubscribe". Not "cancel" alone.
STOP_WORDS = (
    "رسائل", "رسايل", "رساله", "رسالات", "مسجات", "مسج", "اشتراك=", "الاشتراك", "القائمه", "قائمه",
    "تبعتو", "تبعتولي", "تبعتلي", "تبعتوا", "ترسلوا", "ترسل لي", "ترسلو", "تراسلوني", "تراسلني",
    "توقف", "اوقف", "وقفوا", "وقفو", "بطلوا", "بطلو", "كفى", "شيلوني", "ازعاج", "تزعجوني",
    "stop", "unsubscribe", "message", "messages", "messaging", "text me", "texting", "texts", "opt out",
    "opt-out", "leave me alone", "contact me", "write to me", "spam",
    "rasa2el", "rasayel", "rasa2il", "rsayel", "msgs", "tba3tuli", "tba3tu", "wa2ef", "wa2fo", "wa2fu",
    "ما عاد بدي شي", "وقف", "ايقاف", "اتلقى=", "استقبل رسايل",
)

#: A person sought or released: detention, prison, missing, release, searching, registering.
DOMAIN_WORDS = (
    "معتقل", "اعتقل", "اعتقال", "انعتقل", "سجن", "سجنو", "سجنت", "مسجون", "سجين", "حبس", "محبوس", "مفقود", "فقدنا",
    "فقدت", "اختفى", "اختفي", "مختفي", "مغيب", "غيبوه", "غايب", "افرج", "افراج", "مفرج", "اطلق سراح",
    "طلعت من", "طلع من", "خرجت من", "خرج من", "سراح", "سراحي", "بدي سجل", "بدي اتسجل", "بدي تسجل", "اخذوه", "اخدوه", "اخدوها", "اخذوها", "شالوه", "سحبوه",
    "طلعت", "طلعنا", "اهلي=", "لاهلي=", "اهلي يعرفوا", "يلاقوني", "يلاقيني", "عايش", "طمن", "سجل اسمي",
    "سجل حالي", "اسجل", "سجلني", "سجلوني", "سجل رقمي", "اسجل رقمي",
    "صيدنايا", "صدنايا", "عدرا", "فرع", "مخابرات", "امن الدوله", "حاجز", "ابحث", "بحث", "البحث",
    "ادور", "دور على", "دور ع", "بدور", "عم دور", "دوروا", "دورولي", "ساعدوني لاقي", "الاقي", "لاقي",
    "تلاقو", "تلاقوا", "اسمه", "اسمو", "اسمها", "اسماء", "قوائم", "قائمه", "نجيت", "خبر عن", "اخبار عن", "وين صار", "لقيتوه", "لقيتو", "المفقودين", "المعتقلين",
    "detain", "detained", "detainee", "detention", "prison", "prisoner", "jail", "jailed", "arrest",
    "arrested", "missing", "disappeared", "released", "release", "freed", "got out", "find", "search",
    "searching", "looking for", "look for", "locate", "trace", "his name", "her name", "register me",
    "register my", "register myself", "sign me up", "my family", "tle3et", "tle3t", "sajjel", "sajelni", "ahli",
    "la ahli", "d7ar", "saydnaya", "sednaya", "checkpoint", "whereabouts",
    "m3ta2al", "mo3ta2al", "mu3ta2al", "e3ta2alo", "i3ti2al", "e3te2al", "7abs", "7abes", "sejen", "sijn",
    "msjoon", "masjoon", "mafoud", "mafqood", "mafkoud", "tle3t", "tl3t", "tele3t", "tele3et", "tli3et", "tli3t", "dawer",
    "bdawer", "dawwer", "ndawer", "la2i", "al2a", "tla2o", "sednaya",
    "afraj", "afrajo", "afrajou", "afraju", "efraj", "ifraj", "sara7", "sara7i", "tala3ouni", "tal3ouni", "tal3oni",
    "let me out", "let out", "set free", "set me free", "been freed", "got freed", "bdi sajjel", "badi sajel",
    "bde sajjel", "sajjelni", "sajelni",
)

#: An everyday need of a relative: illness, medicine, homework, a baby's things. "ابني عندو حرارة شو بعمل"
#: (my son has a fever, what do I do) names a son and is not a search: a relative is the domain's
#: evidence only in a message without one of these, unless a word of DOMAIN_WORDS is there too
#: ("ابني مريض ومعتقل من سنتين" is a search). Not here: titles (دكتور, doctor), which come with names;
#: hospitals (detainees died in military hospitals, and families search there); school, university
#: and work, where many were taken from ("كان طالب بالجامعة وما رجع").
EVERYDAY_NEED_WORDS = (
    "حراره", "حرارتو", "حرارته", "سخونه", "سخن", "مريض", "مريضه", "مرضان", "مرض", "دوا", "دواء", "ادويه", "علاج",
    "صيدليه", "صيدلي", "بنادول", "سيتامول", "انسولين", "كحه", "رشح", "كريب", "زكام", "اسهال", "استفراغ", "وجع",
    "بيوجعو", "عم يوجعو", "سنان", "لقاح", "تطعيم", "امتحان", "امتحانات", "وظيفه المدرسه", "حليب", "حفاضات", "فوط",
    "fever", "sick", "ill", "illness", "medicine", "medication", "pharmacy", "panadol", "paracetamol", "insulin",
    "vaccine", "cough", "flu", "toothache", "exam", "exams", "homework", "diapers", "nappies", "baby milk",
    "formula milk",
    "7arara", "s5oneh", "sa5neh", "mared", "mareed", "marid", "dawa", "saydalieh", "saydaliye", "emti7an",
    "7lib", "7aleeb",
)

#: Detention itself: prison, arrest, disappearance, release. A message with one is never "not for Shaml".
DETENTION_WORDS = (
    "معتقل", "اعتقل", "اعتقال", "انعتقل", "سجن", "مسجون", "سجين", "محبوس", "مفقود", "اختفى", "مختفي", "مغيب",
    "غيبوه", "افرج", "افراج", "مفرج", "اطلق سراح", "اخذوه", "اخدوه", "اخدوها", "اخذوها", "سحبوه", "صيدنايا", "صدنايا",
    "مخابرات", "امن الدوله", "المفقودين", "المعتقلين",
    "detain", "detained", "detainee", "detention", "prison", "prisoner", "jail", "jailed", "arrested",
    "disappeared", "saydnaya", "sednaya", "m3ta2al", "mo3ta2al", "mu3ta2al", "e3ta2alo", "i3ti2al", "e3te2al",
    "7abs", "7abes", "sejen", "sijn", "msjoon", "masjoon", "mafqood", "mafoud", "mafkoud",
)

#: Asking what became of a request or a person: ``check_status`` needs one of these or a word of the
#: domain ("في شي جديد؟", "any news?", "la2ayto shi?"); "fi forn bel 7ara?" (is there a bakery
#: nearby?) or "my heater won't charge" is not a question about a search.
STATUS_WORDS = (
    "جديد", "جديده", "جدييد", "اخبار", "خبر", "اخباره", "اخبارها", "طلب", "طلبي", "طلبنا", "الطلب", "صار", "صاير",
    "وصلتو", "وصلتوا", "وصلنا", "وصلني", "وصلكن", "وصل", "لقيتو", "لقيتوا", "لقيتوه", "لقيتوها", "لاقيتو", "لقيت",
    "ناطر", "ناطره", "ناطرين", "مستني", "مستنيه", "نتيجه", "نتيجة", "حاله", "حالة", "تحديث", "تحديثات", "رد=", "ردكن",
    "جواب", "سجلت", "سجلنا", "تسجيلي", "متى", "امتى", "ايمت", "لسا", "لسه", "لهلق", "لهلا", "لهلأ", "طمنوني", "طمنونا",
    "استفسار", "متابعه", "شي عن", "شي عنه", "شي عنها", "معلومه", "معلومات عن", "اي شي", "في شي",
    "news", "update", "updates", "status", "request", "progress", "result", "results", "found", "find", "yet", "still",
    "waiting", "heard", "hear", "registered", "registration", "search", "case", "come up", "came up", "happened",
    "answer", "reply", "anything", "any word", "any info", "information",
    "jdid", "jded", "jdide", "jdeed", "akhbar", "a5bar", "5abar", "khabar", "5bar", "sar", "la2ayto", "la2aytu",
    "la2eto", "talab", "talabi", "ba7es", "ba7th", "natra", "nater", "naterin", "wasaltou", "wasalto",
    "wselto", "natije", "lessa", "lissa", "lesa", "la halla2", "shi 3an", "shi 3anno", "shi 3anha",
)

#: Yes, agreed, right: an ``affirm`` needs one ("ايه", "تمام", "yes", "sa7").
AFFIRM_WORDS = (
    "نعم", "اي=", "ايه=", "ايوا", "ايوه", "اكيد", "طبعا", "تمام", "صح=", "صحيح", "مزبوط", "مظبوط", "موافق", "ماشي",
    "اوكي", "اوك=", "بلى", "اجل=", "منيح", "تفضل", "مية بالمية", "يب=", "يا ريت", "بالزبط", "هيك=",
    "yes", "yeah", "yep", "yup", "ya=", "sure", "correct", "right", "exactly", "agree", "ok", "okay", "affirmative",
    "of course", "please", "definitely", "absolutely", "certainly", "بالتاكيد", "تاكيد", "aywa", "aiwa", "eh", "ah", "na3am", "akid", "akeed", "tamam", "tmam", "sa7",
    "sah", "mazboot", "mazbut", "mazbout", "mazbot", "mzbout", "mzbut", "sa7i7", "sahih", "tmem", "tamem", "akiid",
    "aywah", "aiwah", "ayweh", "ee", "eeh", "ih", "yea", "yeh", "yess", "yesss", "mwaf2", "mwafi2", "mashe", "mnee7",
    "mni7", "yes sir", "thats him", "that's him", "thats her", "that's her", "mwafe2a",
)

#: No, wrong, not that: a ``deny`` needs one ("لا", "غلط", "no", "la2").
DENY_WORDS = (
    "لا=", "لأ=", "لاء=", "كلا", "غلط", "خطا", "خطأ", "مش=", "مو=", "مانا", "مانو", "ما بدي", "مابدي", "غير موافق", "ابدا", "ماني",
    "no", "not", "nope", "nah", "wrong", "incorrect", "don t", "dont", "do not", "disagree", "never", "la2", "laa", "lae", "mish",
    "mesh", "mo", "msh", "ma badi", "mabadi", "ma bde", "ghalat", "8alat", "ghalta", "kella", "abadan", "mano", "mani",
    "noo", "nooo", "nop", "isn't", "isnt", "not him", "not her", "ma baddi", "mabadde",
)

#: The words a greeting, a thank-you or a goodbye is made of, with the courtesy around them. A
#: message read as greet, thank or goodbye that has more than two other words says something else
#: ("مرحبا، كل عام وانتم بخير", "my laptop is broken thanks"), and is not answered with the menu.
COURTESY_WORDS = frozenset(normalise_for_matching(w) for w in """
    مرحبا مرحبتين مرحبه مرحبا هلا هلو اهلا اهلين هاي هاي الو يا هلا والله سلام السلام سلامات عليكم عليكن عليك
    ورحمه الله وبركاته صباح صباحو مسا مساء الخير النور الخيرات بالخير خير يعطيكم يعطيكن يعطيك العافيه عافيه
    كيفكن كيفكم كيفك كيف الحال حالك حالكم حالكن شلونكم شلونك شو اخباركم اخبارك منيح تمام الحمد لله الحمدلله
    يا جماعه الشباب شباب شبابي بالشباب خيي اخي اخوان اخواني اختي حبايب حبيبي فيكن فيكم في حدا احد هون موجود
    بدي اسال سؤال استفسار لو سمحت سمحت من فضلك بالعربي عربي انكليزي
    شكرا شكر شكرا جزيلا جزيلا الف كتير كثير كتر خيرك خيركم خيركن مشكور مشكورين مشكوره يسلمو يسلموا يسلم تسلم
    تسلموا تسلمي ايديكن ايديكم ايدك جزاكم جزاك يجزيكن يجزيكم يجزيك ممنون ممنونين ممنونكن الكن الكم الك
    يرضى يخليكن يخليكم يخليك يحفظكم عليكن على كل شي شيء المساعده مساعدتكم هالخدمه الخدمه تعبكن تعبكم جهودكم
    مع السلامه سلامتك الله معك معكن معكم باي بخاطرك بخاطركن تصبحوا تصبح تصبحي وداعا اللقاء منحكي بعدين
    منشوفكن يلا هلق هلا خلص هيك بكفي الى لقاء قريب لاحقا نلتقي ان شاء انشالله
    hi hello hey hiya heya there all guys everyone anyone folks good morning evening afternoon night day
    how are you doing is anybody there salam salaam alaykum aleikum alaikum marhaba mar7aba marhaban ahlan ahla
    ahlein ahlen hala slm sabah masa el kheir kher khair nour
    thanks thank you thx tnx ty so much very many lot a for the help everything your all kindly appreciate
    appreciated it god bless merci shukran shokran chokran ktir kteer yislamo yslamo ysalmo tislam tislamo ideik
    3al 3ala mosa3de mosa3ade musa3ade ya shabab jama3a bkhatrkon bkhatrik tayeb tayyeb
    hope well ciao helpful been great lazem roo7 ru7 rou7 ra2e7 ra2i7 halla2 hala2 sister brother akhi ukhti run gotta
    لازم روح اروح اطلع رايح رايحه بسكر اخت الاخت العزيز العزيزه
    هل من هنا اخوتي اخواني الكرام كيفكن كيفكم ياجماعه امان
    bye goodbye see later take care ciao talk soon ok okay now that's that all for ma3 salame salama allah ma3ak
    bkhatrak tasbe7o yalla leaving going have to go gotta must i m im i
    please plz pls english arabic in speak can
    """.split())

_PUNCT = re.compile(r"[-'’.,!?;:()\"،؟؛]")
_ARABIC_PREFIXES = ("وال", "بال", "فال", "لل", "ال", "و", "ب", "ف", "ل")


def _prepared(words: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(phrases found between word boundaries, short Arabic words matched whole after a prefix,
    Arabic stems of four letters or more a word may start with: "حدا" must not match حداد)."""
    phrases, exact, stems = [], [], []
    for word in words:
        folded = normalise_for_matching(word.rstrip("="))
        if word.endswith("="):  # "اهلي=": the whole word only, so اهلين (hello) is not اهلي (my family)
            exact.append(folded)
        elif " " in folded or not re.search(r"[\u0600-\u06ff]", folded):
            phrases.append(folded)
        elif len(folded) <= 3:
            exact.append(folded)
        else:
            stems.append(folded)
    return tuple(phrases), tuple(exact), tuple(stems)


_HUMAN, _STOP, _DOMAIN = _prepared(HUMAN_WORDS), _prepared(STOP_WORDS), _prepared(DOMAIN_WORDS)
_AFFIRM, _DENY, _DETENTION = _prepared(AFFIRM_WORDS), _prepared(DENY_WORDS), _prepared(DETENTION_WORDS)
_STATUS = _prepared(STATUS_WORDS)
_EVERYDAY = _prepared(EVERYDAY_NEED_WORDS)
#: "يا اخي", "ya akhi", "يا خالة": people address one another as relatives; that is not a relative sought.
_VOCATIVE = re.compile(r"(?i)(?:^|(?<=\s))(?:يا|ya|yaa)\s+\S+")
#: A code typed back: six digits in any script, maybe split by a space or a hyphen, as
#: bot.reunion.verification reads it ("483 920"); a year ("mafoud mn 2014") or a phone number is not one.
_DIGIT = "[0-9\u0660-\u0669\u06f0-\u06f9]"
_CODE = re.compile(rf"(?<![0-9\u0660-\u0669\u06f0-\u06f9])(?:{_DIGIT}[ -]?){{5}}{_DIGIT}(?![0-9\u0660-\u0669\u06f0-\u06f9])")


def _has(text: str, table: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]) -> bool:
    phrases, exact, stems = table
    clean = normalise_for_matching(_PUNCT.sub(" ", text))
    padded = f" {clean} "
    if any(f" {p} " in padded for p in phrases):
        return True
    for word in clean.split():
        forms = [word] + [word[len(p) :] for p in _ARABIC_PREFIXES if word.startswith(p) and len(word) - len(p) >= 2]
        if any(form in exact for form in forms) or any(form.startswith(stem) for form in forms for stem in stems):
            return True
    return False


def asks_for_person(text: str) -> bool:
    """True when the message asks for a person ("بدي احكي مع شخص", "talk to a person")."""
    return _has(text, _HUMAN)


def asks_to_stop(text: str) -> bool:
    """True when the message is about stopping messages, not only a "cancel" about something else."""
    return _has(text, _STOP)


def has_domain_evidence(text: str) -> bool:
    """True when the message is about a person sought or released: detention, prison, a relative, searching.

    A relative named only in an address ("يا اخي", "ya akhi": O brother) does not count, nor one
    named with an everyday need and no word of the domain ("my mother needs panadol").
    """
    if _has(text, _DOMAIN):
        return True
    found = find_relationship(_VOCATIVE.sub(" ", text))
    return found is not None and found != "self" and not _has(text, _EVERYDAY)


def mentions_detention(text: str) -> bool:
    """True when the message speaks of detention itself: prison, arrest, disappearance, release."""
    return _has(text, _DETENTION)


def says_yes(text: str) -> bool:
    """True when the message has a word of agreement ("ايه", "تمام", "yes", "sa7")."""
    return _has(text, _AFFIRM)


def says_no(text: str) -> bool:
    """True when the message has a word of refusal or correction ("لا", "غلط", "no", "la2"), or opens with
    the Arabizi "la" (elsewhere "la" is "to, for": "bde dawa la emme")."""
    words = normalise_for_matching(_PUNCT.sub(" ", text)).split()
    return _has(text, _DENY) or (bool(words) and words[0] == "la")


def asks_status(text: str) -> bool:
    """True when the message asks what became of a request or a person: a word of news, of the request,
    of waiting, or of the domain (a relative, detention, a search)."""
    return _has(text, _STATUS) or has_domain_evidence(text)


def has_code(text: str) -> bool:
    """True when the message carries a code: six digits (any script), maybe split by a space or a hyphen."""
    return bool(_CODE.search(text))


def other_words(text: str) -> int:
    """How many words of the message are not greeting, thanks, goodbye or courtesy words."""
    clean = normalise_for_matching(_PUNCT.sub(" ", text))
    count = 0
    for word in clean.split():
        forms = [word] + [word[len(p) :] for p in _ARABIC_PREFIXES if word.startswith(p) and len(word) - len(p) >= 2]
        if not any(form in COURTESY_WORDS for form in forms) and re.search(r"\w", word):
            count += 1
    return count


#: More words than this besides courtesy, and a greeting, thanks or goodbye says something else.
SMALL_TALK_MAX_OTHER_WORDS = 2


def is_small_talk(text: str) -> bool:
    """True when the message is made of greeting, thanks or goodbye words, with two other words at most."""
    return other_words(text) <= SMALL_TALK_MAX_OTHER_WORDS
