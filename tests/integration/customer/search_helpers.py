"""Shared by the search, C8 and C9 integration tests: generated names nobody else has."""
import os
import random
import uuid
from functools import lru_cache

import psycopg2
import psycopg2.extras
from pypinyin import Style, lazy_pinyin


def rare_name(length: int = 3) -> str:
    """Random CJK characters nobody else in the test databases has."""
    return "".join(chr(random.randint(0x4E00, 0x9FA5)) for _ in range(length))


@lru_cache(maxsize=1)
def _by_reading() -> dict[str, list[str]]:
    readings: dict[str, list[str]] = {}
    for code in range(0x4E00, 0x9FA6):
        char = chr(code)
        readings.setdefault(lazy_pinyin(char, style=Style.NORMAL)[0], []).append(char)
    return readings


def homophone_names() -> tuple[str, str]:
    """Two different three-character names with the same pinyin (王小明 / 王晓明)."""
    while True:
        name = rare_name()
        others = [c for c in _by_reading()[lazy_pinyin(name[-1], style=Style.NORMAL)[0]]
                  if c != name[-1]]
        if others:
            return name, name[:-1] + random.choice(others)


def tag() -> str:
    return "t" + uuid.uuid4().hex[:10]


def owner_sql(query: str, params=()) -> list[dict]:
    """Run SQL as the owner, looking as the system (row-level security is forced)."""
    conn = psycopg2.connect(os.environ["KEFU_CUSTOMER_OWNER_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT set_config('kefu.principal', 'test', true),"
                        " set_config('kefu.system', 'on', true)")
            cur.execute(query, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()
