"""Headcount: tours are at most the agents who can work them.

Aggregated caps (:class:`~scheduling.shifts.records.HeadcountCaps`, a contract's
``max_agents``), each a row over the tour columns:

* ``cap_<contract>``: ``sum(x of the contract) <= max agents``;
* ``cap_<contract>_<channel>``: ``sum(x of the contract on the channel) <= agents with the skill``;
* ``cap_<contract>_<day>``: ``sum(x of the contract working day d) <= agents available that day``.

Named agents (``caps.pools``): per set ``A`` of pools able to take a tour, a column
``pooled[A] >= 0`` and the row ``pooled_A``: ``pooled[A] - sum(x that exactly A can take) = 0``;
then Hall's condition (:func:`hall_rows`), for every connected union ``U`` of such sets, the row
``hall_k``: ``sum(pooled[A] : A subset of U) <= agents in U``. That is exact for one tour per
agent (every planned tour finds an agent). An aggregated cap that the complete Hall rows
imply (no lower than the pools' own headcount, :func:`implied_caps`) is left out: dense
rows slow every simplex step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import pulp

from scheduling.shifts.formulation.context import ROWS_HEADCOUNT, Build
from scheduling.shifts.records import AgentPool, CapRow, HeadcountCaps, Tour

MAX_HALL_ROWS = 2048  # pool sets per contract given a cap row; beyond, the re-plan loop catches what is left


def hall_rows(pools: tuple[AgentPool, ...],
              pool_vars: Mapping[frozenset[int], list]) -> tuple[list[tuple[str, list, int]], bool]:
    """Hall's condition for the tours and the agent pools: (label, variables, agents) rows over
    ``pool_vars`` (the variables of each "pools able to take it" set), and whether every
    connected set got its row (False past ``MAX_HALL_ROWS`` per contract).

    For a set U of pools, the tours that only pools in U can take are at most U's agents.
    Only connected sets matter (the row of a disconnected set is the sum of its parts'), and
    they are the unions of overlapping "pools able to take a tour" sets, grown one at a time.
    """
    sets = list(pool_vars)
    seen: set[frozenset[int]] = set(sets)
    frontier = list(sets)
    while frontier and len(seen) < MAX_HALL_ROWS * max(1, len({p.contract for p in pools})):
        grown = []
        for union in frontier:
            for able in sets:
                if union & able and not able <= union and (union | able) not in seen:
                    seen.add(union | able)
                    grown.append(union | able)
        frontier = grown
    rows = []
    for union in sorted(seen, key=lambda u: (len(u), sorted(u))):
        members = [var for able, variables in pool_vars.items() if able <= union for var in variables]
        limit = sum(pools[j].count for j in union)
        contract = pools[next(iter(union))].contract
        label = (f"{limit} agent(s) of contract {contract!r} who can take these tours ("
                 + "; ".join(pools[j].label() for j in sorted(union)) + ")")
        rows.append((label, members, limit))
    return rows, not frontier


def implied_caps(caps: HeadcountCaps) -> dict[tuple, int]:
    """The pools' own headcount per contract, contract x skill and contract x weekday.

    With every Hall row in the model, an aggregated cap at least this high is implied: the
    tours it counts can only go to those pools, whose connected sets each have their row.
    """
    implied: dict[tuple, int] = defaultdict(int)
    for pool in caps.pools:
        implied[(pool.contract,)] += pool.count
        for channel in pool.channels:
            implied[(pool.contract, channel)] += pool.count
        for day in pool.workdays:
            implied[(pool.contract, day)] += pool.count
    return dict(implied)


def add_headcount(build: Build, tours: tuple[Tour, ...]) -> tuple[CapRow, ...]:
    """Add the pooled columns, the aggregated caps and Hall's rows; return the cap rows."""
    prob, caps, rules = build.prob, build.caps, build.rules
    contract_vars: dict[str, list] = defaultdict(list)
    channel_vars: dict[tuple[str, str], list] = defaultdict(list)
    weekday_vars: dict[tuple[str, int], list] = defaultdict(list)
    pool_vars: dict[frozenset[int], list] = {}  # pools able to take a tour -> its columns
    for tour in tours:
        if tour.takers:
            pool_vars.setdefault(tour.takers, []).append(tour.var)
        contract_vars[tour.contract].append(tour.var)
        channel_vars[(tour.contract, tour.channel)].append(tour.var)
        for d in tour.days:
            weekday_vars[(tour.contract, d)].append(tour.var)
    rows: list[CapRow] = []
    pooled: dict[frozenset[int], list] = {}
    for n_set, (able, members) in enumerate(pool_vars.items()):
        total = prob.add_variable(f"pooled_{n_set}", lowBound=0)
        build.add_row(total - pulp.lpSum(members) == 0, f"pooled_{n_set}", order=(ROWS_HEADCOUNT,))
        pooled[able] = [total]
    hall, complete = hall_rows(caps.pools, pooled)
    implied = implied_caps(caps) if complete else {}

    def add_cap(key: tuple, members: list, limit: int | None, label: str, name: str) -> None:
        if limit is None or not members or limit >= implied.get(key, limit + 1):
            return
        row = build.add_row(pulp.lpSum(members) <= limit, name, order=(ROWS_HEADCOUNT,))
        rows.append(CapRow(label, row, limit))

    for contract in rules.contracts:
        limit = caps.by_contract.get(contract.name, contract.max_agents)
        add_cap((contract.name,), contract_vars[contract.name], limit,
                f"contract {contract.name!r} max_agents={limit}", f"cap_{contract.name}")
    for (contract, channel), limit in caps.by_contract_channel.items():
        add_cap((contract, channel), channel_vars[(contract, channel)], limit,
                f"{limit} agent(s) of contract {contract!r} with skill {channel!r}", f"cap_{contract}_{channel}")
    for (contract, weekday), limit in caps.by_contract_weekday.items():
        add_cap((contract, weekday), weekday_vars[(contract, weekday)], limit,
                f"{limit} agent(s) of contract {contract!r} available on {build.grid.day_names()[weekday]}",
                f"cap_{contract}_{weekday}")
    for n_row, (label, members, limit) in enumerate(hall):
        row = build.add_row(pulp.lpSum(members) <= limit, f"hall_{n_row}", order=(ROWS_HEADCOUNT,))
        rows.append(CapRow(label, row, limit))
    return tuple(rows)
