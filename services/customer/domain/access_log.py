"""The borrowing log's hash chain (S4): the rules a walk over the log checks.

Each row's hash is recomputed (by the database, from the row's content and the
previous row's hash); sequence numbers run without gaps from 1 up to the head
kept beside the log.  An update, a delete or a reorder of any row breaks the
chain at that row, and the first broken row is named.  No I/O.
"""
GENESIS = "0" * 64


class Chain:
    """Feed the rows in sequence order (`add`), then `end` with the head: each answers
    the first problem found, or None."""

    def __init__(self):
        self.expected_seq, self.prev_hash, self.checked = 1, GENESIS, 0

    def add(self, row: dict) -> str | None:
        """A row {seq, prev_hash, hash, recomputed, action, actor_id}."""
        where = f"row seq={row['seq']} ({row['action']} by {row['actor_id']})"
        if row["seq"] != self.expected_seq:
            return f"row seq={self.expected_seq} is missing (next present: {where})"
        if row["prev_hash"] != self.prev_hash:
            return f"{where}: does not chain to the row before it"
        if row["recomputed"] != row["hash"]:
            return f"{where}: content does not match its hash"
        self.prev_hash, self.expected_seq = row["hash"], self.expected_seq + 1
        self.checked += 1
        return None

    def end(self, head: dict | None) -> str | None:
        """The head {seq, hash} kept beside the log (None on an empty one)."""
        last = self.expected_seq - 1
        if head and head["seq"] != last:
            return (f"row seq={self.expected_seq} is missing: the log ends at seq={last}"
                    f" but its head says seq={head['seq']}")
        if head and head["hash"] != self.prev_hash:  # the last row was rewritten, hash and all
            return (f"row seq={last}: does not match the head of the log"
                    " (changed after it was written)")
        return None

    def intact(self) -> str:
        return f"access log intact: {self.checked} rows"
