"""Erlang C (M/M/n) and Erlang A (M/M/n+M): exact, vectorized, stable for any size.

Units: ``interval_s``, ``aht_s``, ``answer_s``, ``patience_s`` in seconds; ``calls`` is the
number of contacts offered in one interval; ``agents`` is the number of agents staffed
(net, logged in and available). Every argument is a scalar or a numpy array; all are
broadcast together and every result is an array of the broadcast shape.

How it is computed (no factorials, no overflow at 10,000+ agents):

* Offered traffic ``a = calls * aht_s / interval_s`` (Erlangs), ``n`` agents.
* ``L = 1 / ErlangB(n, a)`` is evaluated in log space, ``log L = log Q(n+1, a) + a +
  lgamma(n+1) - n log a`` with ``Q`` the regularized upper incomplete gamma, or by the
  (then fast-converging) finite series ``sum_i prod_{m<i} (n-m)/a`` where ``Q`` would
  underflow (``a`` much larger than ``n``). Inside :func:`required_agents` the Erlang-B
  recursion ``B(n+1) = a B / (n + 1 + a B)`` steps all rows together.
* Erlang C: ``p_wait = 1 / (1 + (L - 1)(1 - a/n))``, ``SL = 1 - p_wait exp(-(n - a) T / aht)``,
  ``ASA = p_wait aht / (n - a)``; unstable when ``a >= n`` (p_wait 1, SL 0, ASA inf,
  occupancy 1).
* Erlang A, exact stationary birth-death chain of M/M/n+M (Garnett, Mandelbaum & Reiman
  2002; Mandelbaum & Zeltyn 2007): with ``x = n mu/theta``, ``y = lambda/theta`` and the
  function ``A(x, y) = sum_j y^j / ((x+1)...(x+j)) = x e^y y^-x gamma(x, y)`` (lower
  incomplete gamma), the probability of the state ``n`` is ``pi_n = 1 / (L - 1 + A(x, y))``
  and, for a wait of ``T``, with ``w = exp(-theta T)``:

  - ``p_wait = pi_n A(x, y)``
  - ``p_abandon = (x pi_n + (y - x) p_wait) / y``
  - P(answered and waited more than T) ``= pi_n x/(x+1) w^(x+1) e^(y(1-w)) A(x+1, y w)``
  - P(abandoned after more than s) ``= pi_n a^(x+1) e^(y(1-a)) (A(x, y a) - x/(x+1) A(x+1, y a))``
    with ``a = exp(-theta s)``
  - ASA of answered contacts ``= sum_j pi_(n+j) x (psi(x+j+2) - psi(x+1)) / ((x+j+1) theta)
    / P(answered)`` (a series, summed exactly to double precision).

  ``log A`` uses ``scipy.special.gammainc`` where it is representable and accurate and the
  positive series where it would underflow or lose relative accuracy (deep tails of huge
  arguments), so Erlang A is finite also when ``a >= n``.

Service level definitions (``sl_definition``; they only differ when contacts abandon):
``"offered"`` (default) answered within T / offered, abandons count against;
``"answered"`` answered within T / answered; ``"short_abandon"`` answered within T /
(offered - abandons before ``short_abandon_s``).

Example:
    >>> r = metrics(100, 1800, 180, 14, 20)
    >>> round(float(r["service_level"]), 4), round(float(r["asa_s"]), 2)
    (0.8884, 7.84)
    >>> int(required_agents(100, 1800, 180, 20, 0.8))
    14
"""

from __future__ import annotations

import numpy as np
from scipy import special

from wfm_errors import RequirementsError

__all__ = ["metrics", "required_agents", "SL_DEFINITIONS", "TIE_RTOL"]

SL_DEFINITIONS = ("offered", "answered", "short_abandon")
#: relative tolerance for comparing a metric with its target: a target met exactly
#: (up to floating-point noise) is met.
TIE_RTOL = 1e-12
_TINY = 1e-250  # below this an incomplete-gamma value is replaced by its series
# scipy's incomplete gamma keeps about 1e-13 absolute accuracy for huge arguments, so deep
# tails (small values) of huge arguments lose relative accuracy: use the series there too
_BIG, _LOOSE = 1e5, 1e-5
_MAX_TERMS = 200_000  # longest series summed term by term (only absurd patience needs more)


