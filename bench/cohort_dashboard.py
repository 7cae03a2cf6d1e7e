"""Benchmark: the cohort dashboard's and the progress table's queries as a course grows.

Run from the repository root: `python bench/cohort_dashboard.py [--quick]`. It needs PostgreSQL
(TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test); with --quick it skips
(exit 0, saying why on stderr and printing `skipped: 1`) when it is not reachable.

Why: the dashboards gather every trainee's facts in a fixed number of grouped queries, so
their time grows with the history, not with the number of queries. This shows how fast.

1. A fresh schema is created in that database and migrated; the example courses are imported
   (the clothing course brings a published manual, practice modules and exam items).
2. Plain SQL (INSERT ... SELECT generate_series) loads the clothing course's trainees in
   cohorts of 50 starting two weeks apart, each with a history by how far they got (a tenth
   enrol only, others read part or all of the manual, practise 40 to 280 items, take the
   exam; 30 % qualify, 10 % use every attempt; everyone else's history ends in the past, so
   most of them count as dropped out): about 200 events per trainee, their practice answers,
   exam attempts with 20 saved answers each, qualifications and their history. The practice
   summaries that the ORM keeps on every flush are then rebuilt for the course
   (courses.models.rebuild_summaries), as plain SQL bypasses the ORM.
3. Three sizes, 1x, 4x and 16x a base (625, 2,500 and 10,000 trainees; 25, 100 and 400 with
   --quick), loaded one on top of the other: after each, in-process inside an app context, it
   times `exams.services.cohort_stats.course_stats` for the course (the dashboard page) and
   for one cohort, and `exams.services.progress.course_progress` (the progress table), the
   median of a few runs each, and prints `dashboard_ms_Nx`, `cohort_dashboard_ms_Nx`,
   `progress_ms_Nx`, with `trainees_Nx` and `events_Nx`; `timing_ms_Nx`, measuring the
   course home's step times afresh (`exams.services.timing.course_timing`, fresh=True); and
   `course_home_ms_Nx`, what a course home view adds for one trainee: their progress
   (`exams.services.progress.trainee_progress`) and the step times as the page gets them
   (the process's cached copy).

`--profile` also prints (on stderr) cProfile's top functions for the largest size. The schema
is dropped at the end, whatever happened.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api_lookup import (  # noqa: E402  (the repository root must be on the path first)
    DEFAULT_DATABASE_URL,
    Skip,
    check_postgres,
    fresh_schema,
    log,
    plain_url,
)

COURSE = "clothing-tagging"
COHORT_SIZE = 50
SCALES = (1, 4, 16)
EXAM_ITEMS = 20  # saved answers per attempt
# Practice answers by depth (trainee number % 10): how far each tenth of the trainees got.
# 0 enrolled only; 1 read half the manual; 2-3 read it all and practised a little; 4-5 practise
# on; 6 failed every attempt; 7-9 qualified at the first attempt.
PRACTICE = (0, 0, 40, 120, 280, 280, 280, 280, 280, 280)


@dataclass(frozen=True)
class Size:
    base: int  # trainees at 1x
    runs: int  # timed runs per query and size (the median counts)


FULL = Size(base=625, runs=3)
QUICK = Size(base=25, runs=3)


def migrate(url: str) -> None:
    """Migrate the schema and import the example courses (published manuals, items)."""
    from flask_migrate import upgrade

    import exams  # noqa: F401  (reads the bundles' exam: blocks)
    from bootcamp import create_app
    from bootcamp.config import normalise_database_url
    from bootcamp.demo import load_examples
    from bootcamp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
                      "SECRET_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        upgrade()
        load_examples()
        db.session.commit()
        db.engine.dispose()


def course_facts(conn: Any) -> dict[str, Any]:
    """The clothing course's id, latest published version, its sections and its items."""
    row = conn.execute("""
        SELECT c.id, v.id, v.number, v.outline, coalesce(s.attempts_allowed, 3)
        FROM courses c
        JOIN LATERAL (SELECT id, number, outline FROM manual_versions mv
                      WHERE mv.course_id = c.id AND mv.status = 'published'
                      ORDER BY number DESC LIMIT 1) v ON true
        LEFT JOIN exam_settings s ON s.course_id = c.id
        WHERE c.slug = %s""", (COURSE,)).fetchone()
    if row is None:
        raise RuntimeError(f"the example course {COURSE} was not imported")
    course_id, version_id, number, outline, attempts = row
    sections = [entry["id"] for entry in outline]
    items = conn.execute("""
        SELECT key, CASE WHEN jsonb_array_length(sections) > 0 THEN sections->>0 ELSE '' END,
               pools ? 'practice'
        FROM items WHERE course_id = %s AND status = 'active' ORDER BY position, id""",
                         (course_id,)).fetchall()
    practice = [(key, module if module in sections else "_other")
                for key, module, is_practice in items if is_practice]
    if not sections or not practice or not items:
        raise RuntimeError(f"{COURSE} needs a published manual and practice items")
    return {"course": course_id, "version": version_id, "number": number,
            "sections": sections, "practice_keys": [key for key, _ in practice],
            "practice_modules": [module for _, module in practice],
            "exam_keys": [key for key, _, _ in items], "attempts": attempts}


