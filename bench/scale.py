#!/usr/bin/env python
"""Do the busiest pages keep their cost as a caseload grows from 5 patients to 500?

    .venv/bin/python bench/scale.py [--patients 500] [--weeks 26] [--small 5] [--rounds 15]
                                    [--pairs 12] [--seconds 3] [--clients 16] [--workers 2] [--reuse]
                                    [--only in-process|gunicorn]

Needs the project's requirements, a PostgreSQL server (``BENCH_PG``, default
``postgres://postgres@127.0.0.1:5432``, a role that may create databases) and its ``psql`` client
(Debian: ``apt-get install postgresql-client``); the load generator is plain Python threads. ``BENCH_DB``
names the database (default ``alliance_scale_bench``), ``BENCH_PORT`` the port for gunicorn
(default: a free one). Every option can also be given as ``BENCH_<OPTION>`` (``BENCH_PATIENTS=500``).

What it does, in one run:
1. builds its database: ``migrate``, ``manage.py seed_demo --patients P --weeks W`` (one demo
   clinician for every 60 patients, so each has a history and a next appointment), then adds two
   clinicians of its own to the first clinic: ``few@bench.test`` on the care team of patients 1-S,
   and ``many@bench.test`` on every first-clinic patient's. ``ANALYZE`` gives the planner the
   statistics a live database has. ``--reuse`` keeps a database an earlier run built (it still
   checks the two clinicians);
2. in-process, with Django's test client and production settings (DEBUG off), after a warm-up:
   the clinician's home (their caseload), a patient's page as their clinician (the same patient,
   seen by each clinician), the patient's own home and progress page (a patient of each clinician:
   patient3, on both caseloads, and the last patient, only on the big ones; nothing on those pages
   should depend on the caseload) and the clinic report as the clinic admin, filtered to each
   clinician. Each round times every page at both sizes back to back (the median of 3 requests),
   alternating which size goes first; the ratio 500 / 5 is taken within the round and the median of
   the rounds reported: a shared machine's speed drifts from minute to minute, and a pair measured
   together shares the drift. The check-in form is timed in each round too, for scale. Django's cache
   is off here (``CACHE_URL=dummy://``): these are the pages' own costs, a cache miss every time.
   Goals: the same number of queries at both sizes, and the median ratio at most 1.5;
3. under gunicorn (production settings, ``--workers`` sync workers), ``--clients`` concurrent
   clients each with their own signed-in session, in rounds of ``--seconds``: the check-in form
   (GET ``/checkin/`` for the patient's next appointment), the caseload of the clinician with 500
   patients, and the patient's home. After a warm-up, ``--pairs`` rounds of the three, back to back
   in rotating order; each page's requests/s is divided by the check-in form's of the same round,
   and the median taken (short runs, many rounds: the three in a round then share the machine's
   drift). The workers share one cache, as a clinic's do (``--cache``: a new folder of files unless
   given; ``--cache dummy://`` measures every request as a miss): the caseload is rendered once per
   30 s, and the clients, all the same clinician, are served that copy. Goals: both at least 0.5,
   and no errors.

It prints every figure and exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-long-enough"
IN_PROCESS_RATIO, THROUGHPUT_RATIO = 1.5, 0.5
FEW, MANY = "few@bench.test", "many@bench.test"


def _env_default(name: str, default):
    value = os.environ.get(f"BENCH_{name.upper()}")
    return type(default)(value) if value is not None else default


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, default, about in (
        ("patients", 500, "patients in the first clinic (the big caseload)"),
        ("weeks", 26, "weeks of history seed_demo makes"),
        ("small", 5, "patients on the small caseload"),
        ("rounds", 15, "in-process rounds"),
        ("pairs", 12, "gunicorn rounds after the warm-up"),
        ("seconds", 3.0, "length of each gunicorn run"),
        ("clients", 16, "concurrent clients"),
        ("workers", 2, "gunicorn sync workers"),
        ("cache", "", "CACHE_URL for gunicorn (default: files in a new folder; dummy:// measures no cache)"),
    ):
        parser.add_argument(f"--{name}", type=type(default), default=_env_default(name, default), help=about)
    parser.add_argument("--reuse", action="store_true", help="keep a database an earlier run built")
    parser.add_argument("--only", choices=("in-process", "gunicorn"), help="measure one part only")
    return parser.parse_args()


PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB", "alliance_scale_bench")


def server_env(static_root: str) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"{PG}/{DB_NAME}",
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        DEBUG="false",
        HTTPS="false",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        STATIC_ROOT=static_root,
        LOG_LEVEL="WARNING",
        EMAIL_URL="dummy://",
    )
    # The pages measured send no tasks: the broker is left to its no-server default.
    env.pop("CELERY_BROKER_URL", None)
    env.pop("REDIS_URL", None)
    # In-process timings measure the pages' own work, so nothing is served from Django's cache there;
    # gunicorn's workers share a real one (see --cache), as a clinic's web processes do.
    env["CACHE_URL"] = "dummy://"
    return env


def psql(database: str, sql: str, *, check: bool = True) -> str:
    if shutil.which("psql") is None:
        sys.exit("bench/scale.py needs PostgreSQL's psql client: apt-get install postgresql-client")
    done = subprocess.run(["psql", f"{PG}/{database}", "-qAt", "-c", sql], capture_output=True, text=True)
    if check and done.returncode != 0:
        sys.exit(f"psql {PG}/{database} failed: {done.stderr.strip()} (set BENCH_PG to a server the bench may use)")
    return done.stdout.strip()


def build(env: dict, args) -> None:
    manage = [sys.executable, str(ROOT / "manage.py")]
    exists = psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'") == "1"
    seeded = exists and psql(DB_NAME, "SELECT count(*) FROM patients_patient", check=False) not in ("", "0")
    if not (args.reuse and seeded):
        print(f"Building {DB_NAME}: seed_demo --patients {args.patients} --weeks {args.weeks} …", flush=True)
        psql("postgres", f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        psql("postgres", f"CREATE DATABASE {DB_NAME}")
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
        started = time.monotonic()
        sizes = ["--patients", str(args.patients), "--weeks", str(args.weeks)]
        subprocess.run(
            [*manage, "seed_demo", *sizes, "--password", PASSWORD],
            env=env,
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        print(f"  seeded in {time.monotonic() - started:.0f} s", flush=True)
    else:
        print(f"Reusing {DB_NAME}", flush=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)


def add_bench_clinicians(small: int) -> None:
    """Two clinicians of the first clinic: one caring for patients 1..small, one for every patient."""
    from django.contrib.auth.hashers import make_password

    from alliance.demo.seed import FIRST_CLINIC
    from patients.models import CareTeamMembership, Clinic, Clinician, Patient, User

    clinic = Clinic.objects.get(name=FIRST_CLINIC)
    patients = list(Patient.objects.filter(clinic=clinic).select_related("user"))
    by_email = {p.user.email: p for p in patients}
    few_patients = [by_email[f"patient{n}@demo.test"] for n in range(1, small + 1)]
    for email, name, cared_for in (
        (FEW, "Fenella Few", few_patients),
        (MANY, "Manon Many", patients),
    ):
        user, _ = User.objects.get_or_create(
            email=email, defaults={"full_name": name, "password": make_password(PASSWORD)}
        )
        clinician, _ = Clinician.objects.get_or_create(user=user, defaults={"clinic": clinic})
        have = set(CareTeamMembership.objects.filter(clinician=clinician).values_list("patient_id", flat=True))
        CareTeamMembership.objects.bulk_create(
            CareTeamMembership(patient=p, clinician=clinician) for p in cared_for if p.pk not in have
        )


def session_keys(user, count: int) -> list[str]:
    """``count`` signed-in sessions for ``user``, as if they had signed in on that many devices."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    keys = []
    for _ in range(count):
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "patients.backends.EmailBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.set_expiry(4 * 3600)
        store.create()
        keys.append(store.session_key)
    return keys