# ---------------------------------------------------------------------------
# validation at the edge


def _as_array(name: str, value, *, allow_nan: bool = False) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise RequirementsError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    bad = ~np.isfinite(arr)
    if allow_nan:
        bad &= ~np.isnan(arr) & ~np.isposinf(arr)
    if bad.any():
        _raise_at(name, arr, bad, "must be finite")
    return arr


def _raise_at(name: str, arr: np.ndarray, bad: np.ndarray, rule: str) -> None:
    if arr.ndim == 0:
        raise RequirementsError(f"{name} = {float(arr)!r}: {rule}")
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    where = idx[0] if len(idx) == 1 else idx
    count = int(bad.sum())
    more = f" ({count} values)" if count > 1 else ""
    raise RequirementsError(f"{name}[{where}] = {float(arr[idx])!r}: {rule}{more}")


def _check(name: str, arr: np.ndarray, bad: np.ndarray, rule: str) -> None:
    if np.any(bad):
        _raise_at(name, arr, np.asarray(bad), rule)


def _validate_common(calls, interval_s, aht_s, answer_s, patience_s, sl_definition, short_abandon_s):
    calls = _as_array("calls", calls)
    _check("calls", calls, calls < 0, "must be >= 0")
    interval_s = _as_array("interval_s", interval_s)
    _check("interval_s", interval_s, interval_s <= 0, "must be > 0")
    aht_s = _as_array("aht_s", aht_s)
    _check("aht_s", aht_s, aht_s <= 0, "must be > 0")
    answer_s = _as_array("answer_s", answer_s)
    _check("answer_s", answer_s, answer_s < 0, "must be >= 0")
    if patience_s is None:
        patience = np.array(np.inf)
    else:
        patience = _as_array("patience_s", patience_s, allow_nan=True)
        _check("patience_s", patience, patience <= 0, "must be > 0 (None, NaN or inf = Erlang C)")
        patience = np.where(np.isnan(patience), np.inf, patience)
    if sl_definition not in SL_DEFINITIONS:
        raise RequirementsError(f"sl_definition = {sl_definition!r}: must be one of {', '.join(SL_DEFINITIONS)}")
    short = _as_array("short_abandon_s", short_abandon_s)
    _check("short_abandon_s", short, short < 0, "must be >= 0")
    return calls, interval_s, aht_s, answer_s, patience, short


# ---------------------------------------------------------------------------
# special functions in log space


