"""Pure figure builders: a frame in (docs/architecture.md section 3 shapes), a ``go.Figure`` out.

No store, no Dash: every function here is tested without a browser. Times on the x axes are
local clock times as in the frames; counts are contacts per interval; agents are heads.

Example:
    >>> import pandas as pd
    >>> fc = pd.DataFrame({"interval_start": pd.date_range("2025-06-02 08:00", periods=2, freq="15min"),
    ...                    "queue": "main", "channel": "voice", "forecast": [10.0, 12.0],
    ...                    "lo": [7.0, 9.0], "hi": [13.0, 15.0], "model": "m"})
    >>> [t.name for t in forecast_figure(None, fc).data]
    ['10-90% range', 'forecast']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from wfm_errors import InputError

__all__ = [
    "forecast_figure",
    "requirements_heatmap",
    "coverage_figure",
    "roster_timeline",
    "timeline_caption",
    "sl_curve_figure",
    "scenario_bars",
    "frontier_figure",
    "intraday_figure",
    "replan_figure",
    "capacity_figure",
    "capacity_cost_figure",
    "empty_figure",
]

HISTORY_COLOR = "#7f7f7f"
FORECAST_COLOR = "#1f77b4"
BAND_COLOR = "rgba(31, 119, 180, 0.18)"
REQUIRED_COLOR = "#d62728"
SCHEDULED_COLOR = "#2ca02c"
ACTIVITY_COLORS = {"break": "#d62728", "lunch": "#393b79", "meeting": "#8c564b", "training": "#e377c2"}
CHANNEL_COLORS = {"voice": "#6baed6", "chat": "#74c476", "messaging": "#9e9ac8", "email": "#fdd0a2", "social": "#fdae6b",
                  "backoffice": "#bdbdbd"}
# a small white template (plotly's named templates cost ~50 ms of copying per figure)
TEMPLATE = dict(layout=dict(
    paper_bgcolor="white", plot_bgcolor="white", font=dict(color="#2a3f5f"),
    colorway=["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"],
    xaxis=dict(gridcolor="#ebf0f8", linecolor="#ebf0f8", zerolinecolor="#ebf0f8", automargin=True),
    yaxis=dict(gridcolor="#ebf0f8", linecolor="#ebf0f8", zerolinecolor="#ebf0f8", automargin=True),
))
LAYOUT = dict(template=TEMPLATE, margin=dict(l=60, r=20, t=50, b=40), legend=dict(orientation="h", y=-0.15))


def empty_figure(message: str) -> go.Figure:
    """A blank chart that says why it is blank (e.g. ``"No plan yet: run planner demo"``)."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font=dict(size=15))
    fig.update_layout(**LAYOUT, xaxis=dict(visible=False), yaxis=dict(visible=False), height=260)
    return fig


def history_preview_figure(history: pd.DataFrame, *, title: str = "Preview: offered per interval") -> go.Figure:
    """Offered contacts per interval, one line per queue/channel series (a History frame from
    :func:`planner.io.validate_history`), to check a column mapping before storing.

    Example:
        >>> h = pd.DataFrame({"interval_start": pd.to_datetime(["2025-01-06 08:00", "2025-01-06 08:30"]),
        ...                   "queue": "main", "channel": "voice", "offered": [3, 5]})
        >>> [t.name for t in history_preview_figure(h).data]
        ['main/voice']
    """
    if history.empty:
        return empty_figure("no rows to preview")
    fig = go.Figure()
    for (queue, channel), part in history.sort_values("interval_start").groupby(["queue", "channel"], sort=True):
        x, y = gapped(part["interval_start"], part["offered"])  # no line across closed hours
        fig.add_trace(go.Scatter(x=x, y=y, name=f"{queue}/{channel}", connectgaps=False,
                                 mode="lines+markers" if len(part) < 200 else "lines"))
    fig.update_layout(title=title, xaxis_title="interval start", yaxis_title="offered contacts",
                      margin=dict(l=50, r=20, t=50, b=40), legend=dict(orientation="h"), showlegend=True)
    return fig