# --- In-process ----------------------------------------------------------------------------------


def in_process(args) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from patients.models import ClinicAdmin, Clinician, Patient, User

    few, many = (Clinician.objects.get(user__email=e) for e in (FEW, MANY))
    patient_few = Patient.objects.get(user__email="patient3@demo.test")
    patient_many = Patient.objects.get(user__email=f"patient{args.patients}@demo.test")
    admin = ClinicAdmin.objects.get(clinic=few.clinic_id).user

    def client_for(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    clients = {
        "few": client_for(few.user),
        "many": client_for(many.user),
        "patient few": client_for(patient_few.user),
        "patient many": client_for(patient_many.user),
        "admin": client_for(admin),
    }
    home, reports = reverse("alliance:home"), reverse("alliance:reports")
    patient_page = reverse("alliance:patient", args=[patient_few.pk])
    progress = reverse("alliance:progress")
    pages = [  # name, (client, url) at the small size, the same at the big size
        ("caseload (home)", ("few", home), ("many", home)),
        ("patient page, as clinician", ("few", patient_page), ("many", patient_page)),
        ("patient's home", ("patient few", home), ("patient many", home)),
        ("patient's progress", ("patient few", progress), ("patient many", progress)),
        ("clinic report", ("admin", f"{reports}?clinician={few.pk}"), ("admin", f"{reports}?clinician={many.pk}")),
    ]

    def get(who: str, url: str):
        response = clients[who].get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} as {who}: {response.status_code}")
        return response

    def timed(who: str, url: str, repeat: int = 3) -> float:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            get(who, url)
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    results = []
    for name, small, big in pages:
        sizes = {}
        for label, (who, url) in (("small", small), ("big", big)):
            for _ in range(3):  # warm: templates, instruments, connection
                response = get(who, url)
            with CaptureQueriesContext(connection) as queries:
                get(who, url)
            sizes[label] = {"queries": len(queries), "kb": len(response.content) / 1024}
        results.append({"name": name, "small": small, "big": big, **{f"{k}_meta": v for k, v in sizes.items()}})
    for result in results:
        result["t_small"], result["t_big"], result["ratios"], result["per_checkin"] = [], [], [], []
    checkin = reverse("alliance:checkin")
    for _ in range(3):
        get("patient few", checkin)
    for round_ in range(args.rounds):
        reference = timed("patient few", checkin)  # the check-in form, for scale
        for result in results:
            order = ("small", "big") if round_ % 2 == 0 else ("big", "small")
            t = {label: timed(*result[label]) for label in order}
            result["t_small"].append(t["small"])
            result["t_big"].append(t["big"])
            result["ratios"].append(t["big"] / t["small"])
            result["per_checkin"].append(t["big"] / reference)
        results[0].setdefault("checkin", []).append(reference)
    return results


