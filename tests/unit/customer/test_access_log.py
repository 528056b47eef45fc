"""Issue 9, finding 11 (a, b, c): the borrowing log's digest, recomputed by the verifier
itself.  The first digest joined the fields with commas and a separator, so a comma
moved inside `fields` (['a,b'] and ['a','b']) or a separator inside a text hashed the
same; new rows use an unambiguous, length-prefixed encoding (version 2) while old rows
still verify as written (version 1).  The chain is walked with digests computed here,
never by a database function the owner could redefine, and can be held against an
anchor exported earlier.  No I/O."""
import datetime
import hashlib

import pytest

from services.customer.domain import access_log
from services.customer.domain.access_log import GENESIS, Chain

AT = datetime.datetime(2026, 5, 1, 8, 30, 0, 123456, tzinfo=datetime.UTC)


def row(seq=1, version=2, prev=GENESIS, **over) -> dict:
    base = {"seq": seq, "prev_hash": prev, "at": AT, "actor_id": "m1", "actor_name": "经理",
            "customer_id": "3d19a8dd-c5d0-4ef9-b3ec-37bb99c5db73", "action": "read_archive",
            "level": 2, "fields": ["archive"], "reason": "投诉", "detail": '{"a": 1}',
            "digest_version": version}
    base.update(over)
    base["hash"] = access_log.digest(base)
    return base


class TestDigest:
    def test_finding11a_a_comma_inside_a_field_is_not_two_fields(self):
        assert access_log.digest(row(fields=["a,b"])) != access_log.digest(row(fields=["a", "b"]))
        assert access_log.digest(row(reason="a\x1fb")) != access_log.digest(
            row(reason="a", actor_name="经理\x1fb"))
        assert access_log.digest(row(level=None)) != access_log.digest(row(level=0))
        assert access_log.digest(row(fields=[])) != access_log.digest(row(fields=[""]))

    def test_finding11a_old_rows_keep_the_digest_they_were_written_with(self):
        """Version 1 is the database's first function, byte for byte: sha256 over the
        columns joined by U+001F, fields joined by commas, null as '-'."""
        old = row(version=1)
        text = "\x1f".join(["1", GENESIS, "2026-05-01T08:30:00.123456", "m1", "经理",
                            old["customer_id"], "read_archive", "2", "archive", "投诉",
                            '{"a": 1}'])
        assert old["hash"] == hashlib.sha256(text.encode()).hexdigest()
        # the ambiguity it had, and why new rows do not use it
        assert access_log.digest(row(version=1, fields=["a,b"])) == access_log.digest(
            row(version=1, fields=["a", "b"]))

    def test_finding11a_an_unknown_version_is_not_taken_for_intact(self):
        with pytest.raises(ValueError):
            access_log.digest(row(version=1) | {"digest_version": 3})


class TestChain:
    def chain_of(self, *versions) -> list[dict]:
        rows, prev = [], GENESIS
        for seq, version in enumerate(versions, start=1):
            rows.append(row(seq=seq, version=version, prev=prev))
            prev = rows[-1]["hash"]
        return rows

    def test_finding11b_the_chain_recomputes_each_digest_itself(self):
        rows = self.chain_of(1, 1, 2, 2)
        rows[2]["fields"] = ["archive", "phones"]  # the stored hash no longer matches
        chain = Chain()
        problems = [chain.add(r) for r in rows]
        assert problems[:2] == [None, None]
        assert problems[2] and "seq=3" in problems[2] and "content" in problems[2]

    def test_finding11a_versions_never_go_back(self):
        rows = self.chain_of(2, 1)
        chain = Chain()
        assert chain.add(rows[0]) is None
        assert "seq=2" in chain.add(rows[1])

    def test_finding11c_the_chain_must_pass_through_the_anchor(self):
        rows = self.chain_of(2, 2, 2)
        good = Chain(anchor={"seq": 2, "hash": rows[1]["hash"]})
        assert [good.add(r) for r in rows] == [None, None, None]
        assert good.end({"seq": 3, "hash": rows[2]["hash"]}) is None
        assert good.head() == {"seq": 3, "hash": rows[2]["hash"]}
        bad = Chain(anchor={"seq": 2, "hash": "f" * 64})
        assert bad.add(rows[0]) is None
        problem = bad.add(rows[1])
        assert "seq=2" in problem and "anchor" in problem
        short = Chain(anchor={"seq": 9, "hash": "f" * 64})
        for r in rows:
            assert short.add(r) is None
        assert "anchor" in short.end({"seq": 3, "hash": rows[2]["hash"]})
