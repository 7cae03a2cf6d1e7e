"""Benchmark: Python CPU per API lookup in the app, beside a bare Flask JSON endpoint.

Run from the repository root: `python bench/api_lookup_cpu.py [--quick] [--profile N]`. Like
bench/api_lookup.py it needs PostgreSQL (TEST_DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/test); with --quick it skips (exit 0, `skipped: 1`) when
PostgreSQL is missing. It needs no wrk nor gunicorn: req/s under wrk swing with whatever else
the machine runs, while the CPU this process spends per request hardly does, and that CPU is
what bounds req/s once the database answers in time.

A fresh schema is loaded as bench/api_lookup.py --quick loads it (1,000 trainees). The
app (bootcamp:create_app(), from the environment, Redis database 15 for the rate limits when
Redis answers, as production) and the bare app are then called through WSGI in this process,
`GET /api/v1/workers/worker-N/qualifications` with the bearer token for random N, with
time.process_time around each batch of 2,000 lookups (500 with --quick); the environs are built
before the clock starts. The apps take turns for 5 rounds (3 with --quick) and each one's best
counts. It prints lookup_cpu_ms, bare_cpu_ms (per request) and cpu_ratio (bare / lookup: the
req/s ratio two sync workers would reach if CPU were all that mattered).

`--profile N` then prints cProfile's top N functions by own CPU time, then by cumulative CPU
time (on stderr), over one more batch of lookups.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import os
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import api_lookup  # noqa: E402  (its loading and checks, shared)

FULL_CALLS, QUICK_CALLS = 2_000, 500
FULL_ROUNDS, QUICK_ROUNDS = 5, 3

Environ = dict[str, Any]


def bare_app(folder: Path) -> Callable:
    """bench/api_lookup.py's bare app, imported from a file as gunicorn would."""
    path = folder / "bench_bare_app.py"
    path.write_text(api_lookup.BARE_APP)
    spec = importlib.util.spec_from_file_location("bench_bare_app", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.app


def environs(count: int, trainees: int, token: str) -> list[Environ]:
    from werkzeug.test import create_environ

    return [create_environ(
        f"/api/v1/workers/worker-{random.randint(1, trainees)}/qualifications",  # noqa: S311
        base_url="http://127.0.0.1:8000",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        for _ in range(count)]


def call_all(app: Callable, batch: list[Environ]) -> float:
    """Process CPU seconds to answer every environ of the batch, bodies read to the end."""
    statuses = []

    def start_response(status: str, headers: list, exc_info: Any = None) -> Callable:
        statuses.append(status)
        return lambda data: None

    started = time.process_time()
    for environ in batch:
        answer = app(environ, start_response)
        try:
            for _ in answer:
                pass
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
    spent = time.process_time() - started
    wrong = [status for status in statuses if not status.startswith("200")]
    if wrong:
        raise RuntimeError(f"{len(wrong)} lookups answered {wrong[0]}")
    return spent


def profile(app: Callable, batch: list[Environ], top: int) -> None:
    profiler = cProfile.Profile(time.process_time)  # CPU, not waiting for the database
    profiler.enable()
    call_all(app, batch)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    api_lookup.log(out.getvalue())


def run(quick: bool, base_url: str, redis_url: str | None, top: int) -> None:
    from bootcamp.users.passwords import hash_password

    size = api_lookup.QUICK  # the rows' count hardly changes this process's CPU
    calls, rounds = (QUICK_CALLS, QUICK_ROUNDS) if quick else (FULL_CALLS, FULL_ROUNDS)
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-cpu-")))
        url = stack.enter_context(api_lookup.fresh_schema(base_url))
        env = api_lookup.app_environment(url, redis_url, work / "instance")
        os.environ.update(env)
        if not redis_url:
            os.environ.pop("REDIS_URL", None)
        token = api_lookup.migrate_and_seed(url)
        api_lookup.bulk_load(url, size, hash_password("bench-password"))

        from bootcamp import create_app

        apps = {"lookup": create_app(), "bare": bare_app(work)}
        for app in apps.values():
            call_all(app, environs(min(calls, 200), size.trainees, token))  # warm up
        best: dict[str, float] = {}
        for _ in range(rounds):
            for name, app in apps.items():
                spent = call_all(app, environs(calls, size.trainees, token)) / calls
                best[name] = min(best.get(name, spent), spent)
        if top:
            profile(apps["lookup"], environs(calls, size.trainees, token), top)
        with apps["lookup"].app_context():
            from bootcamp.extensions import db

            db.engine.dispose()
    print(f"redis_limiter: {int(bool(redis_url))}")
    print(f"calls_per_round: {calls}")
    print(f"lookup_cpu_ms: {best['lookup'] * 1000:.3f}")
    print(f"bare_cpu_ms: {best['bare'] * 1000:.3f}")
    print(f"cpu_ratio: {best['bare'] / best['lookup']:.3f}")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_CALLS} lookups a round, {QUICK_ROUNDS} rounds")
    parser.add_argument("--redis-url", default=None,
                        help=f"rate-limit storage for the app ('' for per-process memory; "
                             f"default {api_lookup.DEFAULT_REDIS_URL} when it answers)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print cProfile's top N functions of the lookup on stderr")
    args = parser.parse_args(argv)
    base_url = api_lookup.plain_url(os.environ.get("TEST_DATABASE_URL", "").strip()
                                    or api_lookup.DEFAULT_DATABASE_URL)
    try:
        api_lookup.check_postgres(base_url)
    except api_lookup.Skip as reason:
        api_lookup.log(f"bench/api_lookup_cpu.py {'skipped' if args.quick else 'cannot run'}: "
                       f"{reason}")
        print("skipped: 1")
        return 0 if args.quick else 2
    redis_url = args.redis_url
    if redis_url is None:
        redis_url = (api_lookup.DEFAULT_REDIS_URL
                     if api_lookup.redis_answers(api_lookup.DEFAULT_REDIS_URL) else "")
    run(args.quick, base_url, redis_url or None, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