def _log_inv_erlang_b(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """log(1 / ErlangB(n, a)) for integer ``n >= 0`` and ``a > 0``."""
    n = np.asarray(n, dtype=float)
    a = np.asarray(a, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        q = special.gammaincc(n + 1.0, a)
        out = np.log(q) + a + special.gammaln(n + 1.0) - n * np.log(a)
    use_series = ~(q > _TINY) | (n < 0.5 * a) | ((n > _BIG) & (q < _LOOSE))
    use_series &= n == np.floor(n)  # the finite series is exact for whole agents only
    if np.any(use_series):
        idx = np.nonzero(use_series)[0] if out.ndim else None
        if out.ndim == 0:
            out = np.asarray(np.log(_inv_b_series(n.reshape(1), a.reshape(1))[0]))
        else:
            out = out.copy()
            out[idx] = np.log(_inv_b_series(n[idx], a[idx]))
    return out


def _inv_b_series(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """1/B = sum_i prod_{m<i} (n-m)/a; used where n < a (geometric, ratio <= n/a)."""
    total = np.ones_like(a)
    term = np.ones_like(a)
    active = np.arange(a.size)
    m = 0
    while active.size:
        term_a = term[active] * np.maximum(n[active] - m, 0.0) / a[active]
        term[active] = term_a
        total[active] += term_a
        ratio = np.maximum(n[active] - m - 1, 0.0) / a[active]
        tail = term_a * ratio / np.maximum(1.0 - ratio, 1e-300)
        done = (term_a == 0) | ((ratio < 1) & (tail <= 1e-17 * total[active]))
        active = active[~done]
        m += 1
    return total


def _log_big_a(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """log A(x, y) = log sum_j y^j / ((x+1)...(x+j)) for x >= 0, y >= 0 (array shapes equal)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    out = np.empty(np.broadcast(x, y).shape)
    x, y = np.broadcast_to(x, out.shape).ravel(), np.broadcast_to(y, out.shape).ravel()
    flat = out.reshape(-1)
    zero_x = x == 0
    flat[zero_x] = y[zero_x]  # A(0, y) = e^y
    rest = ~zero_x
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        p = np.where(rest & (y > 0), special.gammainc(np.where(rest, x, 1.0), y), 0.0)
        closed = np.log(x) + y - x * np.log(y) + special.gammaln(x) + np.log(p)
    series = rest & (~(p > _TINY) | (y < 0.5 * (x + 1.0)) | ((x > _BIG) & (p < _LOOSE)))
    gam = rest & ~series
    flat[gam] = closed[gam]
    if series.any():
        flat[series] = np.log(_big_a_series(x[series], y[series]))
    return out


def _big_a_series(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A(x, y) by its positive series; used only where y < x + 1 (terms shrink).

    Near-critical rows with astronomically large ``x`` (patience beyond ~1e5 handle times with
    traffic within a hair of the agents) would need more than ``_MAX_TERMS`` terms; there the
    expansion ``1/(1-r) - r/(x (1-r)^3)`` (r = y/x, error O(1/(x^2 (1-r)^5))) or, failing
    that, the incomplete-gamma form is used.
    """
    total = np.ones_like(x)
    term = np.ones_like(x)
    active = np.arange(x.size)
    j = 1
    while active.size and j <= _MAX_TERMS:
        xa, ya = x[active], y[active]
        t = term[active] * ya / (xa + j)
        term[active] = t
        total[active] += t
        ratio = ya / (xa + j + 1)
        done = (t == 0) | ((ratio < 1) & (t * ratio / (1.0 - np.minimum(ratio, 1 - 1e-16)) <= 1e-17 * total[active]))
        active = active[~done]
        j += 1
    if active.size:
        xa, ya = x[active], y[active]
        r = ya / xa
        with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
            expansion = 1.0 / (1.0 - r) - r / (xa * (1.0 - r) ** 3)
            closed = np.exp(np.log(xa) + ya - xa * np.log(ya) + special.gammaln(xa)
                            + np.log(special.gammainc(xa, ya)))
        good = (r < 1) & (1.0 / (xa**2 * (1.0 - r) ** 5) < 1e-10)
        total[active] = np.where(good, expansion, closed)
    return total


# ---------------------------------------------------------------------------
# the models


def _erlang_c(a, n, answer_s, aht_s, log_l):
    """Erlang C metrics for broadcast arrays; ``log_l`` = log(1/ErlangB(n, a))."""
    stable = n > a
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        l_minus_1 = np.expm1(log_l)
        p_wait = np.where(stable, 1.0 / (1.0 + l_minus_1 * (1.0 - a / n)), 1.0)
        sl = np.where(stable, 1.0 - p_wait * np.exp(-(n - a) * answer_s / aht_s), 0.0)
        asa = np.where(stable, p_wait * aht_s / (n - a), np.inf)
        occ = np.where(stable, a / n, 1.0)
    zero = a == 0
    p_wait = np.where(zero, 0.0, p_wait)
    sl = np.where(zero, 1.0, sl)
    asa = np.where(zero, 0.0, asa)
    occ = np.where(zero, 0.0, occ)
    return {
        "p_wait": p_wait,
        "service_level": np.clip(sl, 0.0, 1.0),
        "asa_s": asa,
        "occupancy": occ,
        "p_abandon": np.zeros_like(p_wait),
        "sl_answered": np.clip(sl, 0.0, 1.0),
    }


def _erlang_a(a, n, answer_s, aht_s, patience_s, short_s, sl_definition, *, with_asa=True):
    """Erlang A metrics on 1-D arrays of equal length (all rows have a > 0, finite patience)."""
    theta_over_mu = aht_s / patience_s
    x = n / theta_over_mu  # n mu / theta
    y = a / theta_over_mu  # lambda / theta
    log_l = _log_inv_erlang_b(n, a)
    log_r = _log_big_a(x, y)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        log_lm1 = log_l + np.log1p(-np.exp(-log_l))  # log(L - 1); -inf when n = 0
        log_den = np.logaddexp(log_lm1, log_r)
        pi_n = np.exp(-log_den)
        p_wait = np.exp(log_r - log_den)
        p_ab = np.clip((x * pi_n + (y - x) * p_wait) / y, 0.0, p_wait)
        # answered after waiting more than T
        w = np.exp(-answer_s / patience_s)
        log_g = (-log_den + np.log(x / (x + 1.0)) + (x + 1.0) * np.log(w) + y * (1.0 - w)
                 + _log_big_a(x + 1.0, y * w))
        late = np.where(x > 0, np.exp(log_g), 0.0)
        answered = 1.0 - p_ab
        within = np.clip(answered - late, 0.0, answered)
        if sl_definition == "offered":
            sl = within
        elif sl_definition == "answered":
            sl = np.where(answered > 0, within / answered, 0.0)
        else:
            short_ab = _short_abandons(x, y, log_den, short_s, patience_s, p_ab)
            denom = 1.0 - short_ab
            sl = np.where(denom > 0, within / denom, 0.0)
        occ = np.where(n > 0, a * answered / np.where(n > 0, n, 1.0), 0.0)
    out = {
        "p_wait": np.clip(p_wait, 0.0, 1.0),
        "service_level": np.clip(sl, 0.0, 1.0),
        "occupancy": np.clip(occ, 0.0, 1.0),
        "p_abandon": p_ab,
    }
    if with_asa:
        out["asa_s"] = _erlang_a_asa(x, y, log_den, patience_s, answered)
    return out


def _short_abandons(x, y, log_den, short_s, patience_s, p_ab):
    """P(abandon with patience <= short_s)."""
    a_ = np.exp(-short_s / patience_s)
    z = y * a_
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ax = np.exp(_log_big_a(x, z))
        ax1 = np.exp(_log_big_a(x + 1.0, z))
        bracket = np.maximum(ax - x / (x + 1.0) * ax1, 0.0)
        log_pre = -log_den + (x + 1.0) * np.log(a_) + y * (1.0 - a_)
        late_ab = np.where(bracket > 0, np.exp(log_pre + np.log(bracket)), 0.0)
    return np.clip(p_ab - late_ab, 0.0, p_ab)


def _erlang_a_asa(x, y, log_den, patience_s, answered):
    """Mean wait of answered contacts (seconds): exact series over the queue length j."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    total = np.zeros_like(x)
    # terms pi_{n+j} peak near j* = max(0, y - x - 1); start far enough below the peak
    peak = np.maximum(np.floor(y - x - 1.0), 0.0)
    start = np.maximum(peak - np.ceil(40.0 * np.sqrt(y + 1.0)), 0.0)
    with np.errstate(divide="ignore", invalid="ignore", under="ignore", over="ignore"):
        log_t = (start * np.log(np.where(y > 0, y, 1.0))
                 - (special.gammaln(x + start + 1.0) - special.gammaln(x + 1.0))) - log_den
        log_t = np.where((y == 0) & (start > 0), -np.inf, log_t)
        psi_x1 = special.digamma(x + 1.0)
        harm = special.digamma(x + start + 2.0) - psi_x1
    rows = np.nonzero((x > 0) & (answered > 0) & (y > 0))[0]
    with np.errstate(divide="ignore"):
        block = np.stack([x[rows], np.log(y[rows]), y[rows], log_t[rows], harm[rows], start[rows], peak[rows],
                          np.zeros(rows.size), rows.astype(float)])
    steps = 0
    # terms are summed until the geometric bound of the rest is below 1e-14 of the sum; rows
    # that are done leave the block (compacted once a quarter of them are done)
    while block.shape[1] and steps < _MAX_TERMS:
        steps += 1
        xb, logy, yb, lt, hb, jb, pk, tot = (block[k] for k in range(8))
        contrib = np.exp(lt) * xb * hb / (xb + jb + 1.0)
        tot += contrib
        jb += 1.0
        lt += logy - np.log(xb + jb)
        hb += 1.0 / (xb + jb + 1.0)
        ratio = yb / (xb + jb + 1.0)
        past_peak = jb > pk
        done = past_peak & (ratio < 1) & (contrib <= 1e-14 * (1.0 - ratio) * tot)
        done |= past_peak & (contrib <= 1e-300)
        if done.any():
            total[block[8][done].astype(np.int64)] = tot[done]
            if done.sum() >= 0.25 * done.size:
                block = block[:, ~done]
    if block.shape[1]:  # beyond _MAX_TERMS: add the geometric bound of the remaining tail
        xb, logy, yb, lt, hb, jb, pk, tot = (block[k] for k in range(8))
        ratio = yb / (xb + jb + 1.0)
        contrib = np.exp(lt) * xb * hb / (xb + jb + 1.0)
        total[block[8].astype(np.int64)] = tot + np.where(ratio < 1, contrib / np.maximum(1 - ratio, 1e-300), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        asa = np.where(answered > 0, total * patience_s / np.where(answered > 0, answered, 1.0), np.inf)
    return asa


# ---------------------------------------------------------------------------
# public API


def metrics(
    calls,
    interval_s,
    aht_s,
    agents,
    answer_s,
    *,
    patience_s=None,
    sl_definition: str = "offered",
    short_abandon_s=0.0,
    fractional_agents: bool = False,
) -> dict[str, np.ndarray]:
    """Queue performance for ``agents`` staffed: Erlang C, or Erlang A when ``patience_s`` is given.

    Args (scalars or arrays, broadcast; seconds): ``calls`` offered per interval (>= 0),
    ``interval_s`` interval length, ``aht_s`` mean handle time, ``agents`` staffed agents
    (integer >= 0), ``answer_s`` service-level threshold T, ``patience_s`` mean patience
    (None, or NaN/inf in a row, = Erlang C), ``sl_definition`` one of
    :data:`SL_DEFINITIONS`, ``short_abandon_s`` short-abandon threshold.

    Returns float arrays: ``traffic_erlangs``; ``p_wait`` probability a contact waits;
    ``service_level`` share answered within T (by ``sl_definition``); ``asa_s`` mean wait of
    answered contacts (inf when none are answered or the queue is unstable); ``occupancy``
    handled workload / staffed time; ``p_abandon`` share of offered contacts that abandon
    (0 under Erlang C).

    ``fractional_agents=True`` accepts any real ``agents >= 0``: the formulas' continuous
    interpolation between whole agents (Erlang B through the incomplete gamma function,
    ``1/B = e^a a^-n Gamma(n+1, a)``). It is what "between breakpoints" means for the service
    curve (:mod:`scheduling.service_curve`); it is not a staffing quantity, and it is accurate
    where ``Gamma(n+1, a)`` is representable (``n`` not far below the load).

    Example:
        >>> r = metrics(360, 1800, 240, 55, 15)
        >>> round(float(r["p_wait"]), 4), round(float(r["service_level"]), 4)
        (0.2387, 0.8459)
    """
    calls, interval_s, aht_s, answer_s, patience, short = _validate_common(
        calls, interval_s, aht_s, answer_s, patience_s, sl_definition, short_abandon_s
    )
    agents = _as_array("agents", agents)
    if fractional_agents:
        _check("agents", agents, agents < 0, "must be >= 0")
    else:
        _check("agents", agents, (agents < 0) | (agents != np.floor(agents)), "must be a whole number >= 0")
    shape = np.broadcast_shapes(calls.shape, interval_s.shape, aht_s.shape, agents.shape,
                                answer_s.shape, patience.shape, short.shape)
    b = [np.broadcast_to(v, shape).ravel() for v in (calls, interval_s, aht_s, agents, answer_s, patience, short)]
    calls_, interval_, aht_, n, t, pat, short_ = b
    a = calls_ * aht_ / interval_
    size = a.size
    out = {k: np.empty(size) for k in ("p_wait", "service_level", "asa_s", "occupancy", "p_abandon")}

    is_c = ~np.isfinite(pat) | (a == 0)
    if is_c.any():
        idx = np.nonzero(is_c)[0]
        ai, ni = a[idx], n[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            log_l = np.where((ni > ai) & (ai > 0), _log_inv_erlang_b(ni, np.where(ai > 0, ai, 1.0)), 0.0)
        res = _erlang_c(ai, ni, t[idx], aht_[idx], log_l)
        for k in out:
            out[k][idx] = res[k]
    if (~is_c).any():
        idx = np.nonzero(~is_c)[0]
        res = _erlang_a(a[idx], n[idx], t[idx], aht_[idx], pat[idx], short_[idx], sl_definition)
        for k in out:
            out[k][idx] = res[k]
    result = {"traffic_erlangs": a.reshape(shape)}
    for k in ("p_wait", "service_level", "asa_s", "occupancy", "p_abandon"):
        result[k] = out[k].reshape(shape)
    return result


def required_agents(
    calls,
    interval_s,
    aht_s,
    answer_s,
    target_sl,
    *,
    max_occupancy=1.0,
    patience_s=None,
    max_asa_s=None,
    max_abandon=None,
    sl_definition: str = "offered",
    short_abandon_s=0.0,
) -> np.ndarray:
    """The fewest agents meeting every target given (net of shrinkage), as an int array.

    Targets: ``service_level >= target_sl`` (in (0, 1)), ``occupancy <= max_occupancy``
    (in (0, 1]), ``asa_s <= max_asa_s`` and ``p_abandon <= max_abandon`` when given. A
    target met exactly (within a relative 1e-12) is met. Zero calls need zero agents.
    Erlang C when ``patience_s`` is None (or NaN/inf in a row), Erlang A otherwise.

    Example:
        >>> required_agents([100, 60000 * 0.5], 1800, [180, 300], 20, 0.8).tolist()
        [14, 5019]
    """
    calls, interval_s, aht_s, answer_s, patience, short = _validate_common(
        calls, interval_s, aht_s, answer_s, patience_s, sl_definition, short_abandon_s
    )
    target = _as_array("target_sl", target_sl)
    _check("target_sl", target, (target <= 0) | (target >= 1), "must be in (0, 1)")
    occ = _as_array("max_occupancy", max_occupancy)
    _check("max_occupancy", occ, (occ <= 0) | (occ > 1), "must be in (0, 1]")
    if max_asa_s is None:
        asa = np.array(np.inf)
    else:
        asa = _as_array("max_asa_s", max_asa_s, allow_nan=True)
        _check("max_asa_s", asa, asa <= 0, "must be > 0")
        asa = np.where(np.isnan(asa), np.inf, asa)
    if max_abandon is None:
        ab = np.array(np.inf)
    else:
        ab = _as_array("max_abandon", max_abandon, allow_nan=True)
        _check("max_abandon", ab, (ab < 0) | (ab > 1), "must be in [0, 1]")
        ab = np.where(np.isnan(ab), np.inf, ab)
    shape = np.broadcast_shapes(calls.shape, interval_s.shape, aht_s.shape, answer_s.shape,
                                patience.shape, short.shape, target.shape, occ.shape, asa.shape, ab.shape)
    cols = [np.broadcast_to(v, shape).ravel() for v in
            (calls, interval_s, aht_s, answer_s, patience, short, target, occ, asa, ab)]
    calls_, interval_, aht_, t, pat, short_, tgt, mocc, masa, mab = cols
    a = calls_ * aht_ / interval_
    result = np.zeros(a.size, dtype=np.int64)
    busy = a > 0
    is_c = busy & ~np.isfinite(pat)
    if is_c.any():
        idx = np.nonzero(is_c)[0]
        result[idx] = _required_c(a[idx], t[idx], aht_[idx], tgt[idx], mocc[idx], masa[idx])
    is_a = busy & np.isfinite(pat)
    if is_a.any():
        idx = np.nonzero(is_a)[0]
        result[idx] = _required_a(a[idx], t[idx], aht_[idx], pat[idx], short_[idx], tgt[idx], mocc[idx],
                                  masa[idx], mab[idx], sl_definition)
    return result.reshape(shape)


def _meets(sl, occ, asa, p_ab, tgt, mocc, masa, mab):
    return ((sl >= tgt * (1 - TIE_RTOL)) & (occ <= mocc * (1 + TIE_RTOL))
            & (asa <= masa * (1 + TIE_RTOL)) & (p_ab <= mab * (1 + TIE_RTOL)))


def _required_c(a, t, aht, tgt, mocc, masa):
    """Erlang C search: start at a lower bound, step all rows with the Erlang-B recursion.

    The start ``max(floor(a) + 1, ceil(a / max_occupancy))`` never exceeds the answer (stability
    and occupancy) and already meets the occupancy target, which only gets easier with more
    agents; each step then costs a few multiplications per row: ``b`` (Erlang B) by its stable
    forward recursion and ``e = exp(-(n - a) T / aht)`` by a constant factor. The service level
    test ``1 - p_wait e >= target`` is written without divisions as
    ``b e n <= (1 - target) (n - a (1 - b))``.
    """
    n = np.maximum(np.floor(a) + 1.0, np.ceil(a / mocc * (1 - TIE_RTOL)))
    b = np.exp(-_log_inv_erlang_b(n, a))
    rate = t / aht
    e = np.exp(-(n - a) * rate)
    result = np.zeros(a.size, dtype=np.int64)
    use_asa = bool(np.isfinite(masa).any())
    # one 2-D block of rows still searching; compacted once a quarter of them are done
    rows = [n, a, b, e, np.exp(-rate), 1.0 - tgt * (1 - TIE_RTOL), np.arange(a.size, dtype=float)]
    if use_asa:
        rows += [aht, masa * (1 + TIE_RTOL)]
    block = np.stack(rows)
    pending = np.ones(a.size, dtype=bool)
    while block.shape[1]:
        n, a, b, e, miss = block[0], block[1], block[2], block[3], block[5]
        busy = n - a * (1.0 - b)  # n (1 - rho (1 - b)) > 0 for n > a
        ok = b * e * n <= miss * busy
        if use_asa:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                ok &= (b * n / busy) * block[7] / (n - a) <= block[8]
        new = ok & pending
        if new.any():
            result[block[6][new].astype(np.int64)] = n[new].astype(np.int64)
            pending &= ~ok
            if pending.sum() <= 0.75 * pending.size:
                block = block[:, pending]
                pending = np.ones(block.shape[1], dtype=bool)
                n, a, b, e = block[0], block[1], block[2], block[3]
        ab = a * b
        block[0] = n + 1.0
        block[2] = ab / (block[0] + ab)
        block[3] = e * block[4]
    return result


def _required_a(a, t, aht, pat, short, tgt, mocc, masa, mab, sl_definition):
    """Erlang A search: from the Erlang C answer, gallop up or down, then bisect (targets are monotone)."""
    need_asa = bool(np.isfinite(masa).any())

    def feasible(idx, n):
        r = _erlang_a(a[idx], n, t[idx], aht[idx], pat[idx], short[idx], sl_definition, with_asa=need_asa)
        asa = r["asa_s"] if need_asa else np.zeros(idx.size)
        return _meets(r["service_level"], r["occupancy"], asa, r["p_abandon"],
                      tgt[idx], mocc[idx], masa[idx], mab[idx])

    # a lower bound: some agent is needed; with abandons counting against, SL <= answered share
    # <= n / a. lb - 1 is known to fail, so it is never evaluated.
    lb = np.ceil(tgt * a * (1 - TIE_RTOL)) if sl_definition == "offered" else np.zeros(a.size)
    lb = np.maximum(lb, 1.0)
    # start at the Erlang C answer for the same SL/occupancy targets (Erlang A usually needs a
    # few agents fewer), gallop up where it fails and down where it holds, then bisect
    hi = np.maximum(_required_c(a, t, aht, tgt, mocc, np.full(a.size, np.inf)).astype(float), lb)
    lo = lb - 1.0
    all_idx = np.arange(a.size)
    ok = feasible(all_idx, hi)
    step = np.ones(a.size)
    up = all_idx[~ok]
    while up.size:
        lo[up] = hi[up]
        hi[up] += step[up]
        step[up] *= 2.0
        good = feasible(up, hi[up])
        up = up[~good]
    down = all_idx[ok & (hi - 1.0 > lo)]
    step[:] = 1.0
    while down.size:
        cand = hi[down] - step[down]
        below = cand <= lo[down]
        down, cand = down[~below], cand[~below]
        if not down.size:
            break
        good = feasible(down, cand)
        hi[down[good]] = cand[good]
        lo[down[~good]] = cand[~good]
        step[down] *= 2.0
        down = down[good]
    todo = all_idx[hi - lo > 1.0]
    while todo.size:
        mid = np.floor((lo[todo] + hi[todo]) / 2.0)
        good = feasible(todo, mid)
        hi[todo[good]] = mid[good]
        lo[todo[~good]] = mid[~good]
        todo = todo[hi[todo] - lo[todo] > 1.0]
    result = hi
    return result.astype(np.int64)
