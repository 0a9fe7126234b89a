"""Name parsing: split a typed full name into canonical tokens with roles; pure, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from matching.normalize import normalize_text

#: Most tokens kept from one name (a real name has at most six or seven parts).
MAX_TOKENS = 8

# Connectors meaning "son/daughter of": the next token is the father's name.
_CONNECTORS = frozenset({"بن", "ابن", "بنت", "bin", "ibn", "ben", "bent", "bint", "bn", "ebn"})
# Standalone Latin article tokens (al-, el-, and sun-letter assimilated forms) dropped before a name.
_LATIN_ARTICLES = frozenset(
    {"al", "el", "ul", "il", "as", "es", "ad", "ed", "ud", "ar", "er", "ur", "az", "ez", "an",
     "at", "et", "ash", "esh", "ath", "adh", "aal"}
)
# "Father of" particles, joined to the following name as one family-name token.
_ABU = {"ابو": "ابو", "abu": "abu", "abou": "abu", "abo": "abu", "bou": "abu", "abw": "abu"}
# Arabic words starting with ال that are names, not the article.
_AL_EXCEPTIONS = frozenset({"الياس", "الهام", "الفت", "الله", "الماس", "اليسار", "اليسا", "الان"})
# Latin spellings of عبد written as a separate word.
_ABD_WORDS = frozenset(
    {"abd", "abdul", "abdel", "abdal", "abdol", "abdil", "abdu", "abdo", "abdou", "abed", "3bd", "3abd", "abdl", "abdoul",
     # South Asian: the article assimilated to the next name (Abdur Rehman, Abdus Salam, Abduz Zahir)
     "abdur", "abdus", "abduz", "abdush", "abdun", "abdut", "abdud", "abdeh"}
)
# Of those, the ones that are also a whole given name: Abdo / Abdou / Abdu (عبدو, عبده) and Abed
# (عابد). They join the next word only when it is an article or one of the divine names that
# follow عبد, so "Abdo Shaaban" stays two names and "Abdu Rahman" is still عبد الرحمن.
_ABD_AMBIGUOUS = frozenset({"abdu", "abdo", "abdou", "abed"})
# Latin spellings of the divine names written after عبد (عبد الرحمن, عبد الكريم, ...), without
# the article. Each is compared after a doubled first consonant is undone ("rrahman").
_DIVINE_LATIN = frozenset(
    {"allah", "alla", "lah", "llah", "ilah", "elah",
     "rahman", "rahim", "raheem", "karim", "kareem", "qader", "qadir", "kader", "kadir",
     "razzaq", "razzak", "razaq", "razak", "hamid", "hameed", "aziz", "salam", "nasser", "naser",
     "nasir", "ghani", "latif", "lateef", "fattah", "fatah", "basit", "baset", "basset", "majid",
     "majeed", "madjid", "wahab", "wahhab", "hakim", "hakeem", "hadi", "jalil", "jaleel", "jabbar",
     "sattar", "ghafour", "ghafur", "wahid", "malik", "malek", "moneim", "monem", "munim",
     "muttalib", "mutalib", "motaleb", "rauf", "raouf", "qawi", "halim", "haleem", "samad", "hay",
     "hai", "kafi", "mannan", "quddus", "qudus", "wadud", "baqi", "hafiz", "hafez", "alim",
     "aleem", "azim", "azeem", "khaliq", "khalek", "mawla", "mola", "moula", "jawad", "rabbo",
     "rabbih", "muhsin", "mohsen", "muin", "moein", "nour", "noor", "nur"}
)
_ABD_LATIN = re.compile(r"^(?:3a?|a)bd(?:ul|el|al|ol|il|oul|u|e|a|o|i)?l?(.*)$")
# Latin spellings of الله after a name (Saif Ullah, Nasr Allah), and joined to it (Saifullah).
_ALLAH_WORDS = frozenset({"allah", "ullah", "ollah", "ellah", "illah", "ulla", "olla"})
_ALLAH_SUFFIXES = ("ullah", "ollah", "allah", "ellah", "illah", "ulla", "olla")
_DIN_WORDS = frozenset({"din", "deen", "dine", "eddin", "eddine", "uddin", "addin", "aldin", "eldin", "iddin", "edin"})
_DIN_SUFFIXES = ("eddine", "eddin", "uddin", "uddine", "addin", "aldin", "eldin", "iddin", "eddeen",
                 "uddeen", "aldeen", "eldeen", "aldine", "eldine", "edine", "edin", "iddine")
# Abu joined to a name with the article (Aboulfazl, Abulhassan, Abolfazl): abu + the name.
_ABU_JOINED = re.compile(r"^ab(?:ou|u|o)l(.{3,})$")
# South Asian compounds X-ul-Y / X-ur-Rahman written as one word: the Arabic is two words
# (ضياء الحق, فضل الرحمن), so they become two tokens. The article is assimilated to the second
# name's first letter (ur before r, us before s, ...), ul before the others. Written apart
# ("Fazlur Rahman") the first word stays whole ("Mansur Rashid" is no compound); the similarity
# reads "fazlur" as فضل (translit._latin_readings).
_UL_SECOND = ("haq", "haque", "huq", "hak", "rahman", "rehman", "rahim", "raheem", "islam", "amin", "ameen",
              "zaman", "nisa", "nissa", "nessa", "huda", "mulk", "hassan", "hasan", "hussain", "rashid")
_UL_JOINED = re.compile(r"^([a-z]{3,}?)(ul|ur|us|uz|un|ush)(" + "|".join(_UL_SECOND) + ")$")


def _ul_article_fits(article: str, second: str) -> bool:
    """Whether the assimilated article suits the name after it (ur Rahman, us Salam, ul Haq)."""
    return article == "ul" or second.startswith(article[1:])


def split_ul_compound(token: str) -> tuple[str, str] | None:
    """("zia", "haq") for "ziaulhaq", ("fazl", "rahman") for "fazlurrahman"; None otherwise."""
    m = _UL_JOINED.match(token)
    if m and _ul_article_fits(m.group(2), m.group(3)):
        return m.group(1), m.group(3)
    return None


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A name as canonical tokens in typed order.

    ``father`` is the index of a token marked by بن/ibn/bin as the father's name, if any.
    ``given`` / ``family`` are the first and last tokens (best guesses; order may be reversed).
    """

    tokens: tuple[str, ...]
    father: int | None = None

    @property
    def given(self) -> str | None:
        """The first token: usually the person's own given name."""
        return self.tokens[0] if self.tokens else None

    @property
    def family(self) -> str | None:
        """The last token, when there are at least two: usually the family name."""
        return self.tokens[-1] if len(self.tokens) >= 2 else None

    @property
    def father_guess(self) -> str | None:
        """The father's name: the بن-marked token, else the second of three or more tokens."""
        if self.father is not None:
            return self.tokens[self.father]
        if len(self.tokens) >= 3:
            return self.tokens[1]
        return None