def _step(times: pd.Series, interval_minutes: int | None) -> pd.Timedelta | None:
    """The grid's interval: ``interval_minutes``, else the smallest step between the times."""
    if interval_minutes:
        return pd.Timedelta(minutes=int(interval_minutes))
    steps = pd.Series(pd.to_datetime(times).sort_values().unique()).diff().dropna()
    steps = steps[steps > pd.Timedelta(0)]
    return steps.min() if len(steps) else None


def segments(times: pd.Series, *, interval_minutes: int | None = None) -> list[np.ndarray]:
    """Positions of ``times`` (sorted) split where the next time is more than one interval
    later: the runs of intervals with rows, so a line is not drawn across hours or days the
    centre was closed (rows missing there).

    >>> t = pd.Series(pd.to_datetime(["2025-06-06 16:00", "2025-06-06 16:30", "2025-06-09 08:00"]))
    >>> [s.tolist() for s in segments(t, interval_minutes=30)]
    [[0, 1], [2]]
    """
    times = pd.to_datetime(pd.Series(times)).reset_index(drop=True)
    if times.empty:
        return []
    step = _step(times, interval_minutes)
    if step is None:
        return [np.arange(len(times))]
    breaks = np.flatnonzero(times.diff().to_numpy()[1:] > step.to_timedelta64()) + 1
    return np.split(np.arange(len(times)), breaks)


def gapped(times: pd.Series, values: pd.Series, *, interval_minutes: int | None = None) -> tuple[list, list]:
    """``(x, y)`` for a line with a ``None`` between :func:`segments`: plotly leaves a gap there."""
    times, values = pd.Series(times).reset_index(drop=True), pd.Series(values).reset_index(drop=True)
    x: list = []
    y: list = []
    for part in segments(times, interval_minutes=interval_minutes):
        if x:
            x.append(None)
            y.append(None)
        x.extend(times.iloc[part].tolist())
        y.extend(values.iloc[part].tolist())
    return x, y


def _band(times: pd.Series, lo: pd.Series, hi: pd.Series, *, interval_minutes: int | None) -> tuple[list, list]:
    """One closed polygon (hi forward, lo back) per run of intervals, separated by ``None``."""
    times, lo, hi = (pd.Series(v).reset_index(drop=True) for v in (times, lo, hi))
    x: list = []
    y: list = []
    for part in segments(times, interval_minutes=interval_minutes):
        if x:
            x.append(None)
            y.append(None)
        x.extend(times.iloc[part].tolist() + times.iloc[part[::-1]].tolist())
        y.extend(hi.iloc[part].tolist() + lo.iloc[part[::-1]].tolist())
    return x, y


def forecast_figure(history: pd.DataFrame | None, forecast: pd.DataFrame, *, title: str = "History and forecast",
                    interval_minutes: int | None = None) -> go.Figure:
    """Offered history (grey), forecast (blue) and its 10-90 % band (``lo``..``hi``) per interval.

    ``history``: History frame rows of one queue and channel (``interval_start, offered``) or None,
    on the forecast's grid (:func:`planner.forecast_runs.history_on_grid`); ``forecast``: Forecast
    frame rows of the same series. Rows of several series are summed. ``interval_minutes``
    names the grid on the y axis ("contacts per 30 minutes"). Where rows are missing for more
    than one interval (a centre closed at night and at weekends has no rows there) the lines
    and the band break instead of joining the evening to the next morning.
    """
    fig = go.Figure()
    if history is not None and len(history):
        hist = history.groupby("interval_start", as_index=False)["offered"].sum().sort_values("interval_start")
        hx, hy = gapped(hist["interval_start"], hist["offered"], interval_minutes=interval_minutes)
        fig.add_trace(go.Scatter(x=hx, y=hy, name="history (offered)", mode="lines", connectgaps=False,
                                 line=dict(color=HISTORY_COLOR, width=1)))
    fc = forecast.groupby("interval_start", as_index=False)[["forecast", "lo", "hi"]].sum().sort_values("interval_start")
    bx, by = _band(fc["interval_start"], fc["lo"], fc["hi"], interval_minutes=interval_minutes)
    fig.add_trace(go.Scatter(x=bx, y=by, fill="toself", fillcolor=BAND_COLOR, line=dict(width=0),
                             name="10-90% range", hoverinfo="skip"))
    fx, fy = gapped(fc["interval_start"], fc["forecast"], interval_minutes=interval_minutes)
    fig.add_trace(go.Scatter(x=fx, y=fy, name="forecast", mode="lines", connectgaps=False,
                             line=dict(color=FORECAST_COLOR, width=2)))
    per = f"contacts per {int(interval_minutes)} minutes" if interval_minutes else "contacts per interval"
    fig.update_layout(**LAYOUT, title=title, xaxis_title="interval start (local time)", yaxis_title=per)
    return fig