def load(url: str, first: int, last: int, facts: dict[str, Any]) -> None:
    """Trainees number `first`..`last` (inclusive) of the clothing course with their history,
    in SQL; the trainee's number decides their cohort, how far they got and their timing."""
    import psycopg

    params = {**facts, "first": first, "last": last, "cohort_size": COHORT_SIZE,
              "practice": list(PRACTICE), "exam_items": EXAM_ITEMS,
              "nsections": len(facts["sections"]), "npractice": len(facts["practice_keys"]),
              "nexam": len(facts["exam_keys"])}
    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        # Cohorts of 50, two weeks apart (26 start dates a year, the oldest a year ago).
        conn.execute("""
            INSERT INTO cohorts (course_id, name, starts_on, created_at)
            SELECT %(course)s, 'Cohort ' || c, current_date - 7 - (c %% 26) * 14, now()
            FROM generate_series((%(first)s::int - 1) / %(cohort_size)s + 1,
                                 (%(last)s::int - 1) / %(cohort_size)s + 1) c
            WHERE NOT EXISTS (SELECT 1 FROM cohorts WHERE name = 'Cohort ' || c)""", params)
        conn.execute("""
            INSERT INTO users (email, name, password_hash, role, created_at)
            SELECT 'trainee-' || g || '@bench.example', 'Trainee ' || g, 'x', 'trainee',
                   now() - interval '400 days'
            FROM generate_series(%(first)s::int, %(last)s::int) g""", params)
        conn.execute("DROP TABLE IF EXISTS bench_plan")
        conn.execute("""
            CREATE TEMP TABLE bench_plan AS
            SELECT u.id AS user_id, g, g %% 10 AS depth, co.id AS cohort_id,
                   co.starts_on + (g %% 3) * interval '5 hours' AS enrolled_at,
                   (%(practice)s::int[])[g %% 10 + 1] AS practised,
                   CASE WHEN g %% 10 = 0 THEN 0 WHEN g %% 10 = 1 THEN %(nsections)s / 2 + 1
                        ELSE %(nsections)s END AS reads,
                   CASE WHEN g %% 10 = 6 THEN %(attempts)s WHEN g %% 10 >= 7 THEN 1
                        ELSE 0 END AS attempts
            FROM generate_series(%(first)s::int, %(last)s::int) g
            JOIN users u ON u.email = 'trainee-' || g || '@bench.example'
            JOIN cohorts co ON co.course_id = %(course)s
                           AND co.name = 'Cohort ' || ((g - 1) / %(cohort_size)s + 1)""",
                     params)
        conn.execute("""
            INSERT INTO enrollments (user_id, course_id, cohort_id, source, created_at)
            SELECT user_id, %(course)s, cohort_id, 'email_list', enrolled_at
            FROM bench_plan""", params)
        # Event k of a trainee: enrolled, the manual opened, sections read, practice answers;
        # 30 events a day, 40 to 120 s apart, one day after another.
        conn.execute("""
            INSERT INTO events (user_id, course_id, kind, created_at, data)
            SELECT p.user_id, %(course)s,
                   CASE WHEN k = 0 THEN 'enrolled' WHEN k = 1 THEN 'manual_opened'
                        WHEN k < 2 + p.reads THEN 'section_read'
                        ELSE 'practice_answered' END,
                   p.enrolled_at + (k / 30) * interval '1 day'
                       + (k %% 30) * (40 + (p.g * 7 + k) %% 80) * interval '1 second',
                   CASE WHEN k = 1 THEN jsonb_build_object('version', %(number)s)
                        WHEN k < 2 + p.reads THEN jsonb_build_object(
                            'version', %(number)s,
                            'section', (%(sections)s::text[])[(k - 2) %% %(nsections)s + 1])
                        WHEN k >= 2 + p.reads THEN jsonb_build_object(
                            'item', (%(practice_keys)s::text[])[(p.g + k) %% %(npractice)s + 1],
                            'module',
                            (%(practice_modules)s::text[])[(p.g + k) %% %(npractice)s + 1])
                        ELSE '{}'::jsonb END
            FROM bench_plan p
            CROSS JOIN LATERAL generate_series(
                0, CASE WHEN p.depth = 0 THEN 0 ELSE 1 + p.reads + p.practised END) k""",
                     params)
        # The items come round in bank order, so every answer is a first try and a module's
        # round ends with every size-th answer in it (the practice service's rule, simplified:
        # a trainee's first round may start mid-module).
        conn.execute("""
            INSERT INTO practice_answers (user_id, course_id, item_id, item_revision, module,
                                          answer, points, correct, details, created_at,
                                          round_number, counts, ends_round)
            SELECT e.user_id, e.course_id, i.id, i.revision, e.module, '[]'::jsonb,
                   x.ok::int, x.ok, '{}'::jsonb, e.created_at, (e.r - 1) / m.size + 1, true,
                   e.r %% m.size = 0
            FROM (SELECT *, data->>'module' AS module,
                         row_number() OVER (PARTITION BY user_id, data->>'module'
                                            ORDER BY created_at, id) AS r
                  FROM events
                  WHERE course_id = %(course)s AND kind = 'practice_answered') e
            JOIN bench_plan p ON p.user_id = e.user_id
            JOIN items i ON i.course_id = e.course_id AND i.key = e.data->>'item'
            JOIN (SELECT module, count(*) AS size
                  FROM unnest(%(practice_modules)s::text[]) AS module GROUP BY module) m
              ON m.module = e.module
            CROSS JOIN LATERAL (SELECT (e.id::bigint * 7919 + p.g) %% 100
                                       < 55 + (p.g %% 4) * 12 AS ok) x""", params)
        # Exam attempts two days after the last practice answer, one every two days.
        conn.execute("""
            INSERT INTO attempts (user_id, course_id, kind, cycle, number, manual_version_id,
                                  state, started_at, deadline, submitted_at, closed_by,
                                  pass_mark, critical_rule, score, passed, critical_missed)
            SELECT p.user_id, %(course)s, 'qualification', 1, a, %(version)s, 'graded', t,
                   t + interval '30 minutes', t + interval '16 minutes', 'trainee', 0.8, true,
                   CASE WHEN p.depth = 6 THEN 0.5 + (p.g %% 5) * 0.05
                        ELSE 0.8 + (p.g %% 5) * 0.04 END,
                   p.depth <> 6, '[]'::jsonb
            FROM bench_plan p
            CROSS JOIN LATERAL generate_series(1, p.attempts) a
            CROSS JOIN LATERAL (
                SELECT p.enrolled_at + ((1 + p.reads + p.practised) / 30 + 2 * a)
                       * interval '1 day' AS t) x""", params)
        conn.execute("""
            INSERT INTO responses (attempt_id, position, item_id, answer, answer_seq, saved_at,
                                   item_revision, points, correct, details)
            SELECT a.id, r, i.id, '[]'::jsonb, 1, a.started_at + r * interval '45 seconds',
                   i.revision, x.ok::int, x.ok, '{}'::jsonb
            FROM attempts a
            JOIN bench_plan p ON p.user_id = a.user_id
            CROSS JOIN LATERAL generate_series(1, %(exam_items)s) r
            JOIN items i ON i.course_id = a.course_id
                        AND i.key = (%(exam_keys)s::text[])[(a.id + r) %% %(nexam)s + 1]
            CROSS JOIN LATERAL (SELECT (a.id + r) %% 10 < 8 AS ok) x""", params)
        conn.execute("""
            INSERT INTO events (user_id, course_id, kind, created_at, data)
            SELECT a.user_id, a.course_id, s.kind, s.at, jsonb_build_object('attempt', a.id)
            FROM attempts a
            JOIN bench_plan p ON p.user_id = a.user_id
            CROSS JOIN LATERAL (VALUES ('exam_started', a.started_at),
                                       ('exam_submitted', a.submitted_at)) s(kind, at)""")
        conn.execute("""
            INSERT INTO qualifications (user_id, course_id, status, cycle, score,
                                        manual_version_id, attempt_id, granted_at,
                                        refresh_sections, updated_at)
            SELECT a.user_id, a.course_id,
                   CASE WHEN a.passed THEN 'qualified' ELSE 'failed' END::qualification_status,
                   1, a.score, CASE WHEN a.passed THEN a.manual_version_id END,
                   CASE WHEN a.passed THEN a.id END,
                   CASE WHEN a.passed THEN a.submitted_at END, '[]'::jsonb, a.submitted_at
            FROM attempts a
            JOIN bench_plan p ON p.user_id = a.user_id
            WHERE a.number = p.attempts""")
        conn.execute("""
            INSERT INTO qualification_changes (qualification_id, from_status, to_status, reason,
                                               attempt_id, created_at)
            SELECT q.id, 'in_training', q.status::text, 'loaded by bench/cohort_dashboard.py',
                   q.attempt_id, q.updated_at
            FROM qualifications q JOIN bench_plan p ON p.user_id = q.user_id""")
        conn.commit()
    summarise(url, facts["course"])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")


