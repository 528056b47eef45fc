"""Use cases of fuzzy search, duplicates and merge (C8), and segments (C9)."""
import datetime
import time

from services.common.errors import Forbidden
from services.common.identity import Principal
from services.common.paging import decode_cursor, encode_cursor
from services.common.phones import mask_middle
from services.customer.contract import events
from services.customer.domain import records
from services.customer.domain import search as rules
from services.customer.handlers.archive import cards, read_archive
from services.customer.store import records as records_store
from services.customer.store import search as store

SCAN_CHUNK = 100
SCAN_SECONDS = 2.0  # a duplicates page stops scanning after this, whatever its budget
SYNC_BATCH = 2000
SYNC_SECONDS = 2.0
MERGED, UPDATED = events.CustomerMerged(), events.CustomerUpdated()
CLASSIFIED = events.CustomerClassified()


# ---- search ------------------------------------------------------------------------

def search_customers(tx, query: dict) -> dict:
    """Live customers matching the query as an agent types it, best first."""
    plan = rules.plan_search(query["q"])
    return {"kind": plan.kind, "customers": cards(tx, _search_ids(tx.cur, plan,
                                                                  query["limit"]))}


def _search_ids(cur, plan: rules.SearchPlan, limit: int) -> list[str]:
    if plan.kind == "phone":
        return store.phone_ids(cur, plan.digits, limit)
    if plan.kind == "number":
        ids = store.number_ids(cur, plan.number, limit)
        if ids or not plan.pinyin:
            return ids
        plan = rules.SearchPlan("pinyin", pinyin=plan.pinyin)  # KH… may be pinyin too
    if plan.kind == "name":
        ids = store.name_ids(cur, plan.text, plan.pinyin, limit)
        # Nothing matched as typed: the trigram "did you mean" (costly, so only now).
        return ids or store.similar_name_ids(cur, plan.text, rules.SEARCH_SIMILARITY, limit)
    ids = store.pinyin_ids(cur, plan.pinyin, limit)
    return ids or store.similar_pinyin_ids(cur, plan.pinyin, rules.SEARCH_SIMILARITY, limit)


def sync_search_keys(db) -> None:
    """Search keys of customers changed in bulk (imports) rebuilt, a batch per
    transaction, for up to SYNC_SECONDS."""
    deadline = time.monotonic() + SYNC_SECONDS
    while time.monotonic() < deadline:
        with db.transaction() as tx:
            if store.sync_dirty(tx.cur, SYNC_BATCH) < SYNC_BATCH:
                return


# ---- duplicates --------------------------------------------------------------------

def _duplicate_rows(cur, ids: list[str], both: bool) -> list[dict]:
    return store.duplicate_rows(cur, ids, both, rules.NAME_SIMILARITY, rules.COMMON_NAME,
                                rules.MIN_SIMILAR_NAME)


def find_duplicates(tx, query: dict) -> dict:
    """Likely duplicate pairs with reasons and a score: of one customer, or a page of
    a scan of all (see the RPC)."""
    if query.get("customer_id") is not None:
        cid = str(query["customer_id"])
        card = records_store.card(tx.cur, cid)
        if card is None or card["destroyed_at"] or card["merged_into"]:
            raise records.no_such_customer()
        rows, cursor, scanned = _duplicate_rows(tx.cur, [cid], both=True), None, 1
    else:
        rows, cursor, scanned = _scan_duplicates(
            tx.cur, decode_cursor(query.get("cursor")), query["limit"], query["scan"],
            query.get("created_after"))
    pairs = rules.duplicate_pairs(rows)
    ids = list(dict.fromkeys(i for p in pairs for i in (p["customer_id"], p["duplicate_id"])))
    shown = {c["id"]: c for c in cards(tx, ids)}
    out = [{**p, "customer": shown[p["customer_id"]], "duplicate": shown[p["duplicate_id"]],
            "shared_phones": [mask_middle(n) for n in p["shared_phones"]]}
           for p in pairs if p["customer_id"] in shown and p["duplicate_id"] in shown]
    return {"pairs": out, "cursor": cursor, "scanned": scanned}


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
        found = _duplicate_rows(cur, [w["id"] for w in window], both=False)
        rows += found
        pairs |= {(r["newer"], r["older"]) for r in found}
        if len(window) < size:
            return rows, None, scanned
        after = (window[-1]["created_at"], window[-1]["id"])
    return rows, encode_cursor(*after), scanned


# ---- merge -------------------------------------------------------------------------

