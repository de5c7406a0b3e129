"""The Erlang calculator behind the Staffing page: one interval's volume, handle time and
target in; agents needed and what they deliver out, plus the service level against agents.

Definitions (the page shows them next to the numbers):

- **Service level**: share of *offered* contacts answered within ``answer_s`` seconds
  (abandons count against); Erlang C without ``patience_s``, Erlang A with it.
- **Net agents**: the fewest agents on the phones meeting ``target_sl`` and
  ``max_occupancy`` (:func:`scheduling.erlang.required_agents`).
- **Scheduled agents** = net / (1 - shrinkage), never net x (1 + shrinkage).
- **ASA**: mean wait of answered contacts (s). **Occupancy**: handled workload / staffed time.
  **Abandon**: share of offered contacts that hang up (0 under Erlang C).

Example (the classic case: 100 calls in 30 min, 180 s, 80 % in 20 s, 30 % shrinkage):
    >>> r = erlang_calculator(calls=100, interval_s=1800, aht_s=180, answer_s=20, target_sl=0.8, shrinkage=0.3)
    >>> r.net_agents, r.scheduled_agents, round(r.service_level, 3)
    (14, 20.0, 0.888)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wfm_errors import RequirementsError
from scheduling.erlang import metrics, required_agents

__all__ = ["CalculatorResult", "erlang_calculator", "sl_curve"]


@dataclass(frozen=True)
class CalculatorResult:
    """What the net agents deliver for one interval (seconds; shares in [0, 1])."""

    net_agents: int
    scheduled_agents: float  # net / (1 - shrinkage), rounded once to 2 decimals
    traffic_erlangs: float
    service_level: float
    asa_s: float
    occupancy: float
    p_abandon: float
    model: str  # "Erlang C" or "Erlang A"


def _number(name: str, value: object, *, low: float, high: float = math.inf,
            low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a float inside the range, else ValueError naming the field and the value."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RequirementsError(f"{name}: {value!r} is not a number") from None
    too_low = number <= low if low_open else number < low
    too_high = number >= high if high_open else number > high
    if not math.isfinite(number) or too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open or high == math.inf else "]"
        raise RequirementsError(f"{name}: {value!r} is outside {left}{low:g}, {high:g}{right}")
    return number


def _inputs(calls, interval_s, aht_s, answer_s, patience_s):
    calls = _number("calls", calls, low=0)
    interval_s = _number("interval_s", interval_s, low=0, low_open=True)
    aht_s = _number("aht_s", aht_s, low=0, low_open=True)
    answer_s = _number("answer_s", answer_s, low=0)
    patience = None if patience_s in (None, "") else _number("patience_s", patience_s, low=0, low_open=True)
    return calls, interval_s, aht_s, answer_s, patience


def erlang_calculator(
    *,
    calls: float,
    interval_s: float,
    aht_s: float,
    answer_s: float,
    target_sl: float,
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
    patience_s: float | None = None,
) -> CalculatorResult:
    """Agents needed for one interval and the service they give.

    ``calls`` offered in an interval of ``interval_s`` seconds, mean handle time ``aht_s``,
    service level ``target_sl`` within ``answer_s`` seconds, ``max_occupancy`` cap,
    ``shrinkage`` share of paid time off the phones, ``patience_s`` mean patience (None:
    Erlang C). Bad input raises ``ValueError`` naming the field and the value.

    >>> erlang_calculator(calls=0, interval_s=1800, aht_s=180, answer_s=20, target_sl=0.8).net_agents
    0
    """
    calls, interval_s, aht_s, answer_s, patience = _inputs(calls, interval_s, aht_s, answer_s, patience_s)
    target = _number("target_sl", target_sl, low=0, high=1, low_open=True, high_open=True)
    occupancy_cap = _number("max_occupancy", max_occupancy, low=0, high=1, low_open=True)
    shrink = _number("shrinkage", shrinkage, low=0, high=1, high_open=True)
    net = int(required_agents(calls, interval_s, aht_s, answer_s, target,
                              max_occupancy=occupancy_cap, patience_s=patience))
    values = metrics(calls, interval_s, aht_s, net, answer_s, patience_s=patience)
    return CalculatorResult(
        net_agents=net,
        scheduled_agents=round(net / (1.0 - shrink), 2),
        traffic_erlangs=float(values["traffic_erlangs"]),
        service_level=float(values["service_level"]),
        asa_s=float(values["asa_s"]),
        occupancy=float(values["occupancy"]),
        p_abandon=float(values["p_abandon"]),
        model="Erlang A" if patience is not None else "Erlang C",
    )


def sl_curve(
    *,
    calls: float,
    interval_s: float,
    aht_s: float,
    answer_s: float,
    patience_s: float | None = None,
    agents: range | None = None,
) -> pd.DataFrame:
    """Service level, ASA (s), occupancy and abandon share for each number of agents.

    Default range: from just under the offered traffic to well past it (at least 10 rows).
    Columns: ``agents, service_level, asa_s, occupancy, p_abandon``.

    >>> curve = sl_curve(calls=100, interval_s=1800, aht_s=180, answer_s=20)
    >>> bool(curve["service_level"].is_monotonic_increasing)
    True
    """
    calls, interval_s, aht_s, answer_s, patience = _inputs(calls, interval_s, aht_s, answer_s, patience_s)
    if agents is None:
        traffic = calls * aht_s / interval_s
        low = max(1, int(math.floor(traffic * 0.8)))
        high = max(low + 10, int(math.ceil(traffic * 1.4 + 3 * math.sqrt(traffic) + 2)))
        agents = range(low, high + 1)
    n = np.asarray(list(agents), dtype=float)
    if n.size == 0 or (n < 0).any():
        raise RequirementsError(f"agents: {agents!r} must be a non-empty range of whole numbers >= 0")
    values = metrics(calls, interval_s, aht_s, n, answer_s, patience_s=patience)
    return pd.DataFrame({
        "agents": n.astype(int),
        "service_level": values["service_level"],
        "asa_s": values["asa_s"],
        "occupancy": values["occupancy"],
        "p_abandon": values["p_abandon"],
    })
