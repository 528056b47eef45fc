"""The ticket data set's plan (bench/generate.py): days × kinds, agents, vocabulary."""
import collections

from bench import generate


def test_days_and_kinds_add_up_to_exactly_n_in_the_shares():
    rows = generate.ticket_days(5_000_000, 7)
    assert sum(r[3] for r in rows) == 5_000_000
    per_kind = collections.Counter()
    for _, kind, _, count in rows:
        per_kind[kind] += count
    for kind, _, percent in generate.TICKET_KINDS:
        assert abs(per_kind[kind] / 5_000_000 - percent / 100) < 0.001


def test_serial_numbers_fit_four_digits_and_cover_two_years():
    rows = generate.ticket_days(5_000_000, 7)
    assert max(r[3] for r in rows) <= 9999
    days = sorted({r[0] for r in rows})
    assert (days[0], days[-1]) == (generate.TICKET_FIRST_DAY, generate.TICKET_LAST_DAY)
    assert len(days) >= 365 * 2
    assert {(r[1], r[2]) for r in rows} == {(k, p) for k, p, _ in generate.TICKET_KINDS}


def test_same_seed_same_plan_other_seed_other_plan():
    assert generate.ticket_days(100_000, 7) == generate.ticket_days(100_000, 7)
    assert generate.ticket_days(100_000, 7) != generate.ticket_days(100_000, 8)
    assert generate.ticket_agents(7) == generate.ticket_agents(7)
    assert generate.ticket_agents(7)[0]["id"] != generate.ticket_agents(8)[0]["id"]


def test_agents_are_unique_fifteen_per_group():
    agents = generate.ticket_agents(7)
    assert len({a["id"] for a in agents}) == len({a["username"] for a in agents}) == 300
    groups = collections.Counter(a["group"] for a in agents)
    assert len(groups) == 20 and set(groups.values()) == {15}


def test_forty_categories_with_after_sales_subtypes():
    assert sum(map(len, generate.CATEGORIES.values())) == 40
    subtypes = {sub for sub, _ in generate.CATEGORIES["after_sales"]}
    assert subtypes == {"delivery", "installation", "repair", "maintenance", "return", "exchange"}


def test_parameters_bind_every_placeholder_of_the_select():
    import re
    categories = {k: [f"00000000-0000-0000-0000-{i:012d}" for i in range(len(v))]
                  for k, v in generate.CATEGORIES.items()}
    params = generate._ticket_params(10_000, 7, 1000, categories, generate.ticket_agents(7))
    used = set(re.findall(r"%\((\w+)\)s", generate.TICKET_SELECT))
    assert used <= set(params)
