"""The demo's cohort history, so that every grader dashboard shows something true.

Two cohorts of the clothing course started two weeks apart (about five and three weeks ago),
fifty trainees each. Every trainee follows a seeded plan that stops somewhere along the
course, as real cohorts do: some only enrol, some read part or all of the manual, practise,
master the modules, take the exam; some qualify, some fail, some leave the course, and most of
those who stop go quiet long enough to count as dropped. Before the first cohort started, an
instructor "corrected" one exam item to a wrong gold (a photo of clothing is clothing: the
manual says tag it), so strong trainees miss it, several dispute it, and the item analysis
flags it. Everything goes through the services with an injected clock, dated relative to the
moment the demo runs, so the same seed gives the same numbers on any day.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import Role, User
from bootcamp.users.passwords import hash_password

COURSE = "clothing-tagging"
SEED = 2  # a seed whose history shows the typical picture (tests rely on its numbers)
COHORT_SIZE = 50
# (name, days since it started): two weeks apart, the first about five weeks ago.
COHORTS = (("Cohort A", 33), ("Cohort B", 19))
EMAIL = "{name}@trainees.example.com"
# The item an instructor got wrong: the manual's rule is "a photo of clothing is clothing".
WRONG_GOLD_ITEM = "exam-magazine-photo"
WRONG_GOLD = "No, do not tag it"
MANUAL_ANSWER = "Yes, tag it"
WRONG_GOLD_EXPLANATION = "A photo in a magazine is print, not clothing: do not tag it."
WRONG_GOLD_REASON = "A reviewer asked about magazines: print is not clothing."
WRONG_GOLD_DAYS_AGO = 36
DISPUTE_COMMENT = ("The manual says a photo of clothing is clothing, so the trench coat in the "
                   "magazine should be tagged.")
EXAM_SECONDS = 20 * 60  # an attempt (under the course's time limit) and a dispute after it
# Seconds an exam answer takes: the sequential exam's most items (25), answered this slowly,
# and five hand-ins still fit in EXAM_SECONDS and the course's 20-minute time limit.
ANSWER_SECONDS = (10, 30)
STEEPNESS = 14  # of the logistic curve of a right exam answer against ability (_chance)
STRONG = 0.8  # a trainee this able follows the manual on the wrong-gold item (and disputes it)
MASTERS = 0.85  # an examinee this able masters every practice module first
MASTERY_ACCURACY = 0.88  # the least accuracy of those who practise until they master a module
GIVE_UP = 0.35  # of those who fail the first attempt, who never take the second
DISPUTES = 0.5  # of the strong trainees marked wrong on the wrong-gold item, who dispute it
# Where a trainee's plan stops, and how many of a cohort stop there (weights).
STOPS = (("enrolled", 10), ("reading", 18), ("read", 8), ("practising", 18),
         ("mastered", 5), ("examined", 41))
PACES = (0.5, 1, 1, 1, 2, 4)  # most keep the cohort's pace; some are quicker, some far slower
WITHDRAW_SHARE = 0.1  # of those who stop before qualifying, who click "Leave this course"
FIRST_NAMES = ("Amara", "Ben", "Chen", "Dara", "Elif", "Farid", "Grace", "Hugo", "Ines",
               "Jonas", "Kemi", "Luca", "Maya", "Nikhil", "Olga", "Pablo", "Qi", "Rosa",
               "Samir", "Tess", "Umar", "Vera", "Wen", "Ximena", "Yusuf", "Zoe")
LAST_NAMES = ("Okafor", "Novak", "Silva", "Haddad", "Kowalski", "Nguyen", "Mensah", "Rossi",
              "Tanaka", "Ahmed", "Berg", "Costa", "Dubois", "Eze", "Fischer", "Garcia")


@dataclass(frozen=True)
class Plan:
    """How far one trainee gets, how able they are, how slowly they go (a factor on every
    break) and whether they leave on purpose."""

    stop: str
    ability: float
    pace: float
    withdraws: bool


def seed_cohorts(instructor: User, now: datetime | None = None) -> bool:
    """Create the wrong gold, the two cohorts and their history once; False when the cohorts
    exist already (a second run adds nothing). The caller commits."""
    from courses.services import catalog

    now = now or utcnow()
    course = catalog.find_course(COURSE)
    if course is None or _has_cohorts(course):
        return False
    rng = random.Random(SEED)  # noqa: S311  (a reproducible history, not a secret)
    _wrong_gold(course, instructor, now - timedelta(days=WRONG_GOLD_DAYS_AGO))
    password_hash = hash_password(secrets.token_urlsafe(24))  # nobody logs in as them
    names = _names()
    for name, days_ago in COHORTS:
        _cohort(course, instructor, name, now - timedelta(days=days_ago), now, rng,
                lambda joined: _trainee(next(names), joined, password_hash))
    return True


def refresh_dropout(now: datetime | None = None) -> None:
    """Record who dropped out of the demo course by `now`, as the nightly refresh would."""
    from courses.services import catalog
    from exams.services import dropout

    course = catalog.find_course(COURSE)
    if course is not None:
        dropout.refresh(now or utcnow(), course.id)


def _has_cohorts(course) -> bool:
    from courses.models import Cohort

    names = [name for name, _ in COHORTS]
    return db.session.scalar(select(Cohort.id).where(
        Cohort.course_id == course.id, Cohort.name.in_(names)).limit(1)) is not None


def _wrong_gold(course, instructor: User, when: datetime) -> None:
    """The instructor's mistaken edit of one exam item, through the item editor's service."""
    from courses.services import items

    item = items.find_item(course, WRONG_GOLD_ITEM)
    if item is None or item.gold == WRONG_GOLD:
        return
    fields = items.ItemFields(item.prompt, WRONG_GOLD_EXPLANATION, list(item.sections),
                              list(item.pools), item.critical, item.status)
    items.edit_item(item, fields, WRONG_GOLD, instructor, WRONG_GOLD_REASON, now=when)


def _cohort(course, instructor: User, name: str, starts: datetime, now: datetime,
            rng: random.Random, new_trainee: Callable[[datetime], User]) -> None:
    """One cohort and the history of each of its trainees."""
    from courses.services import enrolment

    cohort = enrolment.create_cohort(course, name, starts.date(), COHORT_SIZE + 10, instructor)
    history = _History(course, now, rng)
    for _ in range(COHORT_SIZE):
        joined = starts + timedelta(hours=rng.uniform(0, 72))
        history.live(new_trainee(joined), cohort, _plan(rng), joined)
        db.session.flush()


def _names() -> Iterator[str]:
    """Distinct full names, from their own generator (the history's draws stay the same)."""
    every = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
    return iter(random.Random(f"{SEED}:names").sample(every, len(every)))  # noqa: S311


def _trainee(name: str, joined: datetime, password_hash: str) -> User:
    """A trainee account that shares one unusable-to-guess password hash (no slow hashing)."""
    user = User(email=EMAIL.format(name=name.lower().replace(" ", ".")), name=name,
                password_hash=password_hash, role=Role.TRAINEE, created_at=joined)
    db.session.add(user)
    db.session.flush()
    return user


def _plan(rng: random.Random) -> Plan:
    stops, weights = zip(*STOPS, strict=True)
    stop = rng.choices(stops, weights)[0]
    ability = rng.uniform(0.5, 1.0) if stop == "examined" else rng.uniform(0.4, 0.95)
    return Plan(stop, ability, rng.choice(PACES), rng.random() < WITHDRAW_SHARE)


class _Stop(Exception):
    """The next step would happen after the demo's `now`: the trainee is not there yet."""


class _History:
    """Plays one trainee's plan through the services, on a clock that only moves forward."""

    def __init__(self, course, now: datetime, rng: random.Random):
        from courses.services import manuals, practice

        self.course, self.now, self.rng = course, now, rng
        self.version = manuals.latest_version(course)
        self.sections = [entry["id"] for entry in self.version.outline]
        self.modules = practice.modules(course)
        self.items = {key: practice.practice_item(course, key)
                      for module in self.modules for key in module.item_keys}
        self.clock = now
        self.plan = Plan("enrolled", 0.5, 1, withdraws=False)
        # How hard each exam item is: the ability at which half the trainees get it right.
        self.hardness = {key: rng.uniform(0.55, 0.8) for key in _exam_keys(course)}

    def tick(self, seconds: float) -> datetime:
        """Move the trainee's clock on; _Stop once it would pass the demo's present."""
        self.ensure(seconds)
        self.clock += timedelta(seconds=seconds)
        return self.clock

    def ensure(self, seconds: float) -> None:
        """_Stop unless `seconds` more fit before the present (an exam is never left open)."""
        if self.clock + timedelta(seconds=seconds) > self.now - timedelta(minutes=10):
            raise _Stop

    def pause(self, low_days: float, high_days: float) -> None:
        """A break between sessions, longer for a slow trainee."""
        self.tick(self.rng.uniform(low_days, high_days) * self.plan.pace * 86_400)

    def live(self, user: User, cohort, plan: Plan, joined: datetime) -> None:
        """Enrol, then go as far as the plan (and the present) allow; maybe leave at the end."""
        from courses.models import EnrollmentSource
        from courses.services import enrolment

        self.clock, self.plan = joined, plan
        enrolment.enrol(user, self.course, EnrollmentSource.EMAIL_LIST, cohort, now=joined)
        qualified = False
        try:
            qualified = self._steps(user, plan)
            if plan.withdraws and not qualified:
                self.pause(0.5, 6)
                enrolment.withdraw(user, self.course, now=self.clock)
        except _Stop:
            pass

    def _steps(self, user: User, plan: Plan) -> bool:
        """The plan's steps in course order; True when the trainee qualified."""
        if plan.stop == "enrolled":
            return False
        self.pause(0.1, 2)
        self._read(user, all_of_it=plan.stop != "reading")
        if plan.stop in ("reading", "read"):
            return False
        self.pause(0.3, 3)
        master = plan.stop == "mastered" or (plan.stop == "examined"
                                             and plan.ability >= MASTERS)
        self._practise(user, plan, master)
        if plan.stop in ("practising", "mastered"):
            return False
        self.pause(0.2, 3)
        return self._exam(user, plan)

    def _read(self, user: User, *, all_of_it: bool) -> None:
        """Open the manual and read its sections in order (part of them, or all)."""
        from courses.services import manuals

        count = (len(self.sections) if all_of_it
                 else self.rng.randint(0, len(self.sections) - 1))
        manuals.record_opened(user, self.course, self.version, now=self.tick(1))
        for section in self.sections[:count]:
            manuals.mark_section_read(user, self.course, self.version, section,
                                      now=self.tick(self.rng.uniform(90, 420)))

    def _practise(self, user: User, plan: Plan, master: bool) -> None:
        """Every module until mastered, or a few answers in the first modules."""
        if master:
            for module in self.modules:
                self._module(user, module, max(plan.ability, MASTERY_ACCURACY),
                             until_mastered=True)
                self.pause(0.05, 1)
            return
        for module in self.modules[:self.rng.randint(1, 3)]:
            self._module(user, module, plan.ability, until_mastered=False)

    def _module(self, user: User, module, ability: float, *, until_mastered: bool) -> None:
        """Answer the module's items round and round (as the practice page serves them)."""
        from courses.practice_modules import first_mastered
        from courses.services import practice

        tries: list[tuple[int, bool, bool, bool]] = []
        limit = 40 if until_mastered else self.rng.randint(3, 9)
        think = _thinking_time(module.id)
        for key in _round_robin(module.item_keys, limit):
            item = self.items[key]
            right = self.rng.random() < ability
            answer = item.gold if right else wrong_answer(item.kind, item.spec, item.gold)
            saved = practice.answer_item(user, self.course, item, answer,
                                         now=self.tick(self.rng.uniform(0.5, 1.5) * think))
            tries.append((saved.round_number, saved.counts, saved.ends_round, saved.correct))
            if until_mastered and first_mastered(tries) is not None:
                return

    def _exam(self, user: User, plan: Plan) -> bool:
        """One attempt, and a second a day or more after a fail (for most); True if passed."""
        from exams.services import attempts
        from exams.services.settings import settings_for

        allowed = settings_for(self.course).attempts_allowed or 1
        delay = settings_for(self.course).retry_delay_seconds
        for number in range(1, allowed + 1):
            if number > 1:
                if self.rng.random() < GIVE_UP:
                    return False
                self.tick(delay + self.rng.uniform(0.1, 4) * 86_400)
            self.ensure(EXAM_SECONDS)
            attempt = attempts.start(user, self.course, now=self.tick(1), rng=self.rng)
            attempt = take_exam(attempt, lambda item, _: self._answer(item, plan),
                                answered_at=lambda: self.tick(self.rng.uniform(*ANSWER_SECONDS)),
                                handed_in_at=lambda: self.tick(self.rng.uniform(20, 60)),
                                rng=self.rng)
            self._maybe_dispute(user, attempt, plan)
            if attempt.passed:
                return True
        return False

    def _answer(self, item, plan: Plan) -> Any:
        """The trainee's answer to an exam item: the wrong-gold item as they understood the
        manual, the others right with a chance that grows with their ability."""
        if item.key == WRONG_GOLD_ITEM:
            return (MANUAL_ANSWER if plan.ability >= STRONG
                    else self.rng.choice(item.spec["options"]))
        if self.rng.random() < _chance(plan.ability, self.hardness[item.key]):
            return item.gold
        return wrong_answer(item.kind, item.spec, item.gold)

    def _maybe_dispute(self, user: User, attempt, plan: Plan) -> None:
        """A strong trainee marked wrong on the wrong-gold item often says so."""
        from courses.models import Item
        from exams.services import disputes

        for response in attempt.responses:
            item = db.session.get(Item, response.item_id)
            if (item.key == WRONG_GOLD_ITEM and not response.correct
                    and plan.ability >= STRONG and self.rng.random() < DISPUTES
                    and not self._disputed(user, item)):
                disputes.open_dispute(user, item, response.answer, DISPUTE_COMMENT,
                                      response=response, now=self.tick(90))

    @staticmethod
    def _disputed(user: User, item) -> bool:
        """One open dispute per trainee and item (the service refuses a second)."""
        from exams.models import Dispute

        return db.session.scalar(select(Dispute.id).where(
            Dispute.user_id == user.id, Dispute.item_id == item.id).limit(1)) is not None


def _chance(ability: float, hardness: float) -> float:
    """The chance of a right answer: a logistic curve, steep enough that the stronger
    trainees get most items right and the items discriminate as good items do."""
    return 1 / (1 + math.exp(-STEEPNESS * (ability - hardness)))


def _thinking_time(module_id: str) -> float:
    """Seconds an answer takes in this module, on average: some rules need more thought. Its
    own generator, so that the trainees' draws do not depend on the modules' names."""
    return random.Random(f"{SEED}:{module_id}").uniform(25, 70)  # noqa: S311


def _exam_keys(course) -> list[str]:
    """The exam pool's item keys in bank order."""
    from courses.models import Item

    return [key for key, pools in db.session.execute(
        select(Item.key, Item.pools).where(Item.course_id == course.id)
        .order_by(Item.position, Item.id)) if "exam" in pools]


def _round_robin(keys: tuple[str, ...], count: int) -> Iterator[str]:
    """`count` keys, cycling through the module in order."""
    for n in range(count):
        yield keys[n % len(keys)]


def take_exam(attempt, answer: Callable[[Any, int], Any], *, answered_at: Callable[[], datetime],
              handed_in_at: Callable[[], datetime], rng: random.Random | None = None):
    """Answer an attempt as its page asks and return it closed: a fixed exam whole, then
    submitted; a sequential one block by block, each hand-in ("Next items") deciding, until
    the test ends it. `answer(item, position)` gives the answer to save to each item."""
    from courses.models import Item
    from exams.services import attempts, sequential_exams

    while attempt.is_open:
        db.session.expire(attempt, ["responses"])  # the block drawn by the last hand-in
        for response in attempt.responses:
            if response.answer_seq == 0:  # not answered yet: the current block's
                attempts.save_answer(attempt, response.position,
                                     answer(db.session.get(Item, response.item_id),
                                            response.position), 1,
                                     now=answered_at())
        attempt = (sequential_exams.advance(attempt, now=handed_in_at(), rng=rng)
                   if attempt.is_sequential else attempts.submit(attempt, now=handed_in_at()))
    return attempt


def wrong_answer(kind: str, spec: dict, gold: Any) -> Any:
    """A well-formed answer that misses (the clothing course has choice and labels items)."""
    from courses import kinds

    options = list(spec.get("options", []))
    reader = kinds.kind_of(kind).reader
    if reader == "one":
        return next(option for option in options if option != gold)
    if reader == "many":
        return [option for option in options if option not in gold] or options[:1]
    return None  # drawn answers: left unanswered
