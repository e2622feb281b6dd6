#!/usr/bin/env python
"""A CSV export of 1,000,000 answered items, against psql's \\copy of the same rows: time and memory.

    .venv/bin/python bench/export.py [--rows 1000000] [--small 10000] [--repeat 2] [--xlsx-rows 1000000]

What it does, in one run, on PostgreSQL (BENCH_PG, default postgres://postgres@127.0.0.1:5432):
1. builds a fresh database (BENCH_DB, default ``alliance_reports_bench``), migrates it, makes one clinic
   with 200 patients and two clinicians, and inserts R/4 appointments, R/4 check-in responses and R
   answered items with SQL (INSERT … SELECT generate_series), spread over 2025. The first --small
   rows belong to the second clinician, so a clinician filter picks exactly that many;
2. the floor: ``psql -c "\\copy (SELECT …) TO file CSV"`` of the export's own query, the same rows
   and columns in the same order, with no formatting, no pseudonyms and no neutralising;
3. ours, in a fresh Python process: first what the web request does (``export_create``: validate,
   count the rows for the progress bar, record the export; timed and shown separately), then the
   Celery task's code path, ``export_run``, which is the time compared: the permission check, the
   rows through the ORM's server-side cursor, neutralised, pseudonymised and formatted in Python,
   progress written to the export's row as it goes, the file written and renamed into place;
4. the same at --small rows, to show memory does not grow with the rows;
5. XLSX through the same task (openpyxl's write-only workbook), at --xlsx-rows rows. Reported only.

Times are the best of --repeat runs (the first warms PostgreSQL's cache for both sides alike). Peak
memory is the task process's maximum resident set size (``ru_maxrss``), Django and all. Targets: ours
within 10 × the \\copy time, peak memory under 150 MB, and flat: the 1,000,000-row peak within 10 MB
of the 10,000-row one. The exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB", "alliance_reports_bench")
TIME_TARGET, MEMORY_TARGET_MB, MEMORY_GROWTH_MB = 10, 150, 10

SEED = """
import os
from django.db import connection
from alliance.instruments import builtin_sync
from alliance.models import Instrument, InstrumentVersion
from patients.models import Clinic, ClinicAdmin, Clinician, Patient, User

