#!/usr/bin/env python
"""Check-in throughput against a baseline page, both through gunicorn on PostgreSQL.

    .venv/bin/python bench/checkin.py [--seconds 6] [--pairs 10] [--clients 8] [--patients 16000]
                                      [--workers 3] [--threads 2]

What it does, in one run:
1. builds a fresh PostgreSQL database (``alliance_bench``) with one clinic, one clinician and N
   patients, each with an appointment tomorrow and an open login session (the patients are
   already signed in, as they would be when they open the check-in from their home page; one
   real sign-in through the form checks that path works);
2. starts gunicorn with production settings (DEBUG off, real SECRET_KEY, CSP, whitenoise with
   collected static files; only HTTPS redirects are off because there is no TLS locally);
3. drives the baseline, a minimal login-protected page on the same base template
   (``/accounts/password_change/done/``), with C concurrent clients for S seconds;
4. drives the check-in path the way a patient uses it: GET the check-in page for their next
   appointment, then POST the answers for it, which stores a scored check-in on that appointment
   and redirects (302). Each patient checks in once, because an appointment takes one check-in;
5. after one warm-up round of each, repeats 3-4 as P pairs, back to back, alternating which
   goes first. The ratio check-in ÷ baseline is taken within each pair and the median of the
   pairs is reported: a shared machine's speed drifts by tens of percent from minute to minute,
   and a pair measured together shares the same drift.

Every GET and every POST counts as a request. It prints each pair, then requests/s, p50 and p99
for both over all pairs, and the median ratio. The target is ≥ 0.7 with 0 errors; the exit status
is 1 when either is missed.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "alliance_bench"
PASSWORD = "bench-password-long-enough"
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SESSION_RE = re.compile(r'name="session" value="(\d+)"')
ANSWERS = {
    "alliance-relationship": "8",
    "alliance-goals": "7",
    "alliance-approach": "9",
    "alliance-overall": "8",
    "pain-intensity": "5",
    "pain-enjoyment": "4",
    "pain-activity": "6",
    "note": "",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(static_root: str) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"{PG}/{DB_NAME}",
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="false",
        HTTPS="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        STATIC_ROOT=static_root,
        LOG_LEVEL="WARNING",
        EMAIL_URL="dummy://",
    )
    env.pop("CELERY_BROKER_URL", None)
    return env


PREPARE = """
import sys
from datetime import timedelta
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.crypto import get_random_string
from patients.models import CareTeamMembership, Clinic, Clinician, Patient, User
from sessions.models import CareSession