def summarise(url: str, course_id: int) -> None:
    """The practice summaries of the course, as every flush of answers keeps them (the plain
    SQL above bypasses the ORM that keeps them)."""
    from sqlalchemy import create_engine

    from bootcamp.config import normalise_database_url
    from courses.models import rebuild_summaries

    engine = create_engine(normalise_database_url(url))
    with engine.begin() as connection:
        rebuild_summaries(connection, course_id)
    engine.dispose()


def count(url: str, table: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608


def median_ms(work: Callable[[], object], runs: int) -> float:
    """The median wall time of `runs` calls, after one untimed warm-up call."""
    from bootcamp.extensions import db

    work()
    times = []
    for _ in range(runs):
        db.session.expunge_all()  # each run reads the rows again, as a new request would
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    db.session.rollback()
    return statistics.median(times)


def measure(app: Any, runs: int, profile: bool) -> dict[str, float]:
    """The median times of the dashboard's (course and one cohort) and progress's queries."""
    from sqlalchemy import func, select

    from bootcamp.extensions import db
    from bootcamp.users.models import User
    from courses.models import Cohort, Course, Enrollment
    from exams.services.cohort_stats import course_stats
    from exams.services.progress import course_progress, trainee_progress
    from exams.services.timing import course_timing

    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == COURSE))
        course_id = course.id
        cohort_id = db.session.scalar(
            select(Enrollment.cohort_id).where(Enrollment.course_id == course_id)
            .group_by(Enrollment.cohort_id).order_by(func.count().desc(), Enrollment.cohort_id)
            .limit(1))
        trainee_id = db.session.scalar(
            select(Enrollment.user_id).where(Enrollment.course_id == course_id,
                                             Enrollment.cohort_id == cohort_id)
            .order_by(Enrollment.user_id.desc()).limit(1))
        now = datetime.now(UTC)

        def whole() -> object:
            return course_stats(db.session.get(Course, course_id), now=now)

        def cohort() -> object:
            return course_stats(db.session.get(Course, course_id),
                                cohort=db.session.get(Cohort, cohort_id), now=now)

        def progress() -> object:
            return course_progress(db.session.get(Course, course_id), now=now)

        def honest_time() -> object:
            return course_timing(db.session.get(Course, course_id), fresh=True)

        def course_home() -> object:
            """What the course home adds for a trainee: their progress and the step times
            (this process's copy, as on every view but the first in ten minutes)."""
            course = db.session.get(Course, course_id)
            return (trainee_progress(db.session.get(User, trainee_id), course, now=now),
                    course_timing(course))

        found = {"dashboard": median_ms(whole, runs), "cohort_dashboard": median_ms(cohort, runs),
                 "progress": median_ms(progress, runs), "timing": median_ms(honest_time, runs),
                 "course_home": median_ms(course_home, runs)}
        if profile:
            for name, work in (("dashboard", whole), ("cohort_dashboard", cohort),
                               ("progress", progress), ("timing", honest_time)):
                profiler = cProfile.Profile()
                profiler.runcall(work)
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
                log(f"--- cProfile of {name} (cumulative) ---\n{out.getvalue()}")
                db.session.rollback()
        db.engine.dispose()
    return found