rows, small = int(os.environ["BENCH_ROWS"]), int(os.environ["BENCH_SMALL"])
builtin_sync(Instrument, InstrumentVersion)
clinic = Clinic.objects.create(name="Bench clinic", timezone="Europe/London")
admin = User.objects.create(email="admin@bench.test", full_name="Bench Admin")
ClinicAdmin.objects.create(user=admin, clinic=clinic)
first, second = (
    Clinician.objects.create(user=User.objects.create(email=f"c{n}@bench.test", full_name=f"C {n}"), clinic=clinic)
    for n in (1, 2)
)
patients = [
    Patient.objects.create(user=User.objects.create(email=f"p{n}@bench.test", full_name=f"Patient {n}"), clinic=clinic)
    for n in range(200)
]
version = InstrumentVersion.objects.filter(instrument__key="alliance-checkin").order_by("-number").first()
responses = rows // 4
with connection.cursor() as cursor:
    cursor.execute("CREATE TEMP TABLE bench_patients (n int PRIMARY KEY, patient_id bigint, user_id bigint)")
    cursor.executemany(
        "INSERT INTO bench_patients VALUES (%s, %s, %s)", [(n, p.pk, p.user_id) for n, p in enumerate(patients)]
    )
    cursor.execute(
        '''
        INSERT INTO care_sessions_caresession
            (starts_at, duration_minutes, mode, status, cancelled_reason, created_at, updated_at, clinician_id,
             patient_id)
        SELECT timestamptz '2025-01-01 09:00+00' + g * interval '2 minutes', 45, 'in_person', 'done', '',
               now(), now(), CASE WHEN g <= %s THEN %s ELSE %s END, bp.patient_id
        FROM generate_series(1, %s) g JOIN bench_patients bp ON bp.n = g %% 200
        ORDER BY g
        ''',
        [small // 4, second.pk, first.pk, responses],
    )
    cursor.execute(
        '''
        INSERT INTO alliance_response
            (respondent_role, submitted_at, total, subscales, care_session_id, instrument_id, patient_id,
             respondent_id, version_id)
        SELECT 'patient', s.starts_at - interval '2 hours', 28 + (s.id %% 9),
               '{"bond": "7.00", "goals": "7.00", "tasks": "7.00", "overall": "7.00"}'::jsonb,
               s.id, %s, s.patient_id, bp.user_id, %s
        FROM care_sessions_caresession s JOIN bench_patients bp ON bp.patient_id = s.patient_id
        ORDER BY s.id
        ''',
        [version.instrument_id, version.pk],
    )
    cursor.execute(
        '''
        INSERT INTO alliance_answer (response_id, item_key, value)
        SELECT r.id, k.key, (r.id + k.n) % 11
        FROM alliance_response r
        CROSS JOIN (VALUES (1, 'relationship'), (2, 'goals'), (3, 'approach'), (4, 'overall')) AS k(n, key)
        ORDER BY r.id, k.n
        '''
    )
    cursor.execute("ANALYZE")
    cursor.execute("SELECT count(*) FROM alliance_answer")
    print("answered items:", cursor.fetchone()[0])
"""

# Run in a fresh process: the export task's own code, then the process's peak memory.
RUN = """
import json, os, resource, time
from datetime import date
import django
django.setup()
from alliance.selectors.filters import DataFilters
from alliance.services import exports
from patients.models import Clinician, User

exports.export_dispatch = lambda *, export_id: None  # this process is the worker
admin = User.objects.get(email="admin@bench.test")
clinician = None
if os.environ["BENCH_FILTER"] == "small":
    clinician = Clinician.objects.get(user__email="c2@bench.test")
filters = DataFilters(
    clinic=admin.clinic_admin.clinic, date_from=date(2025, 1, 1), date_to=date(2025, 12, 31), clinician=clinician
)
# What the web request does (validate, count the rows for the progress bar, record), then the task.
started = time.perf_counter()
export = exports.export_create(
    user=admin, dataset="checkin_answers", fmt=os.environ["BENCH_FORMAT"], identified=False, purpose="",
    filters=filters,
)
request_seconds = time.perf_counter() - started
assert export.delivery == "file", export.delivery
started = time.perf_counter()
outcome = exports.export_run(export_id=export.pk)
seconds = time.perf_counter() - started
path = exports.export_root() / outcome.export.file_path
print(json.dumps({
    "seconds": seconds, "request_seconds": request_seconds, "rows": outcome.export.rows_written,
    "status": outcome.export.status, "bytes": path.stat().st_size,
    "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}))
path.unlink()
"""

# The floor's query: the export's own SELECT, unformatted, with its parameters filled in.
FLOOR_SQL = """
from datetime import date
from django.db import connection
from alliance.exports import DATASETS, ExportContext
from alliance.selectors.filters import DataFilters
from patients.models import Clinic

clinic = Clinic.objects.get(name="Bench clinic")
filters = DataFilters(clinic=clinic, date_from=date(2025, 1, 1), date_to=date(2025, 12, 31))
dataset = DATASETS["checkin_answers"](ExportContext(filters=filters, identified=False))
sql, params = dataset.values().query.sql_with_params()
with connection.cursor() as cursor:
    print(cursor.mogrify(sql, params).decode().replace("\\n", " "))
"""


def environ(export_root: str) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"{PG}/{DB_NAME}",
        SECRET_KEY=env.get("SECRET_KEY") or secrets.token_urlsafe(50),
        DEBUG="false",
        HTTPS="false",
        LOG_LEVEL="WARNING",
        EMAIL_URL="dummy://",
        EXPORT_ROOT=export_root,
        EXPORT_STREAM_MAX_ROWS="0",
        PYTHONPATH=str(ROOT),
    )
    env.pop("CELERY_BROKER_URL", None)
    env.pop("REDIS_URL", None)
    return env


def psql(*args: str, db: str = "postgres") -> None:
    subprocess.run(["psql", f"{PG}/{db}", "-q", "-v", "ON_ERROR_STOP=1", *args], check=True, capture_output=True)


def prepare(env: dict, rows: int, small: int) -> None:
    psql("-c", f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    psql("-c", f"CREATE DATABASE {DB_NAME}")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    started = time.perf_counter()
    subprocess.run(
        [*manage, "shell", "-c", SEED],
        env={**env, "BENCH_ROWS": str(rows), "BENCH_SMALL": str(small)},
        check=True,
        cwd=ROOT,
    )
    print(f"seeded {rows:,} answered items in {time.perf_counter() - started:.1f} s")


def floor(env: dict, out: Path) -> tuple[float, int]:
    manage = [sys.executable, str(ROOT / "manage.py")]
    sql = (
        subprocess.run(
            [*manage, "shell", "-c", FLOOR_SQL], env=env, check=True, cwd=ROOT, capture_output=True, text=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    started = time.perf_counter()
    psql("-c", f"\\copy ({sql}) TO '{out}' WITH (FORMAT csv, HEADER true)", db=DB_NAME)
    seconds = time.perf_counter() - started
    rows = sum(1 for _ in out.open("rb")) - 1
    out.unlink()
    return seconds, rows


def ours(env: dict, fmt: str, which: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", RUN],
        env={**env, "BENCH_FORMAT": fmt, "BENCH_FILTER": which},
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    if outcome["status"] != "ready":
        raise SystemExit(f"The export did not finish: {outcome}")
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--xlsx-rows",
        choices=["all", "small", "none"],
        default="all",
        help="XLSX of every row (the default), of the small set only, or none",
    )
    parser.add_argument("--keep", action="store_true", help="leave the benchmark database in place")
    args = parser.parse_args()
    if args.rows % 4 or args.small % 4 or args.small >= args.rows:
        parser.error("--rows and --small must be multiples of 4, and --small less than --rows")

    with tempfile.TemporaryDirectory(prefix="alliance-bench-") as folder:
        env = environ(folder)
        prepare(env, args.rows, args.small)
        floors, runs = [], []
        for _ in range(args.repeat):
            floors.append(floor(env, Path(folder) / "floor.csv"))
            runs.append(ours(env, "csv", "all"))
        floor_seconds, floor_rows = min(floors)
        best = min(runs, key=lambda run: run["seconds"])
        small = min((ours(env, "csv", "small") for _ in range(args.repeat)), key=lambda run: run["seconds"])
        xlsx = {}
        if args.xlsx_rows in ("all", "small"):
            xlsx["small"] = ours(env, "xlsx", "small")
        if args.xlsx_rows == "all":
            xlsx["all"] = ours(env, "xlsx", "all")
    if not args.keep:
        psql("-c", f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")

    ratio = best["seconds"] / floor_seconds
    peak, small_peak = best["peak_kb"] / 1024, small["peak_kb"] / 1024
    print()
    times_copy, floor_label = "× \\copy", "psql \\copy (the floor)"
    print(f"{'':38} {'rows':>10} {'seconds':>9} {times_copy:>8} {'peak MB':>8} {'file MB':>8}")
    print(f"{floor_label:38} {floor_rows:>10,} {floor_seconds:>9.2f} {1:>8.2f} {'':>8} {'':>8}")
    for label, run in (
        ("our CSV (ORM cursor, Python)", best),
        ("our CSV, small", small),
        *((f"our XLSX ({which})", run) for which, run in xlsx.items()),
    ):
        print(
            f"{label:38} {run['rows']:>10,} {run['seconds']:>9.2f} {run['seconds'] / floor_seconds:>8.2f} "
            f"{run['peak_kb'] / 1024:>8.1f} {run['bytes'] / 1e6:>8.1f}"
        )
    print(f"(before the task, the web request counted the rows in {best['request_seconds']:.2f} s)")
    print()
    problems = []
    if best["rows"] != floor_rows:
        problems.append(f"ours wrote {best['rows']:,} rows, \\copy {floor_rows:,}")
    if ratio > TIME_TARGET:
        problems.append(f"ours took {ratio:.2f} × \\copy (target ≤ {TIME_TARGET})")
    if peak >= MEMORY_TARGET_MB:
        problems.append(f"peak memory {peak:.1f} MB (target under {MEMORY_TARGET_MB})")
    if peak - small_peak > MEMORY_GROWTH_MB:
        problems.append(f"memory grew from {small_peak:.1f} MB to {peak:.1f} MB with the rows")
    for problem in problems:
        print("MISSED:", problem)
    if not problems:
        print(
            f"OK: {ratio:.2f} × \\copy; peak {peak:.1f} MB at {best['rows']:,} rows, {small_peak:.1f} MB at "
            f"{small['rows']:,}"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