def requirements_heatmap(requirements: pd.DataFrame, *, channel: str, value: str = "required_agents") -> go.Figure:
    """Day (rows) x time of day (columns) heatmap of ``value`` for one channel, queues summed.

    ``value`` is ``required_agents`` (scheduled heads, net / (1 - shrinkage)) by default.
    """
    part = requirements[requirements["channel"] == channel]
    if part.empty:
        raise InputError(f"channel: {channel!r} is not in the requirements (has {sorted(requirements['channel'].unique())})")
    starts = pd.to_datetime(part["interval_start"])
    table = (
        part.assign(day=starts.dt.strftime("%a %Y-%m-%d"), date=starts.dt.normalize(), time=starts.dt.strftime("%H:%M"))
        .groupby(["date", "day", "time"], as_index=False)[value].sum()
        .pivot(index=["date", "day"], columns="time", values=value)
        .sort_index()
    )
    fig = go.Figure(go.Heatmap(z=table.to_numpy(dtype=float), x=list(table.columns),
                               y=[day for _date, day in table.index], colorscale="Blues",
                               colorbar=dict(title="agents"), hovertemplate="%{y} %{x}: %{z:.1f} agents<extra></extra>"))
    fig.update_layout(**LAYOUT, title=f"Required agents, {channel} (scheduled, after shrinkage)",
                      xaxis_title="time of day", yaxis=dict(autorange="reversed"))
    return fig


def coverage_figure(coverage: pd.DataFrame, *, channel: str) -> go.Figure:
    """Required vs scheduled (net of breaks) agents per interval for one channel, plus the gap.

    ``coverage``: ``interval_start, channel, required, scheduled``.
    """
    part = coverage[coverage["channel"] == channel].sort_values("interval_start")
    if part.empty:
        raise InputError(f"channel: {channel!r} is not in the coverage (has {sorted(coverage['channel'].unique())})")
    gap = part["scheduled"] - part["required"]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=part["interval_start"], y=gap, name="over (+) / under (-)",
                         marker_color=np.where(gap < -1e-6, REQUIRED_COLOR, "#98df8a").tolist(), opacity=0.6))
    fig.add_trace(go.Scatter(x=part["interval_start"], y=part["required"], name="required", mode="lines",
                             line=dict(color=REQUIRED_COLOR, shape="hv")))
    fig.add_trace(go.Scatter(x=part["interval_start"], y=part["scheduled"], name="scheduled (net of breaks)",
                             mode="lines", line=dict(color=SCHEDULED_COLOR, shape="hv")))
    fig.update_layout(**LAYOUT, title=f"Coverage vs requirement, {channel}", xaxis_title="interval start",
                      yaxis_title="agents", bargap=0)
    return fig


TIMELINE_ROW_PX = 22  # height of one agent's row in the shift timeline


def timeline_caption(roster: pd.DataFrame, *, day: str | pd.Timestamp | None = None, max_shifts: int | None = None) -> str:
    """What :func:`roster_timeline` draws for ``day``, in words: ``"all 120 shifts of Tue
    2025-06-03 (120 agents)"`` or ``"the first 60 of 120 shifts of Tue 2025-06-03, by start time"``."""
    if roster.empty:
        return "no shifts in the roster"
    dates = pd.to_datetime(roster["date"]).dt.normalize()
    chosen = pd.Timestamp(day).normalize() if day is not None else dates.min()
    on_day = roster[dates == chosen]
    total = len(on_day)
    if total == 0:
        return f"no shifts on {chosen:%a %Y-%m-%d}"
    if max_shifts is not None and total > max_shifts:
        return f"the first {max_shifts} of {total} shifts of {chosen:%a %Y-%m-%d}, by start time"
    return f"all {total} shifts of {chosen:%a %Y-%m-%d} ({on_day['agent_id'].nunique()} agents)"