_ARABIC_RE = re.compile("[\u0621-\u064a]")


def _is_arabic(token: str) -> bool:
    return _ARABIC_RE.search(token) is not None


def strip_article(token: str) -> str:
    """Remove a leading Arabic article ال (الطه -> طه), not from names such as الياس."""
    if token.startswith("ال") and len(token) >= 4 and token not in _AL_EXCEPTIONS:
        return token[2:]
    return token


def _undouble(rest: str) -> str:
    # Sun-letter assimilation: "abdurrahman" -> "rahman", "nureddin" handled by caller.
    if len(rest) >= 3 and rest[0] == rest[1] and rest[0] not in "aeiou":
        return rest[1:]
    return rest


def canonical_abd(rest: str, arabic: bool) -> str:
    """The canonical compound عبد + X, written with the article: عبدالرحمن / abdalrahman."""
    if arabic:
        if rest.startswith("ال") and len(rest) > 2:
            rest = rest[2:]
        return "عبدال" + rest if rest else "عبد"
    rest = _undouble(rest)
    for article in ("al", "el", "ul", "ol", "il"):
        if rest.startswith(article) and len(rest) > len(article) + 2:
            rest = rest[len(article):]
            break
    return "abdal" + _undouble(rest) if rest else "abd"


@lru_cache(maxsize=100_000)
def _canonical_token(token: str) -> str:
    """Canonical form of one joined token: compounds, article, abu."""
    if _is_arabic(token):
        if token.startswith("عبد") and len(token) > 4:
            return canonical_abd(token[3:], True)
        if token.endswith("الدين") and len(token) > 6:
            return token[:-5] + "الدين"
        if token.startswith("ابو") and len(token) > 4:
            return "ابو" + strip_article(token[3:])
        return strip_article(token)
    match = _ABD_LATIN.match(token)
    if match and len(token) > 5 and token not in _ABD_WORDS:
        return canonical_abd(match.group(1), False)
    abu = _ABU_JOINED.match(token)
    if abu and abu.group(1)[0] not in "aeiou":
        return "abu" + abu.group(1)  # Aboulfazl = ابو الفضل (canonical ابوفضل)
    for suffix in _ALLAH_SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: -len(suffix)] + "allah"  # Saifullah, Habibollah -> saifallah
    for suffix in _DIN_SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 2:
            return token[: -len(suffix)] + "aldin"
    return token


