"""Database functions the reports need that Django does not ship: percentiles and durations in seconds.

PostgreSQL has ``PERCENTILE_CONT``; SQLite (the embedded default) does not, so ``register_sqlite``
adds an aggregate with the same definition (linear interpolation between the two nearest ranks) to
every SQLite connection. Either way the database does the work: reports never load rows into Python.
"""

from __future__ import annotations

import math

from django.db.models import Aggregate, DecimalField, FloatField, Func


class Percentile(Aggregate):
    """The continuous percentile of an expression, e.g. ``Percentile("total", 0.5)`` for the median."""

    name = "Percentile"
    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("A percentile's fraction is between 0 and 1.")
        self.fraction = float(fraction)
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        extra_context.setdefault("fraction", repr(self.fraction))
        return super().as_sql(compiler, connection, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        # Our own aggregate (see register_sqlite), with the fraction as its second argument.
        return self.as_sql(
            compiler,
            connection,
            function="ALLIANCE_PERCENTILE",
            template="%(function)s(%(expressions)s, %(fraction)s)",
            **extra_context,
        )


def Median(expression, **extra) -> Percentile:
    return Percentile(expression, 0.5, **extra)


class SecondsBetween(Func):
    """``end - start`` in seconds, as a float (NULL when either is NULL)."""

    output_field = FloatField()
    arity = 2

    def __init__(self, start, end, **extra):
        super().__init__(start, end, **extra)

    def _operands(self, compiler):
        (start_sql, start_params), (end_sql, end_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        return start_sql, end_sql, (*end_params, *start_params)

    def as_postgresql(self, compiler, connection, **extra_context):
        start, end, params = self._operands(compiler)
        return f"EXTRACT(EPOCH FROM ({end} - {start}))::float", params

    def as_sqlite(self, compiler, connection, **extra_context):
        start, end, params = self._operands(compiler)
        return f"((julianday({end}) - julianday({start})) * 86400.0)", params


class _SqlitePercentile:
    """``ALLIANCE_PERCENTILE(value, fraction)``: PERCENTILE_CONT for SQLite, ignoring NULLs."""

    def __init__(self):
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value, fraction):
        if value is not None:
            self.values.append(float(value))
        if fraction is not None:
            self.fraction = float(fraction)

    def finalize(self):
        if not self.values:
            return None
        ordered = sorted(self.values)
        position = self.fraction * (len(ordered) - 1)
        low, high = math.floor(position), math.ceil(position)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def register_sqlite(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: teach each new SQLite connection our percentile aggregate."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("ALLIANCE_PERCENTILE", 2, _SqlitePercentile)


class HoursBetween(Func):
    """``end - start`` in hours, rounded to two decimal places (NULL when either is NULL)."""

    arity = 2

    def __init__(self, start, end, **extra):
        super().__init__(start, end, output_field=DecimalField(max_digits=12, decimal_places=2), **extra)

    def _operands(self, compiler):
        (start_sql, start_params), (end_sql, end_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        return start_sql, end_sql, (*end_params, *start_params)

    def as_postgresql(self, compiler, connection, **extra_context):
        start, end, params = self._operands(compiler)
        return f"ROUND((EXTRACT(EPOCH FROM ({end} - {start})) / 3600)::numeric, 2)", params

    def as_sqlite(self, compiler, connection, **extra_context):
        start, end, params = self._operands(compiler)
        return f"ROUND((julianday({end}) - julianday({start})) * 24.0, 2)", params