def roster_timeline(roster: pd.DataFrame, activities: pd.DataFrame, *, day: str | pd.Timestamp | None = None,
                    max_shifts: int | None = None) -> go.Figure:
    """Shifts (one bar per agent) with their activities drawn over them, for one day.

    ``roster``: ``agent_id, date, shift_start, shift_end, channel``; ``activities``: ``agent_id,
    start, end, activity``. ``day`` (default: the roster's first date) selects the shifts of that
    date. Every shift is drawn (the figure is :data:`TIMELINE_ROW_PX` px per agent tall, its
    time axis on top) unless ``max_shifts`` limits it to the first ones by start; the title says
    which (:func:`timeline_caption`).
    """
    frame = roster.copy()
    frame["shift_start"] = pd.to_datetime(frame["shift_start"])
    frame["shift_end"] = pd.to_datetime(frame["shift_end"])
    frame["date"] = pd.to_datetime(frame["date"]).dt.normalize()
    if frame.empty:
        return empty_figure("No shifts in the roster")
    chosen = pd.Timestamp(day).normalize() if day is not None else frame["date"].min()
    shifts = frame[frame["date"] == chosen].sort_values(["shift_start", "agent_id"])
    if max_shifts is not None:
        shifts = shifts.head(max_shifts)
    if shifts.empty:
        return empty_figure(f"No shifts on {chosen:%a %Y-%m-%d}")
    agents = shifts["agent_id"].astype(str).drop_duplicates().tolist()
    fig = go.Figure()
    for channel, part in shifts.groupby("channel", sort=True):
        fig.add_trace(go.Bar(
            y=part["agent_id"].astype(str), x=(part["shift_end"] - part["shift_start"]).dt.total_seconds() * 1000,
            base=part["shift_start"], orientation="h", name=f"shift ({channel})",
            marker_color=CHANNEL_COLORS.get(str(channel), "#c7c7c7"),
            customdata=np.stack([part["shift_start"].dt.strftime("%H:%M"), part["shift_end"].dt.strftime("%H:%M")], axis=1),
            hovertemplate="%{y}: %{customdata[0]}-%{customdata[1]}<extra>" + str(channel) + "</extra>",
        ))
    acts = activities.copy()
    if len(acts):
        acts["start"] = pd.to_datetime(acts["start"])
        acts["end"] = pd.to_datetime(acts["end"])
        acts = acts[acts["agent_id"].astype(str).isin(agents) & (acts["start"].dt.normalize() >= chosen)
                    & (acts["start"] < chosen + pd.Timedelta(days=2))]
        windows = shifts.assign(agent_id=shifts["agent_id"].astype(str))[["agent_id", "shift_start", "shift_end"]]
        acts = acts.assign(agent_id=acts["agent_id"].astype(str)).merge(windows, on="agent_id")
        acts = acts[(acts["start"] >= acts["shift_start"]) & (acts["end"] <= acts["shift_end"])]
        for activity, part in acts.groupby("activity", sort=True):
            fig.add_trace(go.Bar(
                y=part["agent_id"], x=(part["end"] - part["start"]).dt.total_seconds() * 1000, base=part["start"],
                orientation="h", name=str(activity), width=0.5,
                marker_color=ACTIVITY_COLORS.get(str(activity), "#17becf"),
                hovertemplate="%{y}: " + str(activity) + "<extra></extra>",
            ))
    caption = timeline_caption(roster, day=chosen, max_shifts=max_shifts)
    height = max(300, TIMELINE_ROW_PX * len(agents) + 160)
    top, bottom = 130, 20  # title, legend and the time axis are on top, seen without scrolling a tall chart
    plot_px = height - top - bottom
    fig.update_layout(**{**LAYOUT, "margin": dict(l=60, r=20, t=top, b=bottom),
                         "legend": dict(orientation="h", x=0, y=1 + 52 / plot_px, yanchor="bottom")},
                      title=dict(text=f"Shifts and activities: {caption}", y=1 - 8 / height, yanchor="top"),
                      barmode="overlay", height=height,
                      xaxis=dict(type="date", title=None, side="top"),
                      yaxis=dict(categoryorder="array", categoryarray=agents[::-1], title="agent",
                                 range=[-0.6, len(agents) - 0.4]))
    return fig


