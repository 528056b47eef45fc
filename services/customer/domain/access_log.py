"""The borrowing log's hash chain (S4; issue 9, finding 11): the digest of a row and
the rules a walk over the log checks.  No I/O.

Each row's digest is recomputed here, from the row's columns, never asked of the
database (whose owner could redefine the function that computes it).  Version 1 (rows
written before migration 0007) is sha256 of the columns joined by U+001F with `fields`
joined by commas: ambiguous (['a,b'] and ['a', 'b'] hash alike), kept only so that old
rows verify as written.  Version 2 hashes an unambiguous encoding: a prefix naming the
version, every value length-prefixed, null as `~`, `fields` with its count.  Sequence
numbers run without gaps from 1 up to the head kept beside the log; versions never go
back.  An update, a delete or a reorder of any row breaks the chain at that row, and
the first broken row is named.  Held against an anchor (a head exported earlier and
kept outside the database), a tail rewritten consistently is caught too: the chain
must pass through the anchored row with the anchored hash.
"""
import datetime
import hashlib

GENESIS = "0" * 64
VERSION_2_PREFIX = b"kefu-access-log/2\n"


def _at(moment: datetime.datetime) -> str:
    """The moment as the database wrote it: UTC, microseconds, no zone."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _part(value) -> bytes:
    if value is None:
        return b"~"
    data = str(value).encode("utf-8")
    return str(len(data)).encode() + b":" + data


def digest(row: dict) -> str:
    """The hex sha256 of a row ({seq, prev_hash, at, actor_id, actor_name, customer_id,
    action, level, fields, reason, detail (the jsonb's text), digest_version})."""
    version = row["digest_version"]
    if version == 1:
        text = "\x1f".join([
            str(row["seq"]), row["prev_hash"], _at(row["at"]), row["actor_id"],
            row["actor_name"], row["customer_id"] or "-", row["action"],
            "-" if row["level"] is None else str(row["level"]),
            ",".join(f for f in row["fields"] if f is not None), row["reason"], row["detail"]])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    if version == 2:
        fields = row["fields"]
        data = b"".join([
            VERSION_2_PREFIX, _part(row["seq"]), _part(row["prev_hash"]), _part(_at(row["at"])),
            _part(row["actor_id"]), _part(row["actor_name"]), _part(row["customer_id"]),
            _part(row["action"]), _part(row["level"]),
            b"[" + str(len(fields)).encode() + b":", *(_part(f) for f in fields),
            _part(row["reason"]), _part(row["detail"])])
        return hashlib.sha256(data).hexdigest()
    raise ValueError(f"unknown digest version {version}")


class Chain:
    """Feed the rows in sequence order (`add`), then `end` with the head: each answers
    the first problem found, or None.  With an `anchor` {seq, hash}, the chain must
    pass through that row with that hash."""

    def __init__(self, anchor: dict | None = None):
        self.expected_seq, self.prev_hash, self.checked = 1, GENESIS, 0
        self.version = 1
        self.anchor = anchor

    def add(self, row: dict) -> str | None:
        """A row with every column digest() reads and its stored `hash`."""
        where = f"row seq={row['seq']} ({row['action']} by {row['actor_id']})"
        if row["seq"] != self.expected_seq:
            return f"row seq={self.expected_seq} is missing (next present: {where})"
        if row["prev_hash"] != self.prev_hash:
            return f"{where}: does not chain to the row before it"
        if row["digest_version"] < self.version:
            return f"{where}: an older digest version after newer ones"
        try:
            recomputed = digest(row)
        except ValueError as exc:
            return f"{where}: {exc}"
        if recomputed != row["hash"]:
            return f"{where}: content does not match its hash"
        if self.anchor and row["seq"] == self.anchor["seq"] and row["hash"] != self.anchor["hash"]:
            return (f"{where}: not the row the anchor exported (the log was rewritten after"
                    " it was anchored)")
        self.prev_hash, self.expected_seq = row["hash"], self.expected_seq + 1
        self.version = row["digest_version"]
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
        if self.anchor and self.anchor["seq"] > last:
            return (f"row seq={self.anchor['seq']} is missing: the anchor exported it, the"
                    f" log ends at seq={last}")
        return None

    def head(self) -> dict:
        """{seq, hash} of the last row checked: what an anchor exports."""
        return {"seq": self.expected_seq - 1, "hash": self.prev_hash}

    def intact(self) -> str:
        return f"access log intact: {self.checked} rows"
