"""The sender's pace per channel: a token bucket in one row, shared by every replica."""


def take(cur, channel: str, want: int, configured: float, burst: float) -> tuple[int, float]:
    """Up to `want` tokens of a channel's bucket (refilled at its current rate since the
    last take, at most `burst`): (how many taken, the current rate).  The row is locked
    until the transaction ends."""
    cur.execute(
        "INSERT INTO pace (channel, tokens, rate) VALUES (%s, %s, %s)"
        " ON CONFLICT (channel) DO NOTHING", (channel, burst, configured))
    cur.execute(
        "SELECT tokens, rate, extract(epoch FROM clock_timestamp() - updated_at) AS age"
        " FROM pace WHERE channel = %s FOR UPDATE", (channel,))
    row = cur.fetchone()
    rate = min(row["rate"], configured)
    tokens = min(burst, row["tokens"] + max(0.0, float(row["age"])) * rate)
    taken = max(0, min(want, int(tokens)))
    cur.execute("UPDATE pace SET tokens = %s, rate = %s, updated_at = clock_timestamp()"
                " WHERE channel = %s", (tokens - taken, rate, channel))
    return taken, rate


def set_rate(cur, channel: str, rate: float) -> None:
    cur.execute("UPDATE pace SET rate = %s WHERE channel = %s", (rate, channel))


def give_back(cur, channel: str, tokens: int) -> None:
    if tokens > 0:
        cur.execute("UPDATE pace SET tokens = tokens + %s WHERE channel = %s", (tokens, channel))