def sl_curve_figure(curve: pd.DataFrame, *, target_sl: float | None = None, required: int | None = None,
                    answer_s: float | None = None) -> go.Figure:
    """Service level (and occupancy) against agents; the target as a line, the answer as a marker.

    ``curve``: ``agents, service_level, occupancy`` (shares) as :func:`planner.calculator.sl_curve`.
    """
    fig = go.Figure()
    label = f"service level ({answer_s:g} s)" if answer_s is not None else "service level"
    fig.add_trace(go.Scatter(x=curve["agents"], y=curve["service_level"], name=label, mode="lines+markers",
                             line=dict(color=FORECAST_COLOR)))
    fig.add_trace(go.Scatter(x=curve["agents"], y=curve["occupancy"], name="occupancy", mode="lines",
                             line=dict(color=HISTORY_COLOR, dash="dot")))
    if target_sl is not None:
        fig.add_hline(y=target_sl, line=dict(color=REQUIRED_COLOR, dash="dash"), annotation_text=f"target {target_sl:.0%}")
    if required is not None:
        hit = curve[curve["agents"] == required]
        if len(hit):
            fig.add_trace(go.Scatter(x=[required], y=[float(hit["service_level"].iloc[0])], name=f"needed: {required} agents",
                                     mode="markers", marker=dict(size=13, color=REQUIRED_COLOR, symbol="star")))
    fig.update_layout(**LAYOUT, title="Service level against agents", xaxis_title="agents (net, on the phones)",
                      yaxis=dict(title="share", tickformat=".0%", range=[0, 1.02]))
    return fig


SCENARIO_METRICS = (
    ("cost", "cost per week", ",.0f"),
    ("fte", "FTE", ",.1f"),
    ("service_level", "service level", ".1%"),
    ("cost_per_contact", "cost per contact", ",.2f"),
)


def scenario_bars(scenarios: pd.DataFrame) -> go.Figure:
    """Side-by-side bars of cost, FTE, service level and cost per contact, one bar per scenario.

    ``scenarios``: one tidy row per scenario (``name`` plus the metric columns present).
    """
    metrics = [(c, t, f) for c, t, f in SCENARIO_METRICS if c in scenarios]
    if scenarios.empty or not metrics:
        return empty_figure("No scenarios to compare")
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=[t for _c, t, _f in metrics])
    names = scenarios["name"].astype(str).tolist()
    for i, (column, title, fmt) in enumerate(metrics, start=1):
        values = scenarios[column].astype(float)
        fig.add_trace(go.Bar(x=names, y=values, name=title, showlegend=False,
                             text=[format(v, fmt) if np.isfinite(v) else "" for v in values], textposition="auto",
                             marker_color=FORECAST_COLOR if column != "service_level" else SCHEDULED_COLOR),
                      row=1, col=i)
        if column == "service_level":
            fig.update_yaxes(tickformat=".0%", row=1, col=i)
    fig.update_layout(**LAYOUT, height=380)
    fig.update_layout(title="Scenarios side by side", margin=dict(t=90))
    return fig


