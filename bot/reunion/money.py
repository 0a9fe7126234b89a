"""Does a relayed message ask for money? A lexicon of our own, in Arabic (MSA and Levantine), Arabizi,
English, Turkish and French. Pure. Recall matters more than precision: a false hold costs an operator
a minute; a forwarded demand can cost a family everything.
"""

from __future__ import annotations

import re

from bot.gateway.keywords import normalise

#: Whole words (after :func:`bot.gateway.keywords.normalise`: alef, hamza, ة and ى unified).
WORDS = frozenset({
    # Arabic, standard and Levantine: money, cash, pay, transfer, fees, bribe, currency, credit.
    "مال", "المال", "اموال", "الاموال", "فلوس", "الفلوس", "مصاري", "المصاري", "مصريات", "نقود", "النقود",
    "كاش", "مبلغ", "المبلغ", "مبالغ", "ادفع", "ادفعي", "ادفعو", "ادفعوا", "تدفع", "تدفعي", "تدفعو", "يدفع", "دفع",
    "الدفع", "دفعه", "حواله", "الحواله", "حوالات", "حولي", "حولو", "حولوا", "تحويل", "التحويل", "حولولي",
    "رسوم", "الرسوم", "اجور", "اجره", "الاجره", "رشوه", "الرشوه", "رشوة", "براني", "دولار", "دولارات",
    "الدولار", "ليره", "ليرات", "الليرات", "يورو", "ريال", "دينار", "رصيد", "الرصيد", "وحدات", "شام كاش",
    "ويسترن", "الهرم", "فؤاد", "ابعتلي", "ابعتلنا", "بعتلي", "ارسلي", "اكراميه", "حلوان", "خرجيه", "تكاليف",
    "حساب", "الحساب", "بنك", "البنك", "ايبان", "محفظه", "المحفظه", "عملات", "بيتكوين",
    # Arabizi.
    "flous", "flos", "fulus", "masari", "msari", "masare", "mesari", "7awale", "7awaleh", "hawale", "hawaleh",
    "7awel", "7awwel", "hawel", "da3", "edfa3", "idfa3", "tedfa3", "dfa3", "mablagh", "mabla8", "rasid",
    "raseed", "dolar", "dolarat", "lirat",
    # English.
    "money", "cash", "pay", "paid", "paying", "payment", "payments", "fee", "fees", "transfer", "wire", "deposit",
    "bribe", "dollar", "dollars", "usd", "usdt", "euro", "euros", "bitcoin", "btc", "crypto", "iban", "paypal",
    "westernunion", "moneygram", "ransom", "reward", "price", "cost", "charge", "credit", "topup", "recharge",
    # Turkish and French.
    "para", "parayi", "havale", "ucret", "odeme", "ode", "borc", "argent", "virement", "frais", "payer",
    "paiement", "payez", "rancon", "espèces", "especes",
})

#: Phrases and shapes the word list alone would miss: amounts with a currency, "western union",
#: "send me", account numbers.
PATTERNS = (
    re.compile(r"\d[\d\s,.]*\s*(\$|€|£|usd|eur|tl|sp|syp|ل\s?س|دولار|ليره|الف|k\b)"),
    re.compile(r"(\$|€|£)\s*\d"),
    re.compile(r"western\s*union|money\s*gram|top\s*up|gift\s*card|send\s+(me|us)\s+\d"),
    re.compile(r"ويسترن\s*يونيون|شام\s*كاش|سيريتل\s*كاش|ام\s*تي\s*ان\s*كاش"),
    re.compile(r"\b[a-z]{2}\d{2}[a-z0-9]{10,}\b"),  # an IBAN-shaped token
)

_FOLD = str.maketrans({"ü": "u", "ö": "o", "ş": "s", "ç": "c", "ğ": "g", "ı": "i", "é": "e", "è": "e", "ê": "e"})


def asks_for_money(text: str | None) -> bool:
    """Whether ``text`` mentions money, a payment, a transfer or a fee, in any of our languages."""
    if not text:
        return False
    folded = normalise(text).translate(_FOLD)
    for word in folded.split():
        if word in WORDS or word.lstrip("وبل") in WORDS and len(word) > 3:
            return True
    joined = " ".join(folded.split())
    if "western union" in joined or "شام كاش" in joined:
        return True
    lowered = text.casefold().translate(_FOLD)
    return any(p.search(lowered) or p.search(folded) for p in PATTERNS)
