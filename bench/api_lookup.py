"""Benchmark: the platform API's single-worker lookup under gunicorn, beside bare Flask.

Run from the repository root: `python bench/api_lookup.py [--quick]`. It needs PostgreSQL
(TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test) and `wrk`
(`apt-get install wrk`); with --quick it skips (exit 0, saying why on stderr and printing
`skipped: 1`) when either is missing.

1. A fresh schema is created in that database and migrated; the example courses are imported
   (published manuals, exam settings), then plain SQL (INSERT ... SELECT generate_series) loads
   100,000 trainees (1,000 with --quick), their enrolments in two courses, attempts,
   qualifications in a mix of statuses with their history, one API client with a worker link
   per trainee and one token with every scope, 1,000,000 outbox events and 1,000,000 rows of
   the activity log (10,000 each with --quick).
2. The app is served by gunicorn with 2 sync workers, as README's production deployment runs
   it (`gunicorn --workers N`, sync being gunicorn's default, behind a reverse proxy that holds
   the clients' keep-alive connections), and so is a bare Flask app returning a small JSON
   body, the same way. (`--worker-class gthread` serves both with 4 threads a worker instead:
   keep-alive, but on this 2-core machine it is slower than sync even for bare Flask, since
   the threads only contend for the GIL.) `wrk -t2 -c16 --latency` (10 s; 2 s with --quick,
   after a short warm-up) drives each from a second process on loopback, with a Lua script
   that sends the bearer token and asks for a random one of all the linked workers, so no
   single row stays cached. The servers take turns for 2 rounds (1 with --quick) and each
   one's best round counts: on a shared machine it is the one least disturbed by others.
3. It prints `metric: value` lines: the load time and table sizes, lookup_rps, lookup_p50_ms,
   lookup_p99_ms, lookup_errors (non-2xx answers and socket errors), the same for bare_, the
   ratio lookup_vs_bare (of req/s; the target is >= 0.5), and batch_check_1000_ms: the median
   of a few `POST /api/v1/qualifications/check` with 1,000 ids, timed with urllib.

REDIS_URL: when Redis answers at redis://127.0.0.1:6379 the app's rate limits use its database
15 (as production does with two workers: the per-token limit is shared), else they are counted
per process in memory (`redis_limiter: 1` or `0` says which); `--redis-url ''` forces memory.
The per-token limit is raised so it never refuses. The schema is dropped and every server is
stopped at the end, whatever happened.

`--variant LABEL:KEY=VALUE,...` also serves the app with more environment (APP=module:callable
serves another app object, PYTHONPATH=... finds it), measured in the same rounds and printed
as LABEL_lookup_* and LABEL_vs_bare: a before/after on the same data, e.g.
`--variant nocache:BOOTCAMP_API_TOKEN_CACHE_SECONDS=0`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
WORKERS = 2
GTHREAD_THREADS = 4
COURSES = ("clothing-tagging", "crowd-pose")  # every trainee in the first, half in the second
BATCH_COURSE = COURSES[0]
GUNICORN = Path(sys.executable).with_name("gunicorn")

# Where a trainee stands in a course, by (trainee id * 7 + course) % 20: 40 % qualified, 20 %
# in training, 10 % failed, needs refresh and expired each, 5 % revoked, 5 % enrolled only.
STATUS_MIX = (["qualified"] * 8 + ["in_training"] * 4 + ["failed"] * 2 + ["needs_refresh"] * 2
              + ["expired"] * 2 + ["revoked", "none"])
OUTBOX_TYPES = ("qualification.granted", "qualification.granted", "qualification.failed",
                "qualification.score_changed", "qualification.needs_refresh",
                "qualification.expired", "qualification.reinstated", "qualification.revoked")
ACTIVITY_KINDS = ("section_read",) * 6 + ("practice_answered",) * 6 + (
    "manual_opened", "manual_opened", "logged_in", "logged_in", "enrolled", "exam_started",
    "exam_submitted", "qualification_changed")


@dataclass(frozen=True)
class Size:
    trainees: int
    events: int  # outbox events, and as many activity-log rows
    seconds: int  # per wrk run
    warmup: int  # seconds of wrk before each measured run
    batches: int  # POST /qualifications/check rounds
    rounds: int  # wrk runs per server, taking turns; the best one counts


FULL = Size(trainees=100_000, events=1_000_000, seconds=10, warmup=2, batches=5, rounds=2)
QUICK = Size(trainees=1_000, events=10_000, seconds=2, warmup=1, batches=3, rounds=1)


class Skip(Exception):
    """Something the benchmark needs is missing; the message says what and how to get it."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the database ---------------------------------------------------------------------------


