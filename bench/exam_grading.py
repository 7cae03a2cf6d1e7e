"""Benchmark: grade a 50-item mixed exam end to end through exams.services.attempts.submit.

Run from the repository root: `python bench/exam_grading.py [--quick]`. It builds its own
database: a temporary SQLite file, or, when TEST_DATABASE_URL is set, a fresh schema in that
PostgreSQL database, migrated with the real migrations and removed at the end. The course is
made through the services: a published manual, 50 exam items (15 boxes items with 20 gold
boxes and 20 answered boxes each, 8 points items, 9 spans items, 9 choice and 9 labels items,
generated from a fixed seed) and exam rules drawing all 50. Each run takes a fresh trainee,
starts an attempt (attempts.start), saves an answer to every item (attempts.save_answer),
commits, then times `attempts.submit(attempt)` **and the commit after it**: locking, scoring
every response with the graders, storing the results, the event, the qualification change and
the transaction's commit. Prints `metric: value` lines (the database's name goes to stderr, so
that stdout stays numeric):
grade_exam_ms (median), grade_exam_p95_ms, grade_exam_min_ms, items, runs.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scoring import boxes_item, points_item, spans_item  # noqa: E402

ITEMS = 50
MIX = {"boxes": 15, "points": 8, "spans": 9, "choice": 9, "labels": 9}
SECTIONS = ["cars", "people", "calls", "clothing", "general"]
MANUAL = "# Benchmark course {#general}\n\nRead everything.\n\n" + "\n\n".join(
    f"## {name.capitalize()} {{#{name}}}\n\nThe rules on {name}." for name in SECTIONS[:-1])
OPTIONS = ["shirt", "shoe", "towel", "hat", "scarf", "armour"]


def natives_and_answers(rng: random.Random) -> tuple[list[dict], dict[str, object]]:
    """50 exam items in the native format, and the answer a trainee gives to each (by id)."""
    natives, answers = [], {}
    for kind, count in MIX.items():
        for n in range(count):
            key = f"{kind}-{n:02d}"
            if kind == "boxes":
                spec, gold, answer = boxes_item(rng, 20)
            elif kind == "points":
                spec, gold, answer = points_item(rng, 3)
            elif kind == "spans":
                spec, gold, answer = spans_item(rng, 20)
            elif kind == "choice":
                spec = {"options": OPTIONS[:4]}
                gold, answer = "shirt", rng.choice(OPTIONS[:4])
            else:
                spec = {"options": OPTIONS}
                gold, answer = ["shirt", "shoe", "hat"], rng.sample(OPTIONS, 3)
            natives.append({
                "id": key, "kind": kind, "prompt": f"Question {key}", "media": None,
                "spec": spec, "gold": gold, "explanation": "", "critical": n == 0,
                "sections": [SECTIONS[len(natives) % len(SECTIONS)]], "pools": ["exam"]})
            answers[key] = answer
    return natives, answers


class Database:
    """A throwaway database URL: a temporary SQLite file or its own PostgreSQL schema."""

    def __init__(self) -> None:
        self.base = os.environ.get("TEST_DATABASE_URL", "").strip()
        self.folder = Path(tempfile.mkdtemp(prefix="bench-exam-"))
        self.schema = f"bench_{uuid.uuid4().hex[:12]}"
        self.name = "postgresql" if self.base else "sqlite"

    def __enter__(self) -> str:
        if not self.base:
            return "sqlite:///" + str(self.folder / "bench.sqlite3")
        import psycopg

        from bootcamp.config import normalise_database_url

        url = normalise_database_url(self.base)
        with psycopg.connect(self._plain(), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{self.schema}"')
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}options={quote(f'-csearch_path={self.schema}')}"

    def _plain(self) -> str:
        return self.base.replace("postgresql+psycopg://", "postgresql://")

    def __exit__(self, *exc) -> None:
        if self.base:
            import psycopg

            with psycopg.connect(self._plain(), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{self.schema}" CASCADE')
        shutil.rmtree(self.folder, ignore_errors=True)


def build_course(natives: list[dict]):
    """The course, its manual and items, and exam rules that draw every item (committed)."""
    from bootcamp.extensions import db
    from bootcamp.users.models import Role
    from bootcamp.users.services import create_user
    from courses.models import CourseStatus
    from courses.services import catalog, items, manuals
    from exams.services import settings

    author = create_user("author@example.com", "a long bench passphrase", "", Role.INSTRUCTOR)
    course = catalog.create_course(catalog.CourseFields(slug="bench-exam", title="Bench exam",
                                                     status=CourseStatus.OPEN),
                                   author)
    manuals.save_draft(course, MANUAL, author)
    manuals.publish_draft(course, "", [], author)
    items.upsert_items(course, natives, author, "benchmark")
    settings.save_settings(course, settings.ExamRules(
        item_count=ITEMS, quotas={}, shuffle=False, pass_mark=0.8, critical_rule=True,
        time_limit_seconds=None, attempts_allowed=None, retry_delay_seconds=0,
        validity_days=None), author)
    db.session.commit()
    return course


def one_run(course, answers: dict[str, object], number: int) -> float:
    """A fresh trainee's attempt, answered and saved; the seconds submit + commit take."""
    from bootcamp.extensions import db
    from bootcamp.users.models import Role
    from bootcamp.users.services import create_user
    from courses.models import Item
    from exams.services import attempts

    trainee = create_user(f"trainee{number}@example.com", "a long bench passphrase", "",
                          Role.TRAINEE)
    attempt = attempts.start(trainee, course)
    keys = dict(db.session.query(Item.id, Item.key).filter(Item.course_id == course.id).all())
    for response in attempt.responses:
        attempts.save_answer(attempt, response.position, answers[keys[response.item_id]], 1)
    db.session.commit()
    db.session.expire_all()  # submit reads from the database, as a fresh request would
    start = time.perf_counter()
    graded = attempts.submit(attempt)
    db.session.commit()
    elapsed = time.perf_counter() - start
    if graded.score is None or len(graded.responses) != ITEMS:
        raise RuntimeError(f"attempt {graded.id} was not graded with {ITEMS} items")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--runs", type=int, help="timed runs (default 25, quick 3)")
    args = parser.parse_args()
    runs = args.runs or (3 if args.quick else 25)
    instance = tempfile.mkdtemp(prefix="bench-exam-instance-")
    os.environ["BOOTCAMP_INSTANCE_PATH"] = instance  # keep generated secrets out of the checkout
    from argon2 import PasswordHasher, profiles
    from flask_migrate import upgrade

    from bootcamp import create_app
    from bootcamp.extensions import db
    from bootcamp.users import passwords

    # Accounts are set up, not measured: the cheapest password hash keeps that quick.
    passwords._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    natives, answers = natives_and_answers(random.Random(20261130))  # noqa: S311 - test data
    database = Database()
    try:
        with database as url:
            app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SERVER_NAME": None,
                              "SQLALCHEMY_DATABASE_URI": url,
                              "RATELIMIT_STORAGE_URI": "memory://"})
            with app.app_context():
                upgrade()
                course = build_course(natives)
                one_run(course, answers, 0)  # warm-up: imports, caches, prepared statements
                times = sorted(one_run(course, answers, n) for n in range(1, runs + 1))
                db.session.remove()
                db.engine.dispose()
    finally:
        shutil.rmtree(instance, ignore_errors=True)
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(f"grade_exam_ms: {statistics.median(times) * 1000:.1f}")
    print(f"grade_exam_p95_ms: {p95 * 1000:.1f}")
    print(f"grade_exam_min_ms: {times[0] * 1000:.1f}")
    print(f"items: {ITEMS}")
    print(f"runs: {runs}")
    sys.stdout.flush()
    print(f"database: {database.name}", file=sys.stderr)


if __name__ == "__main__":
    main()
