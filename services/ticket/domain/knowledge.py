"""Rules of the knowledge base 知识库 (T9): who sees what, versions, and Chinese words.

Search, measured by bench/p_kb_search.py (30 hand-written after-sales articles hidden
among 20,000 generated from the same vocabulary, 20 queries as agents type them):
jieba words in a tsvector ('simple' configuration, GIN) put the expected article in
the top 3 for 80–85% of the queries, pg_trgm for 45–50% (word_similarity to title and
body, or similarity to the title).  pg_trgm does extract CJK trigrams in this locale
(C.UTF-8), but an agent's question shares words with the article, not its runs of
three characters ("不出冷风" is in no article), and similarity to a long body is
diluted.  So jieba is the main path: the query's words OR-ed as prefixes (退 finds
退货), ranked by ts_rank with title and tags above the body.  To bound the work, the
rarest words (those held by at most ~1,500 articles together, from kb_word) select
the rows and all the words rank them: p95 32 ms → 10 ms at 20,000 articles for one
query in twenty found lower.  pg_trgm on the title serves what jieba cannot: a query
whose words are in no article, e.g. a fragment of a model number ("KFR35" of
"KFR35GW"), found by the title containing it.
"""
import datetime
import logging
import re
import threading
from typing import Any

from services.common.errors import Invalid
from services.common.paging import decode_cursor
from services.common.zone import business_day

STATUSES = ("draft", "published", "archived")
MAX_QUERY_WORDS = 32

# Words an agent's question carries that say nothing about the topic.
STOPWORDS = frozenset("""
的 了 吗 呢 吧 啊 呀 么 和 与 及 或 是 在 有 我 你 他 她 它 我们 你们 他们 这 那 这个 那个
怎么 怎么办 怎样 如何 什么 为什么 哪里 哪 多少 几 能 能否 可以 可不可以 会 要 想 请问 请 一下
还 也 都 就 又 被 把 给 让 对 跟 不 没 没有 一个 个 吗 么 嘛 哦 呢 了吗 好 啦 家 里 上 下
客户 用户 来电 反映 咨询 询问 表示 说 要求 希望 需要 特别 非常 一直 总是 已经 现在 时候
问题 情况 想要
""".split())
_WORD = re.compile(r"\w", re.UNICODE)

_lock = threading.Lock()
_jieba: Any = None


def load_words() -> None:
    """Load jieba's dictionary (about a second, ~70 MB): at service start, not per request."""
    global _jieba
    with _lock:
        if _jieba is None:
            import jieba  # noqa: PLC0415 — imported here so that importing the domain is cheap
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba = jieba


def _cut(text: str, fine: bool) -> list[str]:
    if _jieba is None:
        load_words()
    cut = _jieba.cut_for_search if fine else _jieba.cut
    return [w.strip().lower() for w in cut(text or "") if _WORD.search(w)]


def index_words(text: str) -> str:
    """The words of an article's text for to_tsvector('simple', ...): every word and the
    shorter dictionary words inside it (保修期 → 保修, 保修期), space-separated."""
    return " ".join(_cut(text, fine=True))


def query_words(text: str) -> list[str]:
    """The topic words of what was typed, in order, without repeats or stopwords."""
    seen: dict[str, None] = {}
    for word in _cut(text, fine=False):
        if word not in STOPWORDS:
            seen.setdefault(word, None)
    return list(seen)[:MAX_QUERY_WORDS]


def tsquery(words: list[str], match_all: bool = False) -> str:
    """A to_tsquery('simple', ...) text of the words, each quoted as one lexeme and
    matching as a prefix (退 finds 退货, 保修 finds 保修期: measured 75% → 85% hit@3)."""
    quoted = ["'" + w.replace("'", "''").replace("\\", "\\\\") + "':*" for w in words]
    return (" & " if match_all else " | ").join(quoted)


def selective_words(words: list[str], counts: dict, budget: int = 1500) -> list[str]:
    """The rarest words whose articles add up to at most `budget` (always the rarest
    one): these select the rows; every word still ranks them.  Words in no article
    are left out.  Measured at 20,000 articles: p95 32 ms → 10 ms, hit@3 85% → 80%."""
    chosen: list[str] = []
    total = 0
    for word in sorted(words, key=lambda w: counts.get(w, 0)):
        n = counts.get(word, 0)
        if n == 0:
            continue
        if chosen and total + n > budget:
            break
        chosen.append(word)
        total += n
    return chosen


def word_changes(old: list[str], new: list[str]) -> tuple[list[str], list[str]]:
    """(added, removed) words of an edit, sorted (counters locked in one order)."""
    return sorted(set(new) - set(old)), sorted(set(old) - set(new))


def can_edit(principal, editors) -> bool:
    return principal.is_system or principal.has_any(editors)


def visible_statuses(editor: bool) -> tuple[str, ...]:
    """Editors see drafts and archived articles; everyone else what is published."""
    return STATUSES if editor else ("published",)


def searched_statuses(visible: tuple[str, ...], status: str | None) -> tuple[str, ...]:
    """The statuses a search reads: those visible, or the one asked for if visible."""
    return tuple(s for s in visible if s == status) if status else visible


def check_version_number(number) -> int:
    """A version number is a whole number from 1 (Invalid otherwise)."""
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise Invalid("bad version", {"version": ["must be a whole number from 1"]})
    return number


def changes(current: dict, patch: dict) -> dict:
    """The fields of `patch` that differ from `current` (an edit that changes nothing
    makes no new version).  Ids compare as text (the database gives UUIDs)."""
    def same(name, value):
        old = current.get(name)
        if name.endswith("_id"):
            return (None if old is None else str(old)) == (None if value is None else str(value))
        return old == value
    return {k: v for k, v in patch.items() if k != "base_version" and not same(k, v)}


def asked_day(accepted_at: datetime.datetime) -> datetime.date:
    """The day a consultation was asked, on the calendar of the call center."""
    return business_day(accepted_at)


def parse_cursor(text: str | None):
    """(time, id) of a cursor (domain.pages), None for none; ValueError when it is not
    one of ours."""
    try:
        return decode_cursor(text)
    except Invalid as exc:
        raise ValueError(str(exc)) from None
