"""How dates and times are written in English (British). Templates name these, e.g.
``{{ when|date:"SHORT_DAY_TIME_FORMAT" }}``; each language's module says how it writes them
(Django looks here first, ``FORMAT_MODULE_PATH``, then in its own formats for the language)."""

DATE_FORMAT = "j F Y"  # 1 December 2026
MONTH_DAY_FORMAT = "j F"  # 1 December
SHORT_DAY_FORMAT = "j M Y"  # 1 Dec 2026
SHORT_DAY_MONTH_FORMAT = "j M"  # 1 Dec
SHORT_DAY_TIME_FORMAT = "j M Y, H:i"  # 1 Dec 2026, 14:30
SHORT_DAY_TIME_SECONDS_FORMAT = "j M Y, H:i:s"
SHORT_DAY_MONTH_TIME_FORMAT = "j M, H:i"
SHORT_WEEKDAY_DAY_MONTH_FORMAT = "D j M"  # Tue 1 Dec
SHORT_WEEKDAY_DAY_MONTH_TIME_FORMAT = "D j M, H:i"
SHORT_WEEKDAY_DAY_TIME_FORMAT = "D j M Y, H:i"
CLOCK_FORMAT = "H:i"  # 14:30
DAY_TIME_FORMAT = "j F Y, H:i"
DAY_MONTH_TIME_FORMAT = "j F, H:i"
WEEKDAY_DAY_FORMAT = "l j F"  # Tuesday 1 December
WEEKDAY_DAY_YEAR_FORMAT = "l j F Y"
WEEKDAY_DAY_TIME_FORMAT = "l j F, H:i"
WEEKDAY_DAY_YEAR_TIME_FORMAT = "l j F Y, H:i"
WEEKDAY_TIME_FORMAT = "l H:i"  # Tuesday 14:30
MONTH_YEAR_FORMAT = "M Y"  # Dec 2026
CHART_DAY_FORMAT = "d M Y"  # under a chart: 05 Dec 2026
