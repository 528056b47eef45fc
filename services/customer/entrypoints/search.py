"""Entrypoints of the customer service: fuzzy search, duplicates and merge (C8),
segments (C9).  Mixed into CustomerService (uses its db, principal and metrics)."""
import datetime
import time

from nameko.timer import timer

from services.common.errors import Forbidden
from services.common.phones import mask_middle
from services.common.rpc import AuthenticatedRpc
from services.customer.contract import search as contract
from services.customer.contract.events import CustomerClassified, CustomerMerged, CustomerUpdated
from services.customer.domain import access as access_rules
from services.customer.domain import records
from services.customer.domain import search as rules
from services.customer.store import access as access_store
from services.customer.store import records as records_store
from services.customer.store import search as store
from services.vocabulary import STAFF, SUPERVISORS_UP

rpc = AuthenticatedRpc.decorator  # transitional: roles move to the contract index (issue 8)

# Duplicates, merge and segments list or change many customers at once: supervisors
# and up (agents find single customers by search and lookup).
MERGERS = SUPERVISORS_UP
SEGMENT_READERS = SUPERVISORS_UP
SCAN_CHUNK = 100
SCAN_SECONDS = 2.0  # a duplicates page stops scanning after this, whatever its budget
SYNC_BATCH = 2000
SYNC_SECONDS = 2.0