def report_in_process(results: list[dict], args) -> bool:
    print(f"\nIn-process (test client, DEBUG off), median of {args.rounds} paired rounds, each the median of 3:")
    print(
        f"{'page':30}{'at ' + str(args.small):>10}{'at ' + str(args.patients):>10}{'ratio':>8}{'range':>13}"
        f"{'queries':>10}{'KB':>12}"
    )
    ok = True
    for r in results:
        ratio = statistics.median(r["ratios"])
        queries = f"{r['small_meta']['queries']}/{r['big_meta']['queries']}"
        kb = f"{r['small_meta']['kb']:.0f}/{r['big_meta']['kb']:.0f}"
        passed = ratio <= IN_PROCESS_RATIO and r["small_meta"]["queries"] == r["big_meta"]["queries"]
        ok &= passed
        small, big = (statistics.median(r[key]) * 1000 for key in ("t_small", "t_big"))
        print(
            f"{r['name']:30}{small:8.1f}ms{big:8.1f}ms"
            f"{ratio:8.2f}{min(r['ratios']):6.2f}-{max(r['ratios']):<6.2f}{queries:>10}{kb:>12}"
            f"{'' if passed else '  MISSED'}"
        )
    checkin = statistics.median(results[0]["checkin"]) * 1000
    print(f"{'check-in form (for scale)':30}{checkin:8.1f}ms")
    print(
        f"at {args.patients} ÷ the check-in form: "
        + ", ".join(f"{r['name']} {statistics.median(r['per_checkin']):.1f}" for r in results)
    )
    print(f"goals: the same queries at both sizes, ratio ≤ {IN_PROCESS_RATIO}")
    return ok