count = int(sys.argv[-1])
clinic = Clinic.objects.create(name="Bench clinic")
hashed = make_password("{password}")
clinician = Clinician.objects.create(
    user=User.objects.create(email="clinician@example.org", full_name="Bench Clinician", password=hashed),
    clinic=clinic,
)
users = User.objects.bulk_create(
    User(email=f"bench{{n}}@example.org", full_name=f"Bench Patient {{n}}", password=hashed) for n in range(count)
)
patients = Patient.objects.bulk_create(Patient(user=u, clinic=clinic) for u in users)
CareTeamMembership.objects.bulk_create(CareTeamMembership(patient=p, clinician=clinician) for p in patients)
tomorrow = timezone.now() + timedelta(days=1)
CareSession.objects.bulk_create(
    CareSession(patient=p, clinician=clinician, starts_at=tomorrow + timedelta(minutes=n), created_by=clinician.user)
    for n, p in enumerate(patients)
)
store = SessionStore()
expires = timezone.now() + timedelta(hours=2)
rows, keys = [], []
for user in users[1:]:
    key = get_random_string(32)
    data = {{SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "patients.backends.EmailBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash()}}
    rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
    keys.append(key)
Session.objects.bulk_create(rows, batch_size=2000)
print("\\n".join(keys))
"""


def prepare(env: dict, patients: int) -> list[str]:
    """A fresh database; returns one login-session cookie per patient (bench0 signs in for real)."""
    for sql in (f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)", f"CREATE DATABASE {DB_NAME}"):
        subprocess.run(["psql", PG + "/postgres", "-q", "-c", sql], check=True, capture_output=True)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    script = PREPARE.format(password=PASSWORD)
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); exec(open(0).read())", str(patients)],
        input=script,
        env={**env, "PYTHONPATH": str(ROOT)},
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    # A live database has planner statistics; a freshly loaded one has none until autovacuum gets
    # to it (and some servers, such as CI's, run without autovacuum). Without them PostgreSQL
    # picks plans for an empty database and every query pays for it.
    subprocess.run(["psql", f"{PG}/{DB_NAME}", "-q", "-c", "ANALYZE"], check=True, capture_output=True)
    return [line for line in out.splitlines() if len(line) == 32]


class Client:
    """A tiny cookie-keeping HTTP client over one keep-alive connection."""

    def __init__(self, port: int, session_key: str | None = None):
        self.port = port
        self.cookies: dict[str, str] = {"sessionid": session_key} if session_key else {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Host": "127.0.0.1"}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            raise
        text = response.read().decode()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text

    def login(self, email: str) -> None:
        _, page = self.request("GET", "/accounts/login/")
        token = CSRF_RE.search(page).group(1)
        status, _ = self.request(
            "POST", "/accounts/login/", {"csrfmiddlewaretoken": token, "username": email, "password": PASSWORD}
        )
        if status != 302:
            raise RuntimeError(f"sign-in through the form failed for {email}: {status}")


def drive(args) -> tuple[list[float], int, int, int]:
    """One client: in the baseline one patient reloads a page; in the check-in, patient after patient
    checks in for their appointment."""
    port, keys, scenario, deadline = args
    latencies: list[float] = []
    errors = requests = used = 0
    if scenario == "baseline":
        client = Client(port, keys[0])
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                status, _ = client.request("GET", "/accounts/password_change/done/")
            except (OSError, http.client.HTTPException):
                status = 0
            latencies.append(time.perf_counter() - start)
            requests += 1
            errors += status != 200
        return latencies, errors, requests, used
    keys = iter(keys)
    client = Client(port)  # one keep-alive connection, as for the baseline; each patient brings their cookie
    while time.monotonic() < deadline:
        key = next(keys, None)
        if key is None:
            raise RuntimeError("Ran out of patients; raise --patients.")
        used += 1
        client.cookies = {"sessionid": key}
        try:
            start = time.perf_counter()
            status, page = client.request("GET", "/checkin/")
            latencies.append(time.perf_counter() - start)
            requests += 1
            session = SESSION_RE.search(page)
            if status != 200 or session is None:
                errors += 1
                continue
            body = {**ANSWERS, "session": session.group(1), "csrfmiddlewaretoken": CSRF_RE.search(page).group(1)}
            start = time.perf_counter()
            status, _ = client.request("POST", "/checkin/", body)
            latencies.append(time.perf_counter() - start)
            requests += 1
            errors += status != 302
        except (OSError, http.client.HTTPException, AttributeError):
            errors += 1
    return latencies, errors, requests, used


def run_round(port: int, scenario: str, clients: int, seconds: float, pools: list[list[str]]) -> dict:
    deadline = time.monotonic() + seconds
    jobs = [(port, pools[i], scenario, deadline) for i in range(clients)]
    started = time.monotonic()
    with multiprocessing.Pool(clients) as pool:
        results = pool.map(drive, jobs)
    elapsed = time.monotonic() - started
    for i, result in enumerate(results):
        del pools[i][: result[3]]  # each appointment is checked in for once
    requests = sum(result[2] for result in results)
    return {
        "latencies": [latency for result in results for latency in result[0]],
        "requests": requests,
        "elapsed": elapsed,
        "rps": requests / elapsed,
        "errors": sum(result[1] for result in results),
    }


def summarise(scenario: str, rounds: list[dict]) -> dict:
    latencies = sorted(latency for r in rounds for latency in r["latencies"])
    return {
        "scenario": scenario,
        "rps": sum(r["requests"] for r in rounds) / sum(r["elapsed"] for r in rounds),
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "errors": sum(r["errors"] for r in rounds),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=6, help="length of each round")
    parser.add_argument("--pairs", type=int, default=10, help="baseline + check-in pairs measured")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--patients", type=int, default=16000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    static_root = tempfile.mkdtemp(prefix="alliance-bench-static-")
    env = server_env(static_root)
    print(f"Preparing {DB_NAME}: {args.patients} patients, each with an appointment tomorrow …", flush=True)
    keys = prepare(env, args.patients)
    pools = [keys[i :: args.clients] for i in range(args.clients)]
    port = free_port()
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
            "gthread",
            "--threads",
            str(args.threads),
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    rounds: dict[str, list[dict]] = {"baseline": [], "checkin": []}
    ratios: list[float] = []
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        Client(port).login("bench0@example.org")
        for scenario in ("baseline", "checkin"):  # warm-up: template and instrument caches, database connections
            run_round(port, scenario, args.clients, min(args.seconds, 4), pools)
        for pair in range(args.pairs):
            order = ("baseline", "checkin") if pair % 2 == 0 else ("checkin", "baseline")
            result = {scenario: run_round(port, scenario, args.clients, args.seconds, pools) for scenario in order}
            for scenario, r in result.items():
                rounds[scenario].append(r)
            ratios.append(result["checkin"]["rps"] / result["baseline"]["rps"])
            print(
                f"pair {pair + 1}: baseline {result['baseline']['rps']:7.1f} req/s, "
                f"check-in {result['checkin']['rps']:7.1f} req/s, ratio {ratios[-1]:.2f}",
                flush=True,
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    base, check = summarise("baseline", rounds["baseline"]), summarise("checkin", rounds["checkin"])
    ratio = statistics.median(ratios)
    errors = base["errors"] + check["errors"]
    print()
    print(f"{'':10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for result in (base, check):
        print(
            f"{result['scenario']:10}{result['rps']:10.1f}{result['p50']:10.1f}{result['p99']:10.1f}{result['errors']:8d}"
        )
    print(
        f"\nratio check-in / baseline: {ratio:.2f}, the median of {len(ratios)} pairs "
        f"(from {min(ratios):.2f} to {max(ratios):.2f})  (target ≥ 0.70, errors must be 0)"
    )
    return 0 if ratio >= 0.7 and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
