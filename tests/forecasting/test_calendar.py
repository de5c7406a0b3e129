from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from forecasting.calendar import (BRIDGE, EVE, HOLIDAY, REGULAR, SPECIAL, Calendar, OpeningHours,
                                  SpecialDay, learn_opening_hours, read_special_days)


def test_us_holidays_and_no_eves():
    cal = Calendar(country="us")
    kinds = cal.day_kinds(pd.to_datetime(["2003-07-03", "2003-07-04", "2003-10-13"]))
    assert kinds.tolist() == [REGULAR, HOLIDAY, HOLIDAY]  # no eves outside EVE_COUNTRIES
    assert cal.holidays(["2003-07-04"]) == {dt.date(2003, 7, 4): "Independence Day"}


def test_israeli_holidays_have_eves():
    cal = Calendar(country="IL")
    kinds = cal.day_kinds(pd.date_range("1999-09-19", "1999-09-25"))
    # Sun 19 eve of Yom Kippur, Mon 20 Yom Kippur, Fri 24 eve of Sukkot, Sat 25 Sukkot
    assert kinds.tolist() == [EVE, HOLIDAY, REGULAR, REGULAR, REGULAR, EVE, HOLIDAY]


def test_intraday_kinds_add_bridge_days_and_leave_the_forecasts_kinds_alone():
    il = Calendar(country="IL")
    week = pd.date_range("1999-09-23", "1999-10-01")  # Thu .. Fri: eve, Sukkot, Chol HaMoed Sun-Thu, eve
    assert il.intraday_kinds(week).tolist() == [REGULAR, EVE, HOLIDAY] + [BRIDGE] * 5 + [EVE]
    assert il.day_kinds(week).tolist() == [REGULAR, EVE, HOLIDAY] + [REGULAR] * 5 + [EVE]
    us = Calendar(country="US")
    # Thanksgiving Thu 27, the Friday after it is a bridge to the weekend; Wed 26 and Mon 1 are not
    dates = pd.to_datetime(["2003-11-26", "2003-11-27", "2003-11-28", "2003-12-01", "2003-07-03"])
    assert us.intraday_kinds(dates).tolist() == [REGULAR, HOLIDAY, BRIDGE, REGULAR, REGULAR]
    assert Calendar().intraday_kinds(dates).tolist() == [REGULAR] * 5


def test_special_days_override_holidays_and_carry_multipliers(tmp_path):
    path = tmp_path / "special.csv"
    path.write_text("date,label,effect\n2003-07-04,open anyway,0.5\n2003-07-07,fire drill,closed\n")
    days = read_special_days(path)
    assert days == (SpecialDay(dt.date(2003, 7, 4), "open anyway", False, 0.5),
                    SpecialDay(dt.date(2003, 7, 7), "fire drill", True, 0.0))
    cal = Calendar(country="US", special_days=days)
    dates = pd.to_datetime(["2003-07-04", "2003-07-07", "2003-07-08"])
    assert cal.day_kinds(dates).tolist() == [SPECIAL, SPECIAL, REGULAR]
    assert cal.special_multipliers(dates).tolist() == [0.5, 0.0, 1.0]


@pytest.mark.parametrize("body, message", [
    ("date,label,effect\n2024-13-01,x,closed\n", r"row 2: date '2024-13-01'"),
    ("date,label,effect\n2024-12-24,eve,lots\n", r"row 2: effect 'lots'"),
    ("date,label,effect\n2024-12-24,eve,-1\n", r"row 2: effect -1.0"),
    ("day,label,effect\n2024-12-24,eve,1\n", r"lacks column\(s\) \['date'\]"),
])
def test_special_days_errors_name_row_and_value(tmp_path, body, message):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(ValueError, match=message):
        read_special_days(path)


def test_unknown_country_is_named():
    with pytest.raises(ValueError, match="'XX'"):
        Calendar(country="XX")


def test_opening_hours_text():
    hours = OpeningHours.parse("Mon-Fri 07:00-21:00; Sat 09:00-13:00", interval_minutes=30)
    assert hours.mask[0].sum() == 28 and hours.mask[5].sum() == 8 and hours.mask[6].sum() == 0
    ts = pd.to_datetime(["2024-01-06 08:30", "2024-01-06 09:00", "2024-01-07 10:00"])
    assert hours.is_open(pd.DatetimeIndex(ts)).tolist() == [False, True, False]
    with pytest.raises(ValueError, match="'Mon-Fri 9-8'"):
        OpeningHours.parse("Mon-Fri 9-8", interval_minutes=30)


def test_opening_hours_learned_from_us_bank(us_history):
    s = us_history.set_index("interval_start")["offered"].resample("30min").sum(min_count=1)
    hours = learn_opening_hours(s.to_numpy(dtype=float), s.index, interval_minutes=30)
    # the US bank answers weekdays 07:00-21:00 (the 21:00 half hour has one 5-minute row)
    assert hours.mask[:5, 14:43].all() and not hours.mask[:5, :14].any()
    assert not hours.mask[5:].any()


def test_missing_values_do_not_open_or_close():
    ts = pd.date_range("2024-01-01", periods=14 * 24, freq="60min")
    y = np.where(ts.hour >= 8, 5.0, 0.0)
    y[ts.hour == 12] = np.nan  # never observed at noon: closed, not guessed
    mask = learn_opening_hours(y, ts, interval_minutes=60).mask
    assert mask[:, 8].all() and not mask[:, 12].any() and not mask[:, 3].any()
