"""Statistics only: forecasting models, calendar, backtests and model selection.

The entry point is :func:`forecast_frame` (history frame in, forecast frame out, with the
chosen model and backtest table per series). Models share one contract (:mod:`.models`),
the calendar lives in :mod:`.calendar`, metrics in :mod:`.metrics`, backtests in
:mod:`.backtest`. This package never imports ``planner`` or ``scheduling``.
"""

from __future__ import annotations

from forecasting.api import (AUTO_CANDIDATES, ForecastResult, SeriesForecast, aggregate, forecast_frame,
                             reconcile_to_daily)
from forecasting.calendar import Calendar, OpeningHours, SpecialDay, read_special_days
from forecasting.models import MODELS, make_model

__all__ = ["forecast_frame", "ForecastResult", "SeriesForecast", "aggregate", "reconcile_to_daily",
           "AUTO_CANDIDATES", "Calendar", "OpeningHours", "SpecialDay", "read_special_days",
           "MODELS", "make_model"]