def frontier_figure(frontier: pd.DataFrame, *, budget: tuple[float, float] | None = None) -> go.Figure:
    """Weekly cost of reaching each service-level target (``target, cost, service_level``, and
    ``name`` or ``plan``: the plan behind the point; ``reached``: False for a target no plan
    reaches, drawn apart as a cross at the best level reached, not on the line).

    ``budget``: optional ``(cost, service_level)`` point of "what does budget X buy". A cost
    axis whose points differ by less than 1 % is widened to +-5 %, so equal costs look equal.
    """
    table = frontier.sort_values("target")
    reached = table["reached"].astype(bool) if "reached" in table else pd.Series(True, index=table.index)
    label = "name" if "name" in table else ("plan" if "plan" in table else None)
    on_line = table[reached]
    fig = go.Figure(go.Scatter(
        x=on_line["service_level"], y=on_line["cost"], mode="lines+markers+text", name="cheapest plan per target",
        text=[f"{t:.0%}" for t in on_line["target"]], textposition="top left",
        customdata=on_line[["target", label]].to_numpy() if label else None,
        hovertemplate="target %{customdata[0]:.0%}: SL %{x:.1%}, cost %{y:,.0f} (%{customdata[1]})<extra></extra>"
        if label else None,
    ))
    missed = table[~reached]
    if len(missed):
        fig.add_trace(go.Scatter(x=missed["service_level"], y=missed["cost"], mode="markers+text", name="unreachable target",
                                 text=[f"{t:.0%} unreachable" for t in missed["target"]], textposition="bottom right",
                                 marker=dict(size=12, symbol="x", color=REQUIRED_COLOR)))
    if budget is not None:
        fig.add_trace(go.Scatter(x=[budget[1]], y=[budget[0]], mode="markers", name="budget",
                                 marker=dict(size=14, symbol="diamond", color=REQUIRED_COLOR)))
    yaxis: dict = {"title": "cost per week"}
    costs = table["cost"].astype(float)
    if len(costs) and costs.max() > 0 and costs.max() - costs.min() < 0.01 * costs.max():
        yaxis["range"] = [0.95 * costs.min(), 1.05 * costs.max()]
    fig.update_layout(**LAYOUT, title="Service level vs cost", xaxis=dict(title="expected service level", tickformat=".0%"),
                      yaxis=yaxis)
    return fig


def intraday_figure(intervals: pd.DataFrame, *, channel: str, now: pd.Timestamp | None = None) -> go.Figure:
    """Today for one channel: forecast, actual, re-forecast with its 10-90 % range (top) and the
    staffing gap, scheduled minus required under the re-forecast (bottom).

    ``intervals``: :attr:`planner.intraday.IntradayResult.intervals` (``interval_start, channel,
    forecast, actual, reforecast, reforecast_lo, reforecast_hi, gap, seen``).
    """
    part = intervals[intervals["channel"] == channel].sort_values("interval_start")
    if part.empty:
        raise InputError(f"channel: {channel!r} is not in the intraday table (has {sorted(intervals['channel'].unique())})")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.06,
                        subplot_titles=("contacts per interval", "staffing gap (scheduled - required)"))
    rest = part[~part["seen"].astype(bool)]
    if len(rest):
        x = pd.concat([rest["interval_start"], rest["interval_start"][::-1]])
        y = pd.concat([rest["reforecast_hi"], rest["reforecast_lo"][::-1]])
        fig.add_trace(go.Scatter(x=x, y=y, fill="toself", fillcolor="rgba(255, 127, 14, 0.2)", line=dict(width=0),
                                 name="re-forecast 10-90%", hoverinfo="skip"), row=1, col=1)
        fig.add_trace(go.Scatter(x=rest["interval_start"], y=rest["reforecast"], name="re-forecast", mode="lines",
                                 line=dict(color="#ff7f0e", width=2)), row=1, col=1)
    fig.add_trace(go.Scatter(x=part["interval_start"], y=part["forecast"], name="forecast (plan)", mode="lines",
                             line=dict(color=FORECAST_COLOR, dash="dash")), row=1, col=1)
    fig.add_trace(go.Scatter(x=part["interval_start"], y=part["actual"], name="actual", mode="lines+markers",
                             line=dict(color="black"), marker=dict(size=4)), row=1, col=1)
    gap = part["gap"].astype(float)
    fig.add_trace(go.Bar(x=part["interval_start"], y=gap, name="gap", showlegend=False,
                         marker_color=np.where(gap < -1e-6, REQUIRED_COLOR, SCHEDULED_COLOR).tolist()), row=2, col=1)
    if now is not None:
        fig.add_vline(x=pd.Timestamp(now), line=dict(color="#555", dash="dot"))
    fig.update_layout(**LAYOUT, title=f"Intraday, {channel}", height=520, bargap=0)
    return fig