def merge_customers(db, principal: Principal, survivor_id: str, body: dict) -> dict:
    """Customer `merge_id` merged into `survivor_id` (see the RPC).  Both archives are
    read through the borrowing rules and logged; a refusal is committed (logged)
    before Forbidden is answered."""
    merged_id = str(body["merge_id"])
    rules.check_merge_pair(survivor_id, merged_id)
    with db.transaction() as tx:
        locked = {cid: records_store.card(tx.cur, cid, for_update=True)  # fixed lock order
                  for cid in sorted((survivor_id, merged_id))}
        a = records.check_writable(principal, locked[survivor_id])
        b = locked[merged_id]
        if b is not None and b["merged_into"] == survivor_id:
            # A retry of a merge that happened: the same answer, nothing changes.
            return {"survivor": cards(tx, [survivor_id])[0], "merged_id": merged_id,
                    "moved": {}, "filled": []}
        b = records.check_writable(principal, b)
        refused = None
        for card in (a, b):
            decision = read_archive(tx, principal, card, body["reason"] or "merge",
                                    {"merge": True})
            if not decision.allowed:
                refused = decision.reason
                break
        if refused is None:
            return _merge(tx, principal, a, b)
    raise Forbidden(refused)


def _merge(tx, principal: Principal, a: dict, b: dict) -> dict:
    cur = tx.cur
    aid, bid = a["id"], b["id"]
    arch_a, arch_b = records_store.archive_of(cur, aid), records_store.archive_of(cur, bid)
    if arch_a is None or arch_b is None:  # row-level security disagreed: it wins
        raise Forbidden("the archive of this record is not open to you")
    survivor_changes: list[tuple] = [("merged_from", None, bid)]
    merged_changes: list[tuple] = [("merged_into", None, aid)]

    def unite(field: str, replace, ours: list, theirs: list, union) -> int:
        """The survivor takes the merged record's values it lacks; the merged record is
        left with none.  Returns how many the survivor gained."""
        united = union(ours, theirs)
        if united != ours:
            replace(cur, aid, united)
            survivor_changes.append((field, ours, united))
        if theirs:
            replace(cur, bid, [])
            merged_changes.append((field, theirs, []))
        return len(united) - len(ours)

    phones = records_store.phones_of(cur, [aid, bid])
    moved_phones = unite("phones", records_store.replace_phones,
                         records.phone_values(phones[aid]), records.phone_values(phones[bid]),
                         rules.union_phones)
    moved_emails = unite("emails", records_store.replace_emails,
                         records_store.emails_of(cur, aid), records_store.emails_of(cur, bid),
                         rules.union_list)

    moved_assets = store.move_assets(cur, aid, bid)
    if moved_assets:
        survivor_changes.append(("assets", None, {"moved_from": bid, "count": moved_assets}))
        merged_changes.append(("assets", {"moved_to": aid, "count": moved_assets}, None))

    card = rules.fill_card(a, b)
    classification = rules.merged_classification(a, b, datetime.datetime.now(datetime.UTC))
    survivor_changes += [(k, a.get(k), v) for k, v in card.items()]
    survivor_changes += [(k, a.get(k), v) for k, v in classification.items() if a.get(k) != v]
    records_store.update_card(cur, aid, {**card, **classification})

    archive = rules.fill_archive(arch_a, arch_b)
    if archive:
        records_store.update_archive(cur, aid, archive)
        survivor_changes += [(a["kind"] if k == "profile" else k, arch_a.get(k), v)
                             for k, v in archive.items()]

    store.mark_merged(cur, bid, aid)
    records_store.record_history(cur, aid, principal, "merge", survivor_changes)
    records_store.record_history(cur, bid, principal, "merged", merged_changes)
    tx.emit("customer_merged", MERGED.dump({"survivor_id": aid, "merged_id": bid}))
    changed = [f for f, _, _ in survivor_changes if f != "merged_from"]
    if changed:
        tx.emit("customer_updated", UPDATED.dump(
            {"customer_id": aid, "fields_changed": list(dict.fromkeys(changed))}))
    if classification:
        tx.emit("customer_classified", CLASSIFIED.dump({"customer_id": aid, **classification}))
    return {"survivor": cards(tx, [aid])[0], "merged_id": bid,
            "moved": {"phones": moved_phones, "emails": moved_emails, "assets": moved_assets},
            "filled": sorted({*card, *archive, *classification})}


# ---- segments ----------------------------------------------------------------------

def segment(tx, query: dict) -> dict:
    """A page of the segment's cards in keyset order; the total when asked."""
    after = decode_cursor(query.get("cursor"))
    rows = store.segment_page(tx.cur, query, after, query["limit"] + 1)
    more = len(rows) > query["limit"]
    rows = rows[:query["limit"]]
    shown = cards(tx, [r["id"] for r in rows])
    total = store.segment_count(tx.cur, query) if query["count"] else None
    cursor = encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if more else None
    return {"customers": shown, "cursor": cursor, "total": total}