def run(size: Size, base_url: str, profile: bool) -> None:
    """Migrate, then load and measure each size on top of the last; the schema is dropped."""
    import psycopg

    from bootcamp import create_app
    from bootcamp.config import normalise_database_url

    with fresh_schema(base_url) as url:
        started = time.perf_counter()
        migrate(url)
        print(f"migrate_s: {time.perf_counter() - started:.1f}", flush=True)
        with psycopg.connect(url) as conn:
            facts = course_facts(conn)
        app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
                          "SECRET_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://"})
        loaded = 0
        for scale in SCALES:
            trainees = size.base * scale
            started = time.perf_counter()
            load(url, loaded + 1, trainees, facts)
            loaded = trainees
            events = count(url, "events")
            print(f"load_s_{scale}x: {time.perf_counter() - started:.1f}")
            print(f"trainees_{scale}x: {trainees}")
            print(f"events_{scale}x: {events}")
            print(f"practice_answers_{scale}x: {count(url, 'practice_answers')}", flush=True)
            found = measure(app, size.runs, profile and scale == SCALES[-1])
            for name, value in found.items():
                print(f"{name}_ms_{scale}x: {value:.0f}", flush=True)
                log(f"{scale}x {name}: {value:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="25, 100 and 400 trainees, 3 runs each")
    parser.add_argument("--profile", action="store_true",
                        help="print cProfile's top functions at the largest size on stderr")
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    base_url = plain_url(os.environ.get("TEST_DATABASE_URL", "").strip()
                         or DEFAULT_DATABASE_URL)
    try:
        check_postgres(base_url)
    except Skip as reason:
        log(f"bench/cohort_dashboard.py {'skipped' if args.quick else 'cannot run'}: {reason}")
        print("skipped: 1")
        return 0 if args.quick else 2
    run(size, base_url, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
