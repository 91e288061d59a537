"""Server-side SVG charts for the staff dashboard: ``{% load helpdesk_charts %}{% hdt_chart chart %}``.

This module only does geometry and wording: it turns a
:class:`helpdesk_tickets.charts.Chart` into coordinates and localised
labels, and ``helpdesk_tickets/staff/charts/chart.html`` draws them (so every
text goes through the template's escaping). The charts read without
JavaScript: a ``<title>`` and ``<desc>`` for screen readers, a ``<title>``
on every bar and point, and the same figures as a table under the chart.
In a right-to-left language the time axis runs from right to left and the
value axis stands on the right; in Persian the digits are Persian and the
days Jalali (``JALALI_DATES``).
"""

import math
from datetime import timedelta

from django import template
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _

from ..charts import COUNT, DURATION, PERCENT
from .helpdesk_staff import hdt_staff_duration
from .helpdesk_tickets import _jalali_date_text, localize_digits, use_jalali

register = template.Library()

WIDTH, HEIGHT = 640, 240
MARGIN_AXIS, MARGIN_END, MARGIN_TOP, MARGIN_BOTTOM = 48, 12, 28, 36
TICKS = 4
MAX_X_LABELS = 8
MAX_LABEL_LENGTH = 16

# (unit name, seconds) for a duration axis: the largest that keeps the top tick at 2 or more.
_DURATION_UNITS = ((86400, "days"), (3600, "hours"), (60, "minutes"))


def _nice_top(value):
    """The top of an axis of :data:`TICKS` whole steps that holds ``value``: each step 1, 2 or 5 × 10ⁿ."""
    wanted = max(value, 1) / TICKS
    power = 10 ** max(0, math.floor(math.log10(wanted)))
    for step in (1, 2, 5, 10):
        if wanted <= step * power:
            return step * power * TICKS
    return 10 * power * TICKS  # pragma: no cover - the loop always returns


def _axis(unit, top_value):
    """``(scale, top, axis title)``: values are divided by ``scale`` and drawn up to ``top``."""
    if unit == PERCENT:
        return 1, 100, _("percent")
    if unit == DURATION:
        for seconds, name in _DURATION_UNITS:
            if top_value >= 2 * seconds or seconds == 60:
                titles = {"days": _("days"), "hours": _("hours"), "minutes": _("minutes")}
                return seconds, _nice_top(top_value / seconds), titles[name]
    return 1, _nice_top(top_value), ""


def _number(value):
    if value == int(value):
        return localize_digits(int(value))
    return localize_digits(number_format(value, 1))


def format_value(unit, value):
    """A value as a reader sees it: ``12``, ``1 h 5 min``, ``67%``; ``—`` for none."""
    if value is None:
        return "—"
    if unit == DURATION:
        return hdt_staff_duration(timedelta(seconds=value))
    if unit == PERCENT:
        # Translators: a percentage; Persian writes it "۶۷٪".
        return localize_digits(_("%(percent)d%%") % {"percent": round(value)})
    return _number(value)


def day_label(day):
    """A short day for the time axis: ``12 Azar`` style in Jalali (Persian digits in fa), ``Dec 3`` otherwise."""
    if use_jalali():
        day_text, month, _year = _jalali_date_text(day).split(" ")
        return localize_digits(f"{day_text} {month}")
    return localize_digits(date_format(day, "M j"))


def _shorten(text):
    text = str(text)
    return text if len(text) <= MAX_LABEL_LENGTH else text[: MAX_LABEL_LENGTH - 1] + "…"