class SearchEntrypoints:
    """Search, duplicates, merge and segments."""

    @rpc(allow=STAFF)
    def search_customers(self, query):
        """Live customers matching a name (张三, 张), pinyin (zhangsan), initials (zs), part
        of a phone number (≥ 4 digits) or a customer number prefix: SearchResult with
        cards, best first.  Invalid when the query says nothing searchable."""
        if isinstance(query, str):
            query = {"q": query}
        q = contract.SearchQuery().load(query)
        plan = rules.plan_search(q["q"])
        with self.db.transaction() as tx:
            ids = store.search_ids(tx.cur, plan, q["limit"])
            cards = records_store.load_cards(tx.cur, ids)
        return contract.SearchResult().dump({"kind": plan.kind, "customers": cards})

    @timer(interval=1)
    def sync_search_keys(self):
        """Search keys of customers changed in bulk (imports: more than 1000 rows in one
        statement) are rebuilt here, within a second or two, instead of inside the
        import's transaction (migration 0003).  Safe with replicas (SKIP LOCKED)."""
        deadline = time.monotonic() + SYNC_SECONDS
        while time.monotonic() < deadline:
            with self.db.transaction() as tx:
                if store.sync_dirty(tx.cur, SYNC_BATCH) < SYNC_BATCH:
                    return

    @rpc(allow=MERGERS)
    def find_duplicates(self, query=None):
        """Likely duplicate pairs (C8) with their reasons (phone, name, pinyin) and a score.

        With `customer_id`: every pair that customer is part of.  Without: a scan of
        all customers (or those created since `created_after`), newest first, each pair
        reported once, by its newer member; a page holds the pairs of whole customers
        (about `limit`), examines at most `scan` customers (and stops after about two
        seconds), and its `cursor` continues the scan (null when it is complete)."""
        q = contract.DuplicatesQuery().load(query or {})
        with self.db.transaction() as tx:
            cur = tx.cur
            if q.get("customer_id") is not None:
                cid = str(q["customer_id"])
                card = records_store.card(cur, cid)
                if card is None or card["destroyed_at"] or card["merged_into"]:
                    raise records.no_such_customer()
                rows, cursor, scanned = store.duplicate_rows(cur, [cid], both=True), None, 1
            else:
                rows, cursor, scanned = self._scan_duplicates(
                    cur, rules.decode_cursor(q.get("cursor")), q["limit"], q["scan"],
                    q.get("created_after"))
            pairs = rules.duplicate_pairs(rows)
            ids = list(dict.fromkeys(i for p in pairs for i in (p["customer_id"],
                                                                 p["duplicate_id"])))
            cards = {c["id"]: c for c in records_store.load_cards(cur, ids)}
        out = [{**p, "customer": cards[p["customer_id"]], "duplicate": cards[p["duplicate_id"]],
                "shared_phones": [mask_middle(n) for n in p["shared_phones"]]}
               for p in pairs if p["customer_id"] in cards and p["duplicate_id"] in cards]
        return contract.DuplicatesPage().dump({"pairs": out, "cursor": cursor,
                                               "scanned": scanned})

    @staticmethod
    def _scan_duplicates(cur, after, limit: int, budget: int, since=None):
        """Scan in chunks until about `limit` pairs, `budget` customers or SCAN_SECONDS;
        returns (rows, cursor or None at the end, customers scanned)."""
        rows: list[dict] = []
        pairs: set = set()
        scanned = 0
        deadline = time.monotonic() + SCAN_SECONDS
        while scanned < budget and len(pairs) < limit and time.monotonic() < deadline:
            size = min(SCAN_CHUNK, budget - scanned)
            window = store.scan_window(cur, after, size, since)
            scanned += len(window)
            found = store.duplicate_rows(cur, [w["id"] for w in window], both=False)
            rows += found
            pairs |= {(r["newer"], r["older"]) for r in found}
            if len(window) < size:
                return rows, None, scanned
            after = (window[-1]["created_at"], window[-1]["id"])
        return rows, rules.encode_cursor(*after), scanned

    @rpc(allow=MERGERS)
    def merge_customers(self, survivor_id, data):
        """Merge customer `merge_id` into `survivor_id` (C8): MergeResult.

        The survivor keeps its number; phones, emails, assets and tags are united; the
        merged customer's archive fills the survivor's empty fields; the survivor's
        level rises to cover both.  Both histories stay; the merged record stays (with
        `merged_into`) but is hidden from search and lookup.  Publishes customer_merged.
        NotFound when either is gone or out of the caller's scope or clearance;
        Forbidden for classified records below manager or without a top-secret grant."""
        survivor_id = records.parse_id(survivor_id)
        body = contract.MergeIn().load(data if isinstance(data, dict) else {})
        merged_id = str(body["merge_id"])
        rules.check_merge_pair(survivor_id, merged_id)
        refused = None
        with self.db.transaction() as tx:
            cur = tx.cur
            cards = {cid: records_store.card(cur, cid, for_update=True)  # fixed lock order
                     for cid in sorted((survivor_id, merged_id))}
            a, b = cards[survivor_id], cards[merged_id]
            records.check_writable(self.principal, a)
            if b is not None and b["merged_into"] == survivor_id:
                # A retry of a merge that happened: the same answer, nothing changes.
                return contract.MergeResult().dump({
                    "survivor": records_store.load_cards(cur, [survivor_id])[0],
                    "merged_id": merged_id, "moved": {}, "filled": []})
            records.check_writable(self.principal, b)
            refused = self._open_archives(cur, (a, b), body["reason"])
            if refused is None:
                result = self._merge(tx, a, b)
        if refused is not None:  # the denial is logged (committed); the merge is refused
            raise Forbidden(refused)
        return contract.MergeResult().dump(result)

    def _open_archives(self, cur, cards, reason: str) -> str | None:
        """Merging reads both archives: classified ones go through the borrowing rules
        and are logged like any read.  Returns the reason of a refusal, or None."""
        for card in cards:
            level = card["effective_level"]
            grant = level >= 3 and access_store.has_grant(cur, card["id"], self.principal.id)
            decision = access_rules.archive_decision(self.principal, level, grant)
            if decision.log_action:
                access_store.log_access(cur, self.principal, card["id"], decision.log_action,
                                        level, ["archive"], reason or "merge",
                                        {"merge": True})
            if not decision.allowed:
                return decision.reason
        return None

    def _merge(self, tx, a: dict, b: dict) -> dict:
        cur, p = tx.cur, self.principal
        aid, bid = a["id"], b["id"]
        arch_a, arch_b = records_store.archive_of(cur, aid), records_store.archive_of(cur, bid)
        if arch_a is None or arch_b is None:  # row-level security disagreed: it wins
            raise Forbidden("the archive of this record is not open to you")
        survivor_changes = [("merged_from", None, bid)]
        merged_changes = [("merged_into", None, aid)]

        phones = records_store.phones_of(cur, [aid, bid])
        ph_a, ph_b = ([{"e164": r["e164"], "ext": r["ext"] or None} for r in phones[c]]
                      for c in (aid, bid))
        ph_new = rules.union_phones(ph_a, ph_b)
        if ph_new != ph_a:
            records_store.replace_phones(cur, aid, ph_new)
            survivor_changes.append(("phones", ph_a, ph_new))
        if ph_b:
            records_store.replace_phones(cur, bid, [])
            merged_changes.append(("phones", ph_b, []))

        em_a, em_b = records_store.emails_of(cur, aid), records_store.emails_of(cur, bid)
        em_new = rules.union_list(em_a, em_b)
        if em_new != em_a:
            records_store.replace_emails(cur, aid, em_new)
            survivor_changes.append(("emails", em_a, em_new))
        if em_b:
            records_store.replace_emails(cur, bid, [])
            merged_changes.append(("emails", em_b, []))

        moved_assets = store.move_assets(cur, aid, bid)
        if moved_assets:
            survivor_changes.append(("assets", None, {"moved_from": bid, "count": moved_assets}))
            merged_changes.append(("assets", {"moved_to": aid, "count": moved_assets}, None))

        card = rules.fill_card(a, b)
        classification = rules.merged_classification(a, b, datetime.datetime.now(datetime.UTC))
        survivor_changes += [(k, a.get(k), v) for k, v in card.items()]
        survivor_changes += [(k, a.get(k), v) for k, v in classification.items()
                             if a.get(k) != v]
        records_store.update_card(cur, aid, {**card, **classification})

        archive = rules.fill_archive(arch_a, arch_b)
        if archive:
            records_store.update_archive(cur, aid, archive)
            survivor_changes += [(a["kind"] if k == "profile" else k, arch_a.get(k), v)
                                 for k, v in archive.items()]

        store.mark_merged(cur, bid, aid)
        records_store.record_history(cur, aid, p, "merge", survivor_changes)
        records_store.record_history(cur, bid, p, "merged", merged_changes)
        tx.emit("customer_merged", CustomerMerged().dump(
            {"survivor_id": aid, "merged_id": bid}))
        changed = [f for f, _, _ in survivor_changes if f != "merged_from"]
        if changed:
            tx.emit("customer_updated", CustomerUpdated().dump(
                {"customer_id": aid, "fields_changed": list(dict.fromkeys(changed))}))
        if classification:
            tx.emit("customer_classified", CustomerClassified().dump(
                {"customer_id": aid, **classification}))
        return {"survivor": records_store.load_cards(cur, [aid])[0], "merged_id": bid,
                "moved": {"phones": len(ph_new) - len(ph_a), "emails": len(em_new) - len(em_a),
                          "assets": moved_assets},
                "filled": sorted({*card, *archive, *classification})}

    @rpc(allow=SEGMENT_READERS)
    def segment(self, query=None):
        """Customers by kind, credit class, lifecycle, level, grade, region prefix, tags,
        owned product or model, no contact for N months, creation period (C9): a page of
        cards in a stable order with an opaque `cursor` for the next page (null on the
        last); every matching customer comes exactly once over the pages, also when
        customers are added meanwhile (they come at the end).  `total` when `count`."""
        q = contract.SegmentQuery().load(query or {})
        after = rules.decode_cursor(q.get("cursor"))
        with self.db.transaction() as tx:
            rows = store.segment_page(tx.cur, q, after, q["limit"] + 1)
            more = len(rows) > q["limit"]
            rows = rows[:q["limit"]]
            cards = records_store.load_cards(tx.cur, [r["id"] for r in rows])
            total = store.segment_count(tx.cur, q) if q["count"] else None
        cursor = rules.encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if more else None
        return contract.SegmentPage().dump({"customers": cards, "cursor": cursor,
                                            "total": total})
