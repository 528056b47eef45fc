"""Reaching customers (N1, N3, V5): the full contact points notify sends to, and the
segments survey freezes campaign lists from.

Only those system identities may ask (contract: contact_points, segment_contacts);
what it reads is in the borrowing log — one row per customer for a single
notification, one row per page (with its count and bounds) for a segment, so a
greeting to 100,000 owners costs 200 rows, not 100,000.
"""
from services.common.identity import Principal
from services.common.paging import decode_cursor, encode_cursor
from services.customer.store import access as access_store
from services.customer.store import records as records_store
from services.customer.store import search as store

FIELDS = ["phones", "emails"]


def contact_points(tx, principal: Principal, query: dict) -> dict:
    """The customers of one notification, in the order asked (unknown or erased ones
    left out), each read logged."""
    ids = list(dict.fromkeys(str(i) for i in query["customer_ids"]))
    rows = {r["id"]: r for r in records_store.contact_rows(tx.cur, ids)}
    found = [rows[i] for i in ids if i in rows]
    for row in found:
        access_store.log_access(tx.cur, principal, row["id"], "notify", row["level"], FIELDS,
                                query["purpose"])
    return {"customers": found}


def segment_contacts(tx, principal: Principal, query: dict) -> dict:
    """A page of a segment as contact points, in the segment's keyset order."""
    after = decode_cursor(query.get("cursor"))
    rows = store.segment_page(tx.cur, query, after, query["limit"] + 1)
    more = len(rows) > query["limit"]
    rows = rows[:query["limit"]]
    ids = [r["id"] for r in rows]
    by_id = {r["id"]: r for r in records_store.contact_rows(tx.cur, ids)} if ids else {}
    found = [by_id[i] for i in ids if i in by_id]
    if found:
        access_store.log_access(
            tx.cur, principal, None, f"{principal.service or 'notify'}_segment",
            max(r["level"] for r in found),
            FIELDS, query["purpose"],
            {"count": len(found), "first": found[0]["id"], "last": found[-1]["id"]})
    total = store.segment_count(tx.cur, query) if query["count"] else None
    cursor = encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if more else None
    return {"customers": found, "cursor": cursor, "total": total}