def replan_figure(projection: pd.DataFrame) -> go.Figure:
    """Projected service level per remaining interval, unchanged roster (dashed) vs the
    proposal (solid), one colour per channel, with each channel's target (dotted).

    ``projection``: :attr:`scheduling.intraday.ReplanResult.projection` (``interval_start,
    channel, sl_before, sl_after, target_sl``).
    """
    if projection.empty:
        return empty_figure("Nothing left to re-plan today")
    fig = go.Figure()
    colours = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"]
    for i, (channel, part) in enumerate(projection.sort_values("interval_start").groupby("channel", sort=True)):
        colour = colours[i % len(colours)]
        fig.add_trace(go.Scatter(x=part["interval_start"], y=part["sl_before"], name=f"{channel}: unchanged", mode="lines",
                                 line=dict(color=colour, dash="dash", width=1.5)))
        fig.add_trace(go.Scatter(x=part["interval_start"], y=part["sl_after"], name=f"{channel}: proposal", mode="lines",
                                 line=dict(color=colour, width=2.5)))
        fig.add_hline(y=float(part["target_sl"].iloc[0]), line=dict(color=colour, dash="dot", width=1))
    fig.update_layout(**LAYOUT, title="Projected service level, rest of the day", yaxis=dict(tickformat=".0%", range=[0, 1.02]),
                      xaxis_title="interval start")
    return fig


def capacity_figure(weekly: pd.DataFrame, *, channel: str) -> go.Figure:
    """Required vs available FTE per week for one channel, with new hires starting as bars.

    ``weekly``: :attr:`planner.capacity_plan.CapacityResult.weekly` (``week, channel, required_fte,
    available_fte, hires_starting``).
    """
    part = weekly[weekly["channel"] == channel].sort_values("week")
    if part.empty:
        raise InputError(f"channel: {channel!r} is not in the capacity plan (has {sorted(weekly['channel'].unique())})")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=part["week"], y=part["hires_starting"], name="hires starting", marker_color="#c7c7c7",
                         opacity=0.7), secondary_y=True)
    fig.add_trace(go.Scatter(x=part["week"], y=part["required_fte"], name="required FTE", mode="lines+markers",
                             line=dict(color=REQUIRED_COLOR)))
    fig.add_trace(go.Scatter(x=part["week"], y=part["available_fte"], name="available FTE (after attrition, training, ramp)",
                             mode="lines+markers", line=dict(color=SCHEDULED_COLOR)))
    fig.update_layout(**LAYOUT, title=f"Capacity plan by week, {channel}", xaxis_title="week starting")
    fig.update_yaxes(title_text="FTE", secondary_y=False)
    fig.update_yaxes(title_text="hires", secondary_y=True, showgrid=False)
    return fig


def capacity_cost_figure(monthly: pd.DataFrame) -> go.Figure:
    """Cost per calendar month, one stacked bar per channel (``total_cost``: staff, trainees and
    hiring), for finance.

    ``monthly``: :attr:`planner.capacity_plan.CapacityResult.monthly` (``month, channel, total_cost``).

    Example:
        >>> m = pd.DataFrame({"month": ["2025-06", "2025-06", "2025-07"], "channel": ["voice", "chat", "voice"],
        ...                   "total_cost": [100.0, 40.0, 110.0]})
        >>> [(t.name, list(t.y)) for t in capacity_cost_figure(m).data]
        [('chat', [40.0, 0.0]), ('voice', [100.0, 110.0])]
    """
    if monthly.empty:
        return empty_figure("No months in the capacity plan")
    table = monthly.pivot_table(index="month", columns="channel", values="total_cost", aggfunc="sum", fill_value=0.0)
    table = table.sort_index()
    months = [pd.Timestamp(f"{m}-01").strftime("%b %Y") for m in table.index]
    fig = go.Figure()
    for channel in sorted(table.columns):
        fig.add_trace(go.Bar(x=months, y=table[channel].astype(float).tolist(), name=str(channel),
                             marker_color=CHANNEL_COLORS.get(str(channel))))
    fig.update_layout(**LAYOUT, title="Cost per month (staff, trainees and hiring)", barmode="stack",
                      xaxis_title="month", yaxis=dict(title="cost per month", tickformat=",.0f"))
    return fig
