"""Every message of the reunification workflow, in Arabic, English and Arabizi (az: Arabic in Latin letters). Pure."""

from __future__ import annotations

import re
import unicodedata

#: key -> (Arabic, English). Placeholders are filled by :func:`render`. Each fits two SMS segments
#: once filled with ordinary names (Arabic is UCS-2: 134 characters in two segments).
TEXTS: dict[str, tuple[str, str]] = {
    # To the released person: a family is looking for them (the question of the consent flow).
    "consent_request": (
        "وصلنا طلب بحث عنك من {searcher} ({relationship}). اكتب رقماً:\n1 شارك رقمي\n2 أخبرهم أنني بخير فقط\n3 لا تخبرهم شيئاً",
        "{searcher} ({relationship}) is looking for you through Shaml. Reply:\n1 share my number\n2 only tell them I'm safe\n3 tell them nothing",
    ),
    "consent_reminder": (
        "تذكير: طلب بحث عنك من {searcher} ({relationship}). اكتب:\n1 شارك رقمي\n2 أخبرهم أنني بخير فقط\n3 لا تخبرهم شيئاً",
        "Reminder: {searcher} ({relationship}) is looking for you. Reply:\n1 share my number\n2 only tell them I'm safe\n3 tell them nothing",
    ),
    # To a registrant nobody has vouched for yet: nothing names the searcher (bot/reunion/trust.py).
    "consent_request_anon": (
        "قد يكون أحد من أهلك يبحث عنك عبر شمل. اكتب رقماً:\n1 راسلوني عبر شمل والأرقام مخفية\n2 أخبروهم أنني بخير\n3 لا تخبروهم شيئاً",
        "Someone from your family may be looking for you through Shaml. Reply:\n1 write to me through Shaml, numbers hidden\n2 tell them I'm safe\n3 tell them nothing",
    ),
    "consent_reminder_anon": (
        "تذكير: قد يكون أحد من أهلك يبحث عنك. اكتب:\n1 راسلوني عبر شمل والأرقام مخفية\n2 أخبروهم أنني بخير\n3 لا تخبروهم شيئاً",
        "Reminder: someone from your family may be looking for you. Reply:\n1 write to me through Shaml, numbers hidden\n2 tell them I'm safe\n3 tell them nothing",
    ),
    "consent_done_vet": (
        "شكراً. سيتصل بك أحد المتطوعين للتأكد قبل أن نخبرهم بشيء.",
        "Thank you. A volunteer will call you to confirm before we tell them anything.",
    ),
    # The relayed conversation (bot/reunion/relay.py).
    "relay_open_family": (
        "شخص سجّل في شمل باسم {name} قد يكون من تبحث عنه. راسله هنا والأرقام مخفية، واسأله ما لا يعرفه غيره.",
        "Someone registered with Shaml as {name} may be the person you seek. Write to them here, numbers hidden, and ask what only he would know.",
    ),
    "relay_howto_family": (
        "إن تأكدت أنه هو فاكتب: هو هو. لإنهاء المحادثة اكتب: اغلاق. شمل لا يطلب المال أبداً، فلا تدفع لأحد.",
        "When you are sure it is him, write: IT IS HIM. To end the conversation, write: CLOSE. Shaml never asks for money: pay no one.",
    ),
    "relay_open_registrant": (
        "يمكنك الآن مراسلة من يبحث عنك هنا عبر شمل والأرقام مخفية. لإنهاء المحادثة اكتب: اغلاق. شمل لا يطلب المال أبداً.",
        "You can now write here to the person looking for you, through Shaml, numbers hidden. To end it, write: CLOSE. Shaml never asks for money.",
    ),
    "relayed": (
        "رسالة عبر شمل:\n{text}\n(شمل لا يطلب المال أبداً)",
        "Message through Shaml:\n{text}\n(Shaml never asks for money)",
    ),
    "relay_held_sender": (
        "رسالتك بانتظار مراجعة أحد المتطوعين قبل أن تصل.",
        "Your message waits for a volunteer's check before it is passed on.",
    ),
    "relay_held_recipient": (
        "أوقفنا رسالة إليك فيها طلب مال. شمل لا يطلب المال أبداً، فلا تدفع لأحد. سيتواصل معك متطوع.",
        "We stopped a message to you that asked for money. Shaml never asks for money: pay no one. A volunteer will contact you.",
    ),
    "relay_recognised": (
        "شكراً. سنسأله إن كان ما زال يوافق على تبادل الأرقام، ونخبرك هنا. شمل لا يطلب المال أبداً.",
        "Thank you. We will ask him whether he still agrees to exchange numbers, and tell you here. Shaml never asks for money.",
    ),
    "relay_closed": (
        "انتهت المحادثة عبر شمل.",
        "The conversation through Shaml has ended.",
    ),
    "registration_held": (
        "شكراً. سيتواصل معك أحد المتطوعين قبل تفعيل تسجيلك.",
        "Thank you. A volunteer will contact you before your registration is active.",
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
        "أرسلنا رقمك إلى {searcher}. رقمه: {number}. شمل لا يطلب المال أبداً.",
        "Thank you. We sent your number to {searcher}. You can reach them on {number}. Shaml never asks for money.",
    ),
    "consent_done_share_reviewed": (
        "هذا رقم {searcher} لتتصل به متى شئت: {number}. لم نرسل رقمك. شمل لا يطلب المال أبداً.",
        "Thank you. Here is {searcher}'s number to call when you wish: {number}. We did not send yours. Shaml never asks for money.",
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
        "خبر طيب: {name} سجّل في شمل ووافق على التواصل معك. رقمه: {number}. شمل لا يطلب المال أبداً.",
        "Good news: {name} registered with Shaml and agreed to be in touch. Their number: {number}. Shaml never asks for money, and no one from it will ask you to pay.",
    ),
    "family_shared_reviewed": (
        "خبر طيب: {name} سجّل في شمل، وأرسلنا إليه رقمك ليتصل بك. شمل لا يطلب المال أبداً.",
        "Good news: {name} registered with Shaml, and we sent them your number so they can call you. Shaml never asks for money, and no one from it will ask you to pay.",
    ),
    "family_safe": (
        "خبر طيب: {name} سجّل في شمل وطلب أن نخبرك أنه بخير. لم يشارك رقمه.",
        "Good news: {name} registered with Shaml and asked us to tell you they are safe. They did not share a number.",
    ),
    "family_released_list_plain": (
        "{name} مذكور في قائمة المفرج عنهم من {source} بتاريخ {date}. شمل لا يطلب المال أبداً.",
        "{name} appears on the released list from {source} dated {date}. Shaml never asks for money.",
    ),
    "family_released_list": (
        "{name} في قائمة المفرج عنهم من {source}، {date}. يتجمّع المفرج عنهم من {governorate} في {place}.",
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
    # The one reply every search gets, whatever the registry holds (docs/threat-model.md).
    "search_received": (
        "سجّلنا بحثك ويبقى مفتوحاً. لا نخبرك بشيء قبل التأكد وموافقة الشخص نفسه. سنراسلك هنا إن وصل خبر.",
        "We recorded your search and it stays open. We tell you nothing before we are sure and the person agrees. We will write here if there is news.",
    ),
    # Asked of every search without the mother's name or the birth year (never because of a result).
    "search_more_details": (
        "إن كنت تعرف اسم أمه أو سنة ميلاده فهذا يساعدنا.",
        "If you know his mother's name or birth year, it helps.",
    ),
    "search_details_added": (
        "شكراً، أضفنا ذلك إلى بحثك. سنراسلك هنا إن وصل خبر.",
        "Thank you, we added that to your search. We will write here if there is news.",
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

#: key -> the Arabizi text (Syrian Levantine in Latin letters: 3 = ع, 7 = ح, 2 = ء, 5 = خ) for a contact who
#: writes Arabizi (``Contact.language == "az"``). The numbered choices, the words to type and the warning
#: that Shaml never asks for money are the same as in Arabic. Addressed as the Arabic is (the released
#: person and the family in the generic masculine of everyday writing; the searcher never gendered).
ARABIZI: dict[str, str] = {
    "consent_request": "Talab ba7s 3anak mn {searcher} ({relationship}). Ekteb:\n1 sharek ra2mi\n2 2ellon enni bkhair bas\n3 ma t2ellon shi",
    "consent_reminder": "Tazkir, talab ba7s 3anak mn {searcher} ({relationship}):\n1 sharek ra2mi\n2 2ellon enni bkhair\n3 ma t2ellon shi",
    "consent_request_anon": (
        "Yemken 7ada mn ahlak 3am ydawwer 3lek 3abr Shaml. Ekteb ra2am:\n1 raslouni 3abr Shaml w el ar2am m5fiye"
        "\n2 2ulolon enni bkhair\n3 ma t2ulolon shi"
    ),
    "consent_reminder_anon": (
        "Tazkir: yemken 7ada mn ahlak 3am ydawwer 3lek. Ekteb:\n1 raslouni 3abr Shaml w el ar2am m5fiye"
        "\n2 2ulolon enni bkhair\n3 ma t2ulolon shi"
    ),
    "consent_done_vet": "Shukran. Ra7 yettasel fik mutatawe3 la yet2akkad 2abel ma n2ellon shi.",
    "relay_open_family": "7ada sajjal b Shaml b esm {name}, yemken ykun huwe. Raslo hon, el ar2am m5fiye, w es2alo shi ma bya3rfo gheiro.",
    "relay_howto_family": (
        "Iza t2akkadt enno huwe, ekteb: HUWE HUWE. La tsakker el m7adase ekteb: SAKKER. "
        "Shaml ma byutlob masari abadan, fa ma tedfa3 la 7ada."
    ),
    "relay_open_registrant": (
        "Fik halla2 trasel yalli 3am ydawwer 3lek hon 3abr Shaml, w el ar2am m5fiye. La tsakker el m7adase ekteb: SAKKER. "
        "Shaml ma byutlob masari abadan."
    ),
    "relayed": "Resale 3abr Shaml:\n{text}\n(Shaml ma byutlob masari abadan)",
    "relay_held_sender": "Resaltak 3am testanna mutatawe3 yshufha 2abel ma twsal.",
    "relay_held_recipient": (
        "Wa2afna resale elak fiya talab masari. Shaml ma byutlob masari abadan, fa ma tedfa3 la 7ada. "
        "Ra7 yettasel fik mutatawe3."
    ),
    "relay_recognised": "Shukran. Ra7 nes2alo iza ba3do mwafe2 3a tabadol el ar2am, w mn2ellak hon. Shaml ma byutlob masari abadan.",
    "relay_closed": "5elset el m7adase 3abr Shaml.",
    "registration_held": "Shukran. Ra7 yettasel fik mutatawe3 2abel ma yetfa33al tasjilak.",
    "consent_invalid": "Ekteb 1 aw 2 aw 3 law sama7t.",
    "consent_done_share_no_number": "Shukran. Ba3atna ra2mak la {searcher}. Rasalouna 3a Telegram bala ra2am telephone, fa ra7 yettaslo fik.",
    "consent_done_share": "Ba3atna ra2mak la {searcher}. Ra2mon: {number}. Shaml ma byutlob masari abadan.",
    "consent_done_share_reviewed": "Ra2am {searcher}: {number}, ettesel emta ma baddak. Ma ba3atna ra2mak. Shaml ma byutlob masari abadan.",
    "consent_done_safe": "Shukran. 2elnalon ennak bkhair, w ma ba3atna ra2mak.",
    "consent_done_nothing": "Tayyeb, ma ra7 n2ellon shi. Ne7na hon iza ghayyart ra2yak.",
    "family_shared": "5abar 7elo: {name} sajjal b Shaml w wafa2 yetwasal ma3ak. Ra2mo: {number}. Shaml ma byutlob masari abadan.",
    "family_shared_reviewed": "5abar 7elo: {name} sajjal b Shaml, w ba3atnalo ra2mak la yettasel fik. Shaml ma byutlob masari abadan.",
    "family_safe": "5abar 7elo: {name} sajjal b Shaml w talab n2ellak enno bkhair. Ma sharak ra2mo.",
    "family_released_list_plain": "{name} mawjud 3a 2a2emet el mafraj 3anhon mn {source} b tare5 {date}. Shaml ma byutlob masari abadan.",
    "family_released_list": "{name} tale3 b 2a2emet {source} ({date}). Tajammo3 el tal3in mn {governorate}: {place}.",
    "verification_code": "Ramz Shaml: {code}\nEb3at hal ramz la Shaml mn ayya telephone la t2akked ra2am el ettesal.",
    "verification_sent": "Ba3atna ramz la {number}. Eb3atlna yah mn ayya telephone la yetfa33al tasjilak.",
    "verified": "Ta2akkadna mn ra2am el ettesal w tasjilak sar fa33al. Mn2ellak iza 7ada dawwar 3lek.",
    "verified_elsewhere": "Shukran, ta2akkadna mn el ramz.",
    "code_wrong": "Hal ramz mu sa7 aw 5elset sala7ito. Ta2akkad menno w eb3ato kaman mara.",
    "code_locked": "Ma 2dorna net2akkad bel ramz. Ra7 yettasel fik mutatawe3.",
    "search_recorded": "Sajjalna ba7sak 3an {name}. El ba7s byeb2a maftu7, w mnrasslak awwal ma ywsalna 5abar.",
    "search_received": (
        "Sajjalna ba7sak w byeb2a maftu7. Ma mn2ellak shi 2abel ma net2akkad w ywafe2 el shakhs nafso. "
        "Mnrasslak hon iza wesel 5abar."
    ),
    "search_more_details": "Iza bta3ref esm emmo aw sanet wladto, hayda bisa3edna.",
    "search_details_added": "Shukran, zedna hal shi 3a ba7sak. Mnrasslak hon iza wesel 5abar.",
    "search_duplicate": "Ba7sak 3an {name} msajjal mn 2abel w ba3do maftu7. Mnrasslak awwal ma ywsalna 5abar.",
    "search_limit": "Wsolt la 7add el ba7s el yawmi ({limit}). Talabatak el 2adime ba3da maftu7a. Jarreb bukra aw otlob t7ki ma3 shakhs.",
    "search_cooldown": "Ma mne2der nsajjel ba7s jdid halla2. Ra7 yettasel fik mutatawe3.",
    "status_none": "Ma 3andak ba7s aw tasjil 3anna. Ekteb 1 la tballesh ba7s.",
    "status_open": "Ba7sak 3an {name}: maftu7, w ma fi 5abar mne2der nshare2o lessa.",
    "status_shared": "Ba7sak 3an {name}: ba3atnalak ra2am el ettesal b tare5 {date}.",
    "status_shared_reviewed": "Ba7sak 3an {name}: ba3atnalo ra2mak b tare5 {date}.",
    "status_safe": "Ba7sak 3an {name}: 2elnalak b tare5 {date} enno bkhair.",
    "status_released_list": "Ba7sak 3an {name}: 2elnalak b tare5 {date} enno 3a 2a2emet el mafraj 3anhon.",
    "status_registration_pending": "Tasjilak 3am yestanna t2akked ra2am el ettesal bel ramz yalli ba3atnah.",
    "status_registration_active": "Tasjilak fa33al. Mn2ellak iza 7ada dawwar 3lek.",
    "deleted": "Ma7ayna kel ma3lumatak. Iza rasaltna mn jdid mnballesh mn el awwal.",
}

#: Where released people were gathered, by governorate (DESIGN.md): Damascus and its suburbs at the
#: Salam Mosque in Barzeh; everyone else in the shelters of Tal and Minin, grouped by governorate.
#: (Arabic, English, Arabizi.)
GATHERING = {
    "دمشق": ("جامع السلام في برزة", "the Salam Mosque in Barzeh", "Jame3 el Salam b Barzeh"),
    "ريف دمشق": ("جامع السلام في برزة", "the Salam Mosque in Barzeh", "Jame3 el Salam b Barzeh"),
}
DEFAULT_GATHERING = ("مراكز الإيواء في التل ومنين", "the shelters in Tal and Minin", "marakez Tal w Minin")

#: The searcher's role told to the released person in Arabizi ("your mother"), as nlu.answers.ROLES
#: tells it in Arabic and English; the same gender choices as the Arabic.
ROLES_ARABIZI = {
    "mother": "emmak", "father": "abuk", "parent": "wa7ad mn ahlak", "brother": "a5uk", "sister": "o5tak",
    "sibling": "a5uk aw o5tak", "wife": "martak", "husband": "jozik", "spouse": "jozik aw martak", "son": "ebnak",
    "daughter": "bentak", "child": "ebnak aw bentak", "uncle": "3ammak aw 5alak", "aunt": "3ammtak aw 5altak",
    "nephew": "ebn a5uk aw o5tak", "cousin": "ebn 3ammak aw 5alak", "grandparent": "jeddak aw tetak",
    "grandchild": "7afidak", "fiance": "5atibtak aw 5atibik", "friend": "sa7bak", "relative": "wa7ad mn 2arayebak",
}
#: What to call a searcher who gave no name or relationship: (name, relationship) per language.
NOBODY_NAMED = {"ar": ("شخص", "من العائلة"), "en": ("someone", "family"), "az": ("7ada", "mn el 3ayle")}

#: Latin spellings of the governorates with a gathering point of their own.
_LATIN_GOVERNORATE = {
    "damascus": "دمشق",
    "dimashq": "دمشق",
    "rif dimashq": "ريف دمشق",
    "rif damascus": "ريف دمشق",
    "rural damascus": "ريف دمشق",
    "damascus countryside": "ريف دمشق",
    "reef dimashq": "ريف دمشق",
    "el sham": "دمشق",
    "al sham": "دمشق",
    "sham": "دمشق",
    "reef el sham": "ريف دمشق",
    "rif el sham": "ريف دمشق",
}

_ALEF = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي"})


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().casefold().translate(_ALEF)
    return re.sub(r"[\s\-]+", " ", text)


def gathering_point(governorate: str | None, language: str) -> str:
    """Where people from ``governorate`` were gathered after release, in ``language`` (ar, en or az)."""
    folded = _fold(governorate or "")
    key = _LATIN_GOVERNORATE.get(folded)
    if key is None:
        key = next((g for g in GATHERING if _fold(g) == folded), None)
    ar, en, az = GATHERING.get(key, DEFAULT_GATHERING) if key else DEFAULT_GATHERING
    return {"en": en, "az": az}.get(language, ar)


def template(key: str, language: str) -> str:
    """The unfilled text ``key`` in ``language``: ``en``, ``az`` (Arabizi), else Arabic."""
    ar, en = TEXTS[key]
    if language == "en":
        return en
    if language == "az":
        return ARABIZI[key]
    return ar


def render(key: str, language: str, **values: object) -> str:
    """The text ``key`` in ``language`` (``en``, ``az``; Arabic otherwise), with the placeholders filled."""
    return template(key, language).format(**{k: ("" if v is None else v) for k, v in values.items()})
