"""How dates and times are written in Spanish: the same names as ``config/formats/en``."""

DATE_FORMAT = r"j \d\e F \d\e Y"  # 1 de diciembre de 2026
MONTH_DAY_FORMAT = r"j \d\e F"  # 1 de diciembre
SHORT_DAY_FORMAT = "j/n/Y"  # 1/12/2026 (Django writes "M" as "Dic": numbers read better)
SHORT_DAY_MONTH_FORMAT = "j/n"
SHORT_DAY_TIME_FORMAT = "j/n/Y, H:i"
SHORT_DAY_TIME_SECONDS_FORMAT = "j/n/Y, H:i:s"
SHORT_DAY_MONTH_TIME_FORMAT = "j/n, H:i"
SHORT_WEEKDAY_DAY_MONTH_FORMAT = "D j/n"
SHORT_WEEKDAY_DAY_MONTH_TIME_FORMAT = "D j/n, H:i"
SHORT_WEEKDAY_DAY_TIME_FORMAT = "D j/n/Y, H:i"
CLOCK_FORMAT = "H:i"
DAY_TIME_FORMAT = r"j \d\e F \d\e Y, H:i"
DAY_MONTH_TIME_FORMAT = r"j \d\e F, H:i"
WEEKDAY_DAY_FORMAT = r"l j \d\e F"  # martes 1 de diciembre
WEEKDAY_DAY_YEAR_FORMAT = r"l j \d\e F \d\e Y"
WEEKDAY_DAY_TIME_FORMAT = r"l j \d\e F, H:i"
WEEKDAY_DAY_YEAR_TIME_FORMAT = r"l j \d\e F \d\e Y, H:i"
WEEKDAY_TIME_FORMAT = r"l \a \l\a\s H:i"  # miércoles a las 14:00
MONTH_YEAR_FORMAT = r"F \d\e Y"  # diciembre de 2026
CHART_DAY_FORMAT = "j/n/Y"  # under a chart: 5/12/2026
