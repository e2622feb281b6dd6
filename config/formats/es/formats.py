"""How dates and times are written in Spanish: the same names as ``config/formats/en``."""

DATE_FORMAT = r"j \d\e F \d\e Y"  # 1 de diciembre de 2026
MONTH_DAY_FORMAT = r"j \d\e F"  # 1 de diciembre
SHORT_DAY_FORMAT = "j M Y"  # 1 dic 2026
SHORT_DAY_MONTH_FORMAT = "j M"
SHORT_DAY_TIME_FORMAT = "j M Y, H:i"
SHORT_DAY_TIME_SECONDS_FORMAT = "j M Y, H:i:s"
SHORT_DAY_MONTH_TIME_FORMAT = "j M, H:i"
SHORT_WEEKDAY_DAY_MONTH_FORMAT = "D j M"
SHORT_WEEKDAY_DAY_MONTH_TIME_FORMAT = "D j M, H:i"
SHORT_WEEKDAY_DAY_TIME_FORMAT = "D j M Y, H:i"
CLOCK_FORMAT = "H:i"
DAY_TIME_FORMAT = r"j \d\e F \d\e Y, H:i"
DAY_MONTH_TIME_FORMAT = r"j \d\e F, H:i"
WEEKDAY_DAY_FORMAT = r"l j \d\e F"  # martes 1 de diciembre
WEEKDAY_DAY_YEAR_FORMAT = r"l j \d\e F \d\e Y"
WEEKDAY_DAY_TIME_FORMAT = r"l j \d\e F, H:i"
WEEKDAY_DAY_YEAR_TIME_FORMAT = r"l j \d\e F \d\e Y, H:i"
WEEKDAY_TIME_FORMAT = "l H:i"
MONTH_YEAR_FORMAT = "M Y"