# --- Under gunicorn ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def drive(port: int, path: str, cookie: str, deadline: float, out: list) -> None:
    """One client: reload ``path`` over one keep-alive connection until ``deadline``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": f"sessionid={cookie}", "Host": "127.0.0.1"}
    requests = errors = 0
    while time.monotonic() < deadline:
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            errors += response.status != 200
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        requests += 1
    conn.close()
    out.append((requests, errors))


def run_round(port: int, path: str, cookies: list[str], seconds: float) -> dict:
    out: list = []
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    threads = [threading.Thread(target=drive, args=(port, path, c, deadline, out)) for c in cookies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    requests = sum(r for r, _ in out)
    return {"rps": requests / elapsed, "requests": requests, "errors": sum(e for _, e in out)}


def under_gunicorn(env: dict, args) -> bool:
    from django.test import Client

    from patients.models import Clinician, Patient

    many = Clinician.objects.get(user__email=MANY)
    # Patients with an appointment coming, whose check-in page shows the form (not "already checked in").
    patients = []
    for patient in Patient.objects.filter(clinic=many.clinic_id).select_related("user").order_by("pk"):
        client = Client()
        client.force_login(patient.user)
        if b'name="session"' in client.get("/checkin/").content:
            patients.append(patient)
        if len(patients) == args.clients:
            break
    if len(patients) < args.clients:
        raise RuntimeError(f"Only {len(patients)} patients have a check-in to make; need {args.clients}.")
    patient_keys = [session_keys(p.user, 1)[0] for p in patients]
    clinician_keys = session_keys(many.user, args.clients)
    scenarios = {
        "check-in form": ("/checkin/", patient_keys),
        f"caseload at {args.patients}": ("/", clinician_keys),
        "patient's home": ("/", patient_keys),
    }
    from django.db import connections

    connections.close_all()

    port = int(os.environ.get("BENCH_PORT") or free_port())
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "sync",
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        env={**env, "CACHE_URL": args.cache or f"file://{tempfile.mkdtemp(prefix='alliance-bench-cache-')}"},
        cwd=ROOT,
    )
    names = list(scenarios)
    rounds: dict[str, list[dict]] = {name: [] for name in names}
    ratios: dict[str, list[float]] = {name: [] for name in names[1:]}
    cache = args.cache or "files in a new folder"
    print(
        f"\nUnder gunicorn ({args.workers} sync workers, {args.clients} clients, "
        f"{args.seconds:g} s a run, cache: {cache}):"
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        for name in names:  # warm-up
            run_round(port, *scenarios[name], min(args.seconds, 3))
        for pair in range(args.pairs):
            order = names[pair % 3 :] + names[: pair % 3]
            result = {name: run_round(port, *scenarios[name], args.seconds) for name in order}
            for name in names:
                rounds[name].append(result[name])
            base = result[names[0]]["rps"]
            for name in names[1:]:
                ratios[name].append(result[name]["rps"] / base)
            print(
                f"round {pair + 1}: "
                + ", ".join(f"{name} {result[name]['rps']:6.1f} req/s" for name in names)
                + "; ratios "
                + ", ".join(f"{ratios[name][-1]:.2f}" for name in names[1:]),
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    ok = True
    print(f"\n{'':22}{'req/s':>8}{'errors':>8}{'÷ check-in':>12}{'range':>13}")
    for name in names:
        rps = statistics.median(r["rps"] for r in rounds[name])
        errors = sum(r["errors"] for r in rounds[name])
        ok &= errors == 0
        line = f"{name:22}{rps:8.1f}{errors:8d}"
        if name in ratios:
            ratio = statistics.median(ratios[name])
            ok &= ratio >= THROUGHPUT_RATIO
            line += f"{ratio:12.2f}{min(ratios[name]):6.2f}-{max(ratios[name]):<6.2f}"
            line += "" if ratio >= THROUGHPUT_RATIO else "  MISSED"
        print(line)
    print(f"goals: each page at least {THROUGHPUT_RATIO} × the check-in form's requests/s (median of rounds), 0 errors")
    return ok


def main() -> int:
    args = parse_args()
    static_root = tempfile.mkdtemp(prefix="alliance-bench-static-")
    env = server_env(static_root)
    build(env, args)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    add_bench_clinicians(args.small)
    psql(DB_NAME, "ANALYZE")
    in_process_ok = args.only == "gunicorn" or report_in_process(in_process(args), args)
    throughput_ok = args.only == "in-process" or under_gunicorn(env, args)
    print("\nall goals met" if in_process_ok and throughput_ok else "\nsome goals missed")
    return 0 if in_process_ok and throughput_ok else 1


if __name__ == "__main__":
    sys.exit(main())