def plain_url(url: str) -> str:
    """A libpq URL (psycopg's), whatever SQLAlchemy spelling it came in."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix):]
    return url


def schema_url(base: str, schema: str) -> str:
    """The URL of `base` with every connection's search_path set to `schema`."""
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options={quote(f'-csearch_path={schema}')}"


def check_postgres(base: str) -> None:
    try:
        import psycopg
    except ImportError as error:
        raise Skip("psycopg is not installed (pip install -e '.[test]')") from error
    if not base.startswith("postgresql://"):
        raise Skip(f"TEST_DATABASE_URL must name a PostgreSQL database, not {base!r}")
    try:
        with psycopg.connect(base, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        raise Skip(f"PostgreSQL is not reachable at {base}: {error}".strip()) from error


@contextmanager
def fresh_schema(base: str) -> Iterator[str]:
    """A new, empty schema of its own; yields the URL that uses it, drops it afterwards."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema_url(base, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        log(f"dropped schema {schema}")


def migrate_and_seed(url: str) -> str:
    """Migrate the schema, import the example courses, make a client and a token with every
    scope; returns the raw token."""
    from flask_migrate import upgrade

    import exams  # noqa: F401  (reads the bundles' exam: blocks)
    from bootcamp import create_app
    from bootcamp.api.models import SCOPES
    from bootcamp.api.tokens import create_client, issue_token
    from bootcamp.config import normalise_database_url
    from bootcamp.demo import load_examples
    from bootcamp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
                      "SECRET_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        upgrade()
        load_examples()
        client = create_client("Bench platform", actor_id=None)
        _, raw = issue_token(client, SCOPES, actor_id=None, name="bench")
        db.session.commit()
        db.engine.dispose()
    return raw


def analyze(conn: Any, *tables: str) -> None:
    """Give the planner the row counts of tables just filled in this transaction: it would
    take them for empty and may then scan a whole table once per row of the next INSERT ...
    SELECT (a load of minutes instead of seconds)."""
    conn.execute(f"ANALYZE {', '.join(tables)}")


def bulk_load(url: str, size: Size, password_hash: str) -> dict[str, int]:
    """Trainees, enrolments, attempts, qualifications, links, outbox and activity rows, in SQL;
    returns the row counts."""
    import psycopg

    n, m = size.trainees, size.events
    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '256MB'")
        slugs = list(COURSES)
        conn.execute("""
            CREATE TEMP TABLE bench_courses AS
            SELECT (array_position(%(slugs)s::text[], c.slug) - 1) AS idx, c.id AS course_id,
                   c.slug, v.id AS version_id, coalesce(s.attempts_allowed, 3) AS attempts,
                   s.validity_days
            FROM courses c
            JOIN LATERAL (SELECT id FROM manual_versions mv WHERE mv.course_id = c.id
                          AND mv.status = 'published' ORDER BY number DESC LIMIT 1) v ON true
            LEFT JOIN exam_settings s ON s.course_id = c.id
            WHERE c.slug = ANY(%(slugs)s)""", {"slugs": slugs})
        found = conn.execute("SELECT count(*) FROM bench_courses").fetchone()[0]
        if found != len(slugs):
            raise RuntimeError(f"expected the example courses {slugs}, found {found}")
        conn.execute("""
            INSERT INTO users (email, name, password_hash, role, created_at)
            SELECT 'worker-' || g || '@bench.example', 'Worker ' || g, %(hash)s, 'trainee',
                   now() - (g %% 400 + 30) * interval '1 day'
            FROM generate_series(1, %(n)s) g""", {"n": n, "hash": password_hash})
        conn.execute(f"""
            CREATE TEMP TABLE bench_plan AS
            SELECT u.id AS user_id, c.course_id, c.version_id, c.attempts, c.validity_days,
                   (%(mix)s::text[])[1 + (u.id * 7 + c.idx) %% {len(STATUS_MIX)}] AS status,
                   u.created_at + interval '1 day' AS enrolled_at
            FROM users u JOIN bench_courses c ON c.idx = 0 OR u.id %% 2 = 0
            WHERE u.email LIKE 'worker-%%'""", {"mix": STATUS_MIX})  # noqa: S608
        analyze(conn, "users", "bench_plan")
        conn.execute("""
            INSERT INTO enrollments (user_id, course_id, source, created_at)
            SELECT user_id, course_id, 'self', enrolled_at FROM bench_plan""")
        # Qualified-like trainees passed their last attempt; failed ones used every attempt;
        # half of those in training failed one.
        conn.execute("""
            INSERT INTO attempts (user_id, course_id, kind, cycle, number, manual_version_id,
                                  state, started_at, deadline, submitted_at, closed_by,
                                  pass_mark, critical_rule, score, passed, critical_missed)
            SELECT p.user_id, p.course_id, 'qualification', 1, k, p.version_id, 'graded',
                   t - interval '14 minutes', t + interval '6 minutes', t, 'trainee', 0.8, true,
                   CASE WHEN won THEN 0.8 + (p.user_id % 5) * 0.05
                        ELSE 0.3 + (p.user_id % 10) * 0.05 END,
                   won, '[]'::jsonb
            FROM bench_plan p
            CROSS JOIN LATERAL generate_series(1, CASE p.status
                WHEN 'failed' THEN p.attempts WHEN 'in_training' THEN p.user_id % 2
                WHEN 'none' THEN 0 ELSE 1 END) k
            CROSS JOIN LATERAL (SELECT p.status IN ('qualified', 'needs_refresh', 'expired',
                                                    'revoked') AS won,
                                       p.enrolled_at + k * interval '2 days' AS t) x""")
        analyze(conn, "enrollments", "attempts")
        conn.execute("""
            INSERT INTO qualifications (user_id, course_id, status, cycle, score,
                                        manual_version_id, attempt_id, granted_at, expires_at,
                                        refresh_due_at, refresh_sections, updated_at)
            SELECT p.user_id, p.course_id, p.status::qualification_status, 1, a.score,
                   CASE WHEN a.passed THEN a.manual_version_id END,
                   CASE WHEN a.passed THEN a.id END,
                   CASE WHEN a.passed THEN a.submitted_at END,
                   CASE p.status
                       WHEN 'expired' THEN now() - (1 + p.user_id % 90) * interval '1 day'
                       WHEN 'qualified' THEN CASE WHEN p.validity_days IS NOT NULL
                           THEN now() + (1 + p.user_id % 300) * interval '1 day' END
                       WHEN 'needs_refresh' THEN now() + interval '200 days'
                       WHEN 'revoked' THEN now() + interval '100 days' END,
                   CASE WHEN p.status = 'needs_refresh'
                        THEN now() + (1 + p.user_id % 14) * interval '1 day' END,
                   CASE WHEN p.status = 'needs_refresh' THEN '["fit-and-layers"]'::jsonb
                        ELSE '[]'::jsonb END,
                   coalesce(a.submitted_at, p.enrolled_at) + interval '1 minute'
            FROM bench_plan p
            LEFT JOIN LATERAL (SELECT * FROM attempts a WHERE a.user_id = p.user_id
                               AND a.course_id = p.course_id ORDER BY a.number DESC LIMIT 1
                               ) a ON true
            WHERE p.status <> 'none'""")
        conn.execute("""
            INSERT INTO qualification_changes (qualification_id, from_status, to_status, reason,
                                               attempt_id, created_at)
            SELECT q.id, CASE WHEN q.status = 'in_training' THEN NULL ELSE 'in_training' END,
                   q.status::text, 'loaded by bench/api_lookup.py', q.attempt_id, q.updated_at
            FROM qualifications q""")
        client_id = conn.execute("SELECT id FROM api_clients").fetchone()[0]
        conn.execute("""
            INSERT INTO worker_links (client_id, external_id, user_id, created_at)
            SELECT %(client)s, split_part(email, '@', 1), id, created_at + interval '1 hour'
            FROM users WHERE email LIKE 'worker-%%'""", {"client": client_id})
        # Outbox events spread over the (worker, course) pairs with a qualification, numbered
        # 1, 2, 3... within each pair, oldest first, all but the newest 100 dispatched.
        conn.execute("""
            CREATE TEMP TABLE bench_pairs AS
            SELECT row_number() OVER (ORDER BY id) - 1 AS k, user_id, course_id, status
            FROM qualifications""")
        pairs = conn.execute("SELECT count(*) FROM bench_pairs").fetchone()[0]
        conn.execute("CREATE INDEX ON bench_pairs (k)")
        analyze(conn, "qualifications", "worker_links", "bench_pairs")
        conn.execute("""
            INSERT INTO outbox_events (public_id, type, user_id, course_id, sequence, data,
                                       created_at, dispatched_at)
            SELECT 'evt_' || substr(md5(g::text), 1, 24),
                   (%(types)s::text[])[1 + g %% 8], p.user_id, p.course_id,
                   g / %(pairs)s + 1,
                   jsonb_build_object('status', p.status::text, 'cycle', 1,
                                      'score', 0.8 + (g %% 5) * 0.05),
                   now() - (%(m)s - g) * interval '2 seconds',
                   CASE WHEN g <= %(m)s - 100
                        THEN now() - (%(m)s - g) * interval '2 seconds' + interval '1 second'
                   END
            FROM generate_series(0, %(m)s - 1) g JOIN bench_pairs p ON p.k = g %% %(pairs)s
            """, {"types": list(OUTBOX_TYPES), "pairs": pairs, "m": m})
        conn.execute("""
            INSERT INTO events (user_id, course_id, kind, created_at, data)
            SELECT p.user_id, p.course_id, (%(kinds)s::text[])[1 + g %% %(nkinds)s],
                   now() - (%(m)s - g) * interval '3 seconds',
                   CASE WHEN g %% 3 = 0 THEN jsonb_build_object('section', 'section-' || g %% 9)
                        ELSE '{}'::jsonb END
            FROM generate_series(0, %(m)s - 1) g JOIN bench_pairs p ON p.k = g %% %(pairs)s
            """, {"kinds": list(ACTIVITY_KINDS), "nkinds": len(ACTIVITY_KINDS), "pairs": pairs,
                  "m": m})
        conn.commit()
        conn.autocommit = True
        conn.execute("ANALYZE")
        counts = {}
        for table in ("users", "enrollments", "attempts", "qualifications", "worker_links",
                      "outbox_events", "events"):
            counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
    return counts


# --- the servers ----------------------------------------------------------------------------

BARE_APP = '''\
"""A bare Flask app: the baseline the API lookup is compared with."""
from flask import Flask

app = Flask(__name__)


@app.get("/api/v1/workers/<external_id>/qualifications")
def lookup(external_id):
    return {"external_id": external_id, "qualifications": []}
'''

LUA = '''\
-- Every request: the bearer token and a random one of the linked workers.
wrk.headers["Authorization"] = "Bearer {token}"
wrk.headers["Accept"] = "application/json"
local thread_seed = 0
function setup(thread)
  thread_seed = thread_seed + 1
  thread:set("seed", thread_seed)
end
function init(args)
  math.randomseed(os.time() * 1000 + (seed or 0))
end
function request()
  local n = math.random(1, {count})
  return wrk.format(nil, "/api/v1/workers/worker-" .. n .. "/qualifications")
end
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(app: str, env: dict[str, str], cwd: Path, name: str,
          worker_class: str = "sync") -> Iterator[str]:
    """Run gunicorn on `app` (module:callable) until the block ends; yields its base URL."""
    port = free_port()
    threads = GTHREAD_THREADS if worker_class == "gthread" else 1
    command = [str(GUNICORN), "--workers", str(WORKERS), "--worker-class", worker_class,
               "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
               "--log-level", "warning", "--chdir", str(cwd), app]
    errors = tempfile.TemporaryFile(mode="w+")
    server = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL,  # noqa: S603
                              stderr=errors, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                errors.seek(0)
                raise RuntimeError(f"{name}: gunicorn exited: {errors.read()}")
            try:
                urllib.request.urlopen(base + "/nothing-here", timeout=2)  # noqa: S310
            except urllib.error.HTTPError:
                break  # it answers (404)
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name}: gunicorn did not answer in 60 s") from None
                time.sleep(0.2)
            else:
                break
        yield base
    finally:
        stop(server)
        errors.seek(0)
        tail = errors.read().strip()
        if tail:
            log(f"{name} gunicorn said:\n{textwrap.indent(tail[-3000:], '  ')}")
        errors.close()


def stop(server: subprocess.Popen) -> None:
    """SIGTERM the gunicorn master (and its workers, in their own process group), then KILL."""
    if server.poll() is None:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(server.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    server.wait()


def app_environment(url: str, redis_url: str | None, instance: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("BOOTCAMP_", "REDIS_URL", "DATABASE_URL"))}
    env.update({
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_hex(32),
        "BOOTCAMP_INSTANCE_PATH": str(instance),
        "BOOTCAMP_API_LIMIT_PER_TOKEN": "1000000000 per minute",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    })
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except Exception:  # noqa: BLE001  (any failure means: count in memory)
        return False


# --- measuring ------------------------------------------------------------------------------

WRK_PERCENTILE = re.compile(r"^\s*(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> dict[str, float]:
    """Requests per second, p50/p99 in ms and the error count from `wrk --latency` output."""
    found = {f"p{p}_ms": float(v) * UNIT_MS[u] for p, v, u in WRK_PERCENTILE.findall(output)}
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    if rps is None or "p50_ms" not in found or "p99_ms" not in found:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non2xx:
        errors += int(non2xx.group(1))
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        output)
    if sockets:
        errors += sum(int(value) for value in sockets.groups())
    return {"rps": float(rps.group(1)), "p50_ms": found["p50_ms"],
            "p99_ms": found["p99_ms"], "errors": errors}


def run_wrk(base: str, script: Path, seconds: int) -> dict[str, float]:
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-s", str(script), base]
    result = subprocess.run(command, capture_output=True, text=True, check=True,  # noqa: S603
                            timeout=seconds + 60)
    return parse_wrk(result.stdout)


def call(base: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    """One API call with urllib; (status, decoded JSON body)."""
    data = None if body is None else json.dumps(body).encode()
    method = "GET" if body is None else "POST"
    request = urllib.request.Request(base + path, data=data, method=method)  # noqa: S310
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw.startswith(b"{") else raw.decode()


def batch_check_ms(base: str, token: str, trainees: int, rounds: int) -> float:
    """The median time of POST /qualifications/check with 1,000 different linked workers."""
    rng = random.Random(11)  # noqa: S311  (the same ids every run)
    times = []
    for number in range(rounds + 1):  # the first one warms up
        ids = [f"worker-{n}" for n in rng.sample(range(1, trainees + 1), min(1000, trainees))]
        started = time.perf_counter()
        status, body = call(base, "/api/v1/qualifications/check", token,
                            {"course": BATCH_COURSE, "external_ids": ids})
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise RuntimeError(f"POST /api/v1/qualifications/check answered {status}: {body}")
        if number:
            times.append(elapsed)
    return statistics.median(times)


def measure(base: str, script: Path, seconds: int, warmup: int) -> dict[str, float]:
    if warmup:
        run_wrk(base, script, warmup)
    return run_wrk(base, script, seconds)


# --- main -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """Another configuration of the app, measured beside the default one (`--variant`)."""

    label: str
    app: str  # module:callable for gunicorn
    env: dict[str, str]


def parse_variant(text: str) -> Variant:
    """`label:KEY=VALUE,KEY=VALUE`; the key APP names another module:callable to serve, and
    PYTHONPATH is put before the repository's."""
    label, _, settings = text.partition(":")
    if not re.fullmatch(r"[a-z0-9_]+", label):
        raise argparse.ArgumentTypeError(f"a variant's label is [a-z0-9_]+, not {label!r}")
    env = dict(item.split("=", 1) for item in settings.split(",") if "=" in item)
    return Variant(label, env.pop("APP", "bootcamp:create_app()"), env)


def best(results: list[dict[str, float]]) -> dict[str, float]:
    """The round with the most requests per second: the one least disturbed by others."""
    return max(results, key=lambda result: result["rps"])


def print_result(name: str, result: dict[str, float]) -> None:
    print(f"{name}_rps: {result['rps']:.0f}")
    print(f"{name}_p50_ms: {result['p50_ms']:.2f}")
    print(f"{name}_p99_ms: {result['p99_ms']:.2f}")
    print(f"{name}_errors: {result['errors']}")


def run(size: Size, base_url: str, redis_url: str | None, worker_class: str,
        variants: list[Variant]) -> None:
    """Load, serve, measure, print; everything made is removed, whatever happens."""
    from bootcamp.users.passwords import hash_password

    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-api-")))
        url = stack.enter_context(fresh_schema(base_url))
        os.environ["BOOTCAMP_INSTANCE_PATH"] = str(work / "instance")
        started = time.perf_counter()
        token = migrate_and_seed(url)
        migrated = time.perf_counter()
        counts = bulk_load(url, size, hash_password("bench-password"))
        loaded = time.perf_counter()
        print(f"migrate_s: {migrated - started:.1f}")
        print(f"load_s: {loaded - migrated:.1f}")
        for table, count in counts.items():
            print(f"{table}_rows: {count}")
        print(f"redis_limiter: {int(bool(redis_url))}")
        print(f"gunicorn_workers: {WORKERS}")
        print(f"gunicorn_threads: {GTHREAD_THREADS if worker_class == 'gthread' else 1}")
        print(f"rounds: {size.rounds}", flush=True)

        script = work / "lookup.lua"
        script.write_text(LUA.format(token=token, count=size.trainees))
        (work / "bench_bare_app.py").write_text(BARE_APP)
        env = app_environment(url, redis_url, work / "instance")
        servers = {"lookup": stack.enter_context(
            serve("bootcamp:create_app()", env, ROOT, "app", worker_class))}
        servers["bare"] = stack.enter_context(
            serve("bench_bare_app:app", env, work, "bare", worker_class))
        for variant in variants:
            extra = dict(variant.env)
            if "PYTHONPATH" in extra:
                extra["PYTHONPATH"] = f"{extra['PYTHONPATH']}{os.pathsep}{env['PYTHONPATH']}"
            log(f"variant {variant.label}: {variant.app} with {extra}")
            servers[variant.label] = stack.enter_context(
                serve(variant.app, {**env, **extra}, ROOT, variant.label, worker_class))
        for name, base in servers.items():
            if name == "bare":
                continue
            status, body = call(base, "/api/v1/workers/worker-1/qualifications", token)
            if status != 200:
                raise RuntimeError(f"{name}: the lookup answered {status}: {body}")
        # Rounds take turns between the servers, so that each sees the same machine.
        results: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
        for number in range(size.rounds):
            for name, base in servers.items():
                warmup = size.warmup if number == 0 else 0
                results[name].append(measure(base, script, size.seconds, warmup))
                log(f"round {number + 1} {name}: {results[name][-1]}")
        batch = batch_check_ms(servers["lookup"], token, size.trainees, size.batches)
    lookup, bare = best(results["lookup"]), best(results["bare"])
    print_result("lookup", lookup)
    print_result("bare", bare)
    print(f"lookup_vs_bare: {lookup['rps'] / bare['rps']:.3f}")
    print(f"batch_check_1000_ms: {batch:.0f}")
    for variant in variants:
        found = best(results[variant.label])
        print_result(f"{variant.label}_lookup", found)
        print(f"{variant.label}_vs_bare: {found['rps'] / bare['rps']:.3f}")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="1,000 trainees, 10,000 events, 2 s per wrk run")
    parser.add_argument("--redis-url", default=None,
                        help=f"rate-limit storage for the app ('' for per-process memory; "
                             f"default {DEFAULT_REDIS_URL} when it answers)")
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync",
                        help="gunicorn worker class for both servers (default sync)")
    parser.add_argument("--variant", action="append", type=parse_variant, default=[],
                        metavar="LABEL:KEY=VALUE,...",
                        help="also measure the app with these environment variables (APP: "
                             "another module:callable), printed as LABEL_lookup_*; repeatable")
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    base_url = plain_url(os.environ.get("TEST_DATABASE_URL", "").strip()
                         or DEFAULT_DATABASE_URL)
    try:
        if shutil.which("wrk") is None:
            raise Skip("wrk is not installed: apt-get install wrk")
        if not GUNICORN.exists():
            raise Skip(f"gunicorn is not installed beside {sys.executable}")
        check_postgres(base_url)
    except Skip as reason:
        log(f"bench/api_lookup.py {'skipped' if args.quick else 'cannot run'}: {reason}")
        print("skipped: 1")
        return 0 if args.quick else 2
    redis_url = args.redis_url
    if redis_url is None:
        redis_url = DEFAULT_REDIS_URL if redis_answers(DEFAULT_REDIS_URL) else ""
    run(size, base_url, redis_url or None, args.worker_class, args.variant)
    return 0


if __name__ == "__main__":
    sys.exit(main())
