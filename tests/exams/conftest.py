"""Fixtures of the exam tests: the three courses with an exam of tests/factories.py.

- The taking course (`exam_course`, with `exam_staff`, `exam_trainee` and the trainee's `taker`
  client): mixed item kinds and critical items, golds with markers that a scan of every
  response can look for (tests.factories.gold_leaks).
- `world`: the exam services' course of choice items on shoes, hats and towels.
- `setup`: the instructor pages' course (one attempt, every item needed to pass).

Everything is built through the services; nothing here is autouse.
"""

from __future__ import annotations

import pytest
from flask import Flask

from bootcamp.users.models import Role, User
from tests.factories import (
    ExamWorld,
    Taker,
    make_exam_course,
    make_manage_world,
    make_world,
    signed_in,
)


@pytest.fixture
def exam_staff(make_user) -> User:
    return make_user(Role.INSTRUCTOR)


@pytest.fixture
def exam_trainee(make_user) -> User:
    return make_user(Role.TRAINEE)


@pytest.fixture
def exam_course(app: Flask, exam_staff: User, exam_trainee: User) -> int:
    return make_exam_course(app, exam_staff, (exam_trainee,))


@pytest.fixture
def taker(app: Flask, exam_course: int, exam_trainee: User) -> Taker:
    return Taker(signed_in(app, exam_trainee), [])


@pytest.fixture
def world(app: Flask, make_user) -> ExamWorld:
    return make_world(app, make_user)


@pytest.fixture
def setup(app: Flask, make_user) -> ExamWorld:
    return make_manage_world(app, make_user)