def _glued_ben(tok: str) -> bool:
    """Whether a Latin "ben…" / "bin…" word is بن glued to a name the lexicon knows (Benyoucef,
    Benali), and not a name of its own (Bennani, Benjamin: the whole word or no part listed)."""
    from matching.translit import lexicon  # translit parses names: imported on first use

    rest = tok[3:]
    if len(rest) < 3:
        return False
    lex = lexicon()
    return bool(lex.arabic_for(rest)) and not lex.arabic_for(tok)


def _joins_next(tok: str, nxt: str) -> bool:
    """Whether ``tok`` (عبد, أبو or a Latin spelling of them) is joined to the word after it.

    Always, except for the spellings that are also a whole given name (Abdo, Abdu, Abed): they
    join only an article ("Abdu al-Rahman", "Abdo ar-Rahman") or a divine name ("Abdu Rahman").
    """
    if tok not in _ABD_AMBIGUOUS or nxt in _LATIN_ARTICLES:
        return True
    for article in ("al", "el", "ul", "ar", "er", "ur", "as", "es", "us", "l"):
        if nxt.startswith(article) and _undouble(nxt[len(article):]) in _DIVINE_LATIN:
            return True
    return _undouble(nxt) in _DIVINE_LATIN


@lru_cache(maxsize=200_000)
def parse_name(text: str) -> ParsedName:
    """Parse a typed name in Arabic, Latin or Arabizi into canonical tokens.

    Handles بن/ابن/bin/ibn/ben (marks the father), عبد + X and X + الدين joined or apart,
    the articles ال / al- / el- (removed), أبو/abu (joined to the next word), and drops pure
    numbers. Never raises; an empty or unreadable name gives no tokens.
    """
    raw = [t for t in normalize_text(text or "").split() if not t.isdigit()]
    out: list[str] = []
    father: int | None = None
    i = 0
    pending_father = False
    while i < len(raw) and len(out) < MAX_TOKENS:
        tok = raw[i]
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        if tok in _CONNECTORS and nxt is not None and out:
            pending_father = True
            i += 1
            continue
        if tok == "ال" and nxt is not None:
            raw[i + 1] = "ال" + nxt  # article written apart: "ال حسن"
            i += 1
            continue
        if tok in _LATIN_ARTICLES and nxt is not None and not _is_arabic(nxt):
            if not (out and nxt in _DIN_WORDS):
                i += 1  # "al hasan", "el-sayed": the article is dropped
                continue
            tok = nxt  # "nour ed din"
            i += 1
        # Compound X + الدين / X + din written apart.
        if out and (tok in ("الدين", "دين") or tok in _DIN_WORDS):
            prev = out[-1]
            out[-1] = (prev + "الدين") if _is_arabic(prev) else (prev + "aldin")
            i += 1
            continue
        # Compound X + الله / X + ullah written apart (نصر الله, Saif Ullah): one token.
        if out and (tok == "الله" or tok in _ALLAH_WORDS) and _is_arabic(out[-1]) == _is_arabic(tok):
            prev = out[-1]
            if not (prev.startswith(("عبد", "abd")) or prev.endswith(("الله", "allah"))):
                out[-1] = prev + ("الله" if _is_arabic(tok) else "allah")
                i += 1
                continue
        if tok == "العبد":
            tok = "عبد"  # family names such as العبد الله
        if tok in ("عبد", "ابو") or tok in _ABD_WORDS or tok in _ABU:
            if nxt is not None and nxt not in _CONNECTORS and _joins_next(tok, nxt):
                j = i + 1
                # "abd al rahman", "abu al hasan": skip a standalone article.
                if (nxt in _LATIN_ARTICLES or nxt == "ال") and j + 1 < len(raw):
                    j += 1
                    nxt = raw[j]
                if tok == "عبد" or tok in _ABD_WORDS:
                    joined = canonical_abd(nxt, _is_arabic(nxt))
                else:
                    base = _ABU.get(tok, tok)
                    joined = base + (strip_article(nxt) if _is_arabic(nxt) else nxt)
                out.append(joined)
                if pending_father and father is None:
                    father = len(out) - 1
                pending_father = False
                i = j + 1
                continue
        if out and not _is_arabic(tok) and tok[:3] in ("ben", "bin") and _glued_ben(tok):
            pending_father = True  # Maghrebi "Benyoucef" = بن يوسف: the next name is the father's
            tok = tok[3:]
        if not _is_arabic(tok) and len(out) < MAX_TOKENS - 1 and not _ABD_LATIN.match(tok):
            parts = split_ul_compound(tok)
            if parts is not None:
                out.append(parts[0])
                if pending_father and father is None:
                    father = len(out) - 1
                pending_father = False
                out.append(parts[1])
                i += 1
                continue
        canon = _canonical_token(tok)
        if canon:
            out.append(canon)
            if pending_father and father is None:
                father = len(out) - 1
            pending_father = False
        i += 1
    return ParsedName(tuple(out), father)
