"""Use cases of the ticket figures as read (R2): counters and times by period, grouping
and filters; the backlog per day; the daily count of created tickets.  Every answer is
read from the rollups, in the caller's scope (an agent: their own tickets; a supervisor:
their groups'; managers up, admins and auditors: all), and says as of when."""
from services.common.errors import NotFound
from services.common.identity import Principal
from services.report.domain import figures as rules
from services.report.domain.facts import DAY_KIND, MONTH
from services.report.handlers.facts import SOURCE
from services.report.store import facts as fact_store
from services.report.store import figures as store

FILTER_FIELDS = ("kind", "category_id", "channel", "group_name", "agent_id")


def _scoped(principal: Principal, query: dict) -> tuple[rules.Scope, dict, list | None]:
    """The caller's scope, the filters with it applied, and the groups it limits to."""
    scope = rules.scope_of(principal.id, principal.roles, principal.groups)
    filters = {f: query.get(f) for f in FILTER_FIELDS}
    rules.within_scope(scope, filters)
    if scope.agent_id:
        filters["agent_id"] = scope.agent_id
    return scope, filters, list(scope.groups) if scope.groups is not None else None


def _known_in_scope(tx, scope: rules.Scope, filters: dict, groups: list | None) -> None:
    """A supervisor's agent filter: NotFound unless the agent has a ticket in their
    groups (the report keeps no membership; an agent of theirs with no ticket yet reads
    as absent too, so the answer tells nothing of agents elsewhere)."""
    agent = filters.get("agent_id")
    if groups is not None and agent and not store.agent_in_groups(tx.cur, agent, groups):
        raise NotFound("no such agent in your scope")


def as_of(tx):
    position = fact_store.feed_position(tx.cur, SOURCE)
    return position["last_occurred_at"] if position else None


def ticket_figures(tx, principal: Principal, query: dict) -> dict:
    """{"as_of", "series": [{period, <grouped fields>, counters, times}]}: every period
    of the range for every key group (zeros where none)."""
    first, last, period = query["from_day"], query["to_day"], query["period"]
    rules.check_range(first, last)
    by = tuple(dict.fromkeys(query["by"]))
    scope, filters, groups = _scoped(principal, query)
    asked = {f: v for f, v in filters.items() if f != "agent_id" or not scope.agent_id}
    table = rules.rollup_for(by, asked, scope, period, first, last)
    # the day-by-kind rollups keep no group nor agent: never a scoped caller's
    assert not rules.unscoped_only(table) or scope == rules.Scope(), table
    _known_in_scope(tx, scope, filters, groups)
    measures = query.get("measures") or ()
    columns = query.get("layout") == "columns"
    if columns:  # a row per key group, its counters as arrays: no row per point
        rows = store.counts_per_key(tx.cur, table, by, period, first, last, filters, groups,
                                    measures)
        rules.check_size(rows, by, first, last, period, measures)
    else:
        rows = store.counts(tx.cur, table, by, period, first, last, filters, groups)
        rules.check_size(rows, by, first, last, period, measures)
    times = (store.times(tx.cur, by, period, first, last, filters, groups)
             if rules.times_kept(by, asked, scope) and rules.times_asked(measures) else None)
    if columns:
        return {"as_of": as_of(tx),
                **rules.columns_per_key(rows, times, by, first, last, period, measures)}
    return {"as_of": as_of(tx),
            "series": rules.series(rows, times, by, first, last, period, measures)}


def as_json(answer: dict, points: str, names: dict | None = None) -> dict:
    """The answer as its contract schema dumps it — dates as ISO text — without a
    schema's dump per point (thousands of points: the dump was most of the answer's
    time, P6).  The points' other values are numbers, text or null already; `names`
    renames the answer's own fields as the schema's data keys do (from_day: from).  The
    points are changed in place (their dates made text)."""
    days: dict = {}
    for point in answer.get(points, ()):
        for name in ("period", "day"):
            value = point.get(name)
            if value is not None and not isinstance(value, str):
                point[name] = days.get(value) or days.setdefault(value, value.isoformat())
    names = names or {}
    return {names.get(k, k): (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in answer.items()}


def ticket_backlog(tx, principal: Principal, query: dict) -> dict:
    """{"as_of", "series": [{day, kind | group_name, open}]}: open tickets at the end of
    each day (everything before `from` included)."""
    first, last = query["from_day"], query["to_day"]
    rules.check_range(first, last)
    by = (query["by"],) if query.get("by") else ()
    scope, filters, groups = _scoped(principal, query)
    table = rules.daily_rollup(rules.needed(by, filters, scope))
    assert table is not None and table not in (DAY_KIND, MONTH), table  # by is kind or group
    assert not rules.unscoped_only(table) or scope == rules.Scope(), table
    _known_in_scope(tx, scope, filters, groups)
    rows = store.backlog_changes(tx.cur, table, by, first, last, filters, groups)
    field = rules.DIMENSIONS[by[0]] if by else None
    return {"as_of": as_of(tx),
            "series": rules.backlog([r for r in rows if r["day"] is None],
                                    [r for r in rows if r["day"] is not None],
                                    field, first, last)}


def tickets_daily(tx, principal: Principal, query: dict) -> dict:
    """Tickets created per day and kind between two days inclusive."""
    return {"series": store.created_per_day(tx.cur, query["from_day"], query["to_day"])}