def geometry(chart):
    """Everything the template draws, in SVG user units (see the module docstring)."""
    rtl = get_language_bidi()
    categories = (
        [day_label(day) for day in chart.days]
        if chart.days
        else [_shorten(localize_digits(label)) for label in chart.labels]
    )
    full_categories = (
        [day_label(day) for day in chart.days] if chart.days else [localize_digits(label) for label in chart.labels]
    )
    count = max(len(categories), 1)
    values = [value for series in chart.series for value in series.values if value is not None]
    scale, top, axis_title = _axis(chart.unit, max(values, default=0))
    plot_width = WIDTH - MARGIN_AXIS - MARGIN_END
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    band = plot_width / count
    baseline = MARGIN_TOP + plot_height

    def x_of(position, fraction=0.5):
        offset = (position + fraction) * band
        return round(WIDTH - MARGIN_AXIS - offset if rtl else MARGIN_AXIS + offset, 2)

    def y_of(value):
        return round(baseline - plot_height * min(value / scale, top) / top, 2)

    axis_x = WIDTH - MARGIN_AXIS if rtl else MARGIN_AXIS
    y_ticks = []
    for step in range(TICKS + 1):
        tick = top * step / TICKS
        y = round(baseline - plot_height * step / TICKS, 2)
        y_ticks.append({"y": y, "label": _number(tick), "text_x": axis_x + (6 if rtl else -6)})

    every = max(1, math.ceil(count / MAX_X_LABELS))
    x_labels = [
        {"x": x_of(position), "label": label}
        for position, label in enumerate(categories)
        if position % every == 0 or position == count - 1 and count <= MAX_X_LABELS
    ]

    bars, lines = [], []
    if chart.kind == "bars":
        width = band * 0.8 / max(len(chart.series), 1)
        for index, series in enumerate(chart.series):
            for position, value in enumerate(series.values):
                if not value:
                    continue
                # Series side by side within the day's band, in reading order.
                start = 0.1 + index * 0.8 / len(chart.series)
                x_edge = x_of(position, start + (0.8 / len(chart.series) if rtl else 0))
                y = y_of(value)
                bars.append(
                    {
                        "series": index,
                        "x": x_edge,
                        "y": y,
                        "width": round(width, 2),
                        "height": round(baseline - y, 2),
                        "title": f"{full_categories[position]} · {series.label}: {format_value(chart.unit, value)}",
                    }
                )
    else:
        for index, series in enumerate(chart.series):
            segments, current, points = [], [], []
            for position, value in enumerate(series.values):
                if value is None:
                    if current:
                        segments.append(current)
                    current = []
                    continue
                point = {
                    "x": x_of(position),
                    "y": y_of(value),
                    "title": f"{full_categories[position]} · {series.label}: {format_value(chart.unit, value)}",
                }
                current.append(point)
                points.append(point)
            if current:
                segments.append(current)
            lines.append(
                {
                    "series": index,
                    "paths": [" ".join(f"{p['x']},{p['y']}" for p in segment) for segment in segments],
                    "points": points,
                }
            )

    table = [
        {
            "label": full_categories[position],
            "values": [format_value(chart.unit, s.values[position]) for s in chart.series],
        }
        for position in range(len(full_categories))
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "rtl": rtl,
        "axis_x": axis_x,
        "plot_start": MARGIN_AXIS if not rtl else MARGIN_END,
        "plot_end": WIDTH - MARGIN_END if not rtl else WIDTH - MARGIN_AXIS,
        "baseline": baseline,
        "top": MARGIN_TOP,
        "label_y": baseline + 18,
        "axis_title": axis_title,
        "axis_title_x": axis_x,
        "axis_title_y": MARGIN_TOP - 12,
        "y_ticks": y_ticks,
        "x_labels": x_labels,
        "bars": bars,
        "lines": lines,
        "table": table,
    }


@register.inclusion_tag("helpdesk_tickets/staff/charts/chart.html")
def hdt_chart(chart):
    """Draw ``chart`` (a :class:`helpdesk_tickets.charts.Chart`) as an inline SVG with its data table."""
    return {"chart": chart, "g": geometry(chart)}


@register.filter
def hdt_chart_value(value, unit=COUNT):
    """A figure in the charts' words (``hdt_chart_value:"percent"``)."""
    return format_value(unit, value)
