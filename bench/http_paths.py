"""Benchmark: the pages trainees hit all day, under gunicorn, beside bare Flask.

Run from the repository root: `python bench/http_paths.py [--quick]`. It needs PostgreSQL
(TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test) and `wrk`
(`apt-get install wrk`); with --quick it skips (exit 0, saying why on stderr and printing
`skipped: 1`) when either is missing.

1. A fresh schema of its own is created in that database (so it never meets a test run's
   tables) and migrated; the example courses are imported, the clothing course gets a 43-page
   manual as a new published version (bench/manual_diff.py's generator), and 200 trainees (40
   with --quick) are enrolled in every course, each with an open exam attempt in every course.
2. The app and a bare Flask JSON endpoint are served by gunicorn with 2 sync workers, the same
   way (bench/api_lookup.py's helpers). Every trainee logs in through the login form; the
   session cookies and CSRF tokens go to `wrk -t2 -c16 --latency` Lua scripts that send each
   request as a random logged-in trainee.
3. For each path it prints `<path>_rps`, `<path>_p99_ms`, `<path>_vs_bare` (of req/s) and
   `<path>_non2xx` (answers other than the expected 2xx, and socket errors). Paths take turns
   with bare Flask for 2 rounds (1 with --quick) and each one's best round counts: on a shared
   machine it is the one least disturbed by others. The exam submit runs last, once: each
   request submits one of the open attempts (the clothing exams last; theirs is sequential, so
   the post is its "Next items": the decision on the first block, which draws the next), and
   wrk stops when none is left.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api_lookup import (  # noqa: E402  (the repository root must be on the path first)
    BARE_APP,
    DEFAULT_DATABASE_URL,
    GUNICORN,
    Skip,
    app_environment,
    check_postgres,
    fresh_schema,
    log,
    parse_wrk,
    plain_url,
    serve,
)

COURSE = "clothing-tagging"
PASSWORD = "bench-password-1"  # noqa: S105  (a throwaway account in a throwaway schema)
MANUAL_PAGES = 43
BARE_PATH = "/api/v1/workers/bare/qualifications"


@dataclass(frozen=True)
class Size:
    trainees: int
    seconds: int  # per wrk run
    warmup: int  # seconds of wrk before each path's first run
    rounds: int


FULL = Size(trainees=200, seconds=8, warmup=2, rounds=2)
QUICK = Size(trainees=40, seconds=2, warmup=1, rounds=1)


@dataclass(frozen=True)
class Trainee:
    """What a logged-in trainee's requests carry, and the attempts they may touch."""

    email: str
    attempt: int  # the open clothing attempt
    position: int  # an item of it to autosave
    answer: Any  # a well-formed answer to that item
    others: tuple[int, ...]  # open attempts in the other courses


# --- the data -------------------------------------------------------------------------------


def manual_43_pages(base: str) -> str:
    """The clothing manual followed by 43 pages of generated rules (a fixed seed)."""
    from bench.manual_diff import generate

    parts = generate(random.Random(43), MANUAL_PAGES)  # noqa: S311  (the same text every run)
    return base.rstrip("\n") + "\n\n" + "\n\n".join(part.markdown() for part in parts) + "\n"


def load(url: str, size: Size) -> tuple[dict[str, Any], list[Trainee]]:
    """Migrate, import the examples, publish the long manual, enrol and start attempts."""
    from flask_migrate import upgrade

    import exams  # noqa: F401  (reads the bundles' exam: blocks)
    from bootcamp import create_app
    from bootcamp.config import normalise_database_url
    from bootcamp.demo import load_examples
    from bootcamp.extensions import db
    from bootcamp.users.models import Role, User
    from bootcamp.users.passwords import hash_password

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
                      "SECRET_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        upgrade()
        courses = load_examples()
        author = User(email="author@bench.example", name="Author", role=Role.INSTRUCTOR,
                      password_hash=hash_password(PASSWORD))
        db.session.add(author)
        clothing = next(course for course in courses if course.slug == COURSE)
        previous = publish_long_manual(clothing, author)
        hashed = hash_password(PASSWORD)
        users = [User(email=f"trainee-{n}@bench.example", name=f"Trainee {n}",
                      role=Role.TRAINEE, password_hash=hashed)
                 for n in range(1, size.trainees + 1)]
        db.session.add_all(users)
        db.session.flush()
        trainees = [start_everything(user, clothing, courses) for user in users]
        paths = practice_paths(clothing)
        db.session.commit()
        db.engine.dispose()
    return {"since": previous, **paths}, trainees


def publish_long_manual(course: Any, author: Any) -> int:
    """A new version: the current manual and 43 pages more; returns the previous number."""
    from courses.services import manuals

    latest = manuals.latest_version(course)
    manuals.save_draft(course, manual_43_pages(latest.markdown), author)
    manuals.publish_draft(course, "Forty-three pages of clarifications.", [], author)
    return latest.number


def start_everything(user: Any, clothing: Any, courses: list[Any]) -> Trainee:
    """Enrol in every course and open an exam attempt in each (those that have exams)."""
    from courses.services import enrolment
    from exams.services import attempts

    opened = {}
    for course in courses:
        enrolment.enrol(user, course, enrolment.EnrollmentSource.SELF)
        try:
            opened[course.id] = attempts.start(user, course)
        except attempts.StartRefused:
            continue
    exam = opened[clothing.id]  # sequential: its first block of 5, which may hold no choice item
    response, item = attempts.graded_items(exam)[0]
    return Trainee(user.email, exam.id, response.position, item.gold,
                   tuple(a.id for cid, a in opened.items() if cid != clothing.id))


def practice_paths(course: Any) -> dict[str, str]:
    """The first choice item of the practice modules, its URL and a right answer."""
    from courses.services import practice

    for module in practice.modules(course):
        for key in module.item_keys:
            item = practice.practice_item(course, key)
            if item is not None and item.kind == "choice":
                return {"practice_path": f"/courses/{course.slug}/practice/{module.id}/{key}",
                        "practice_answer": item.gold}
    raise RuntimeError(f"{course.slug} has no choice item to practise")


# --- logging in -----------------------------------------------------------------------------

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass(frozen=True)
class Session:
    cookie: str
    csrf: str
    trainee: Trainee


def log_in(base: str, trainee: Trainee) -> Session:
    """Log in through the form like a browser; the cookies and a CSRF token for later."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/auth/login", timeout=60).read().decode()  # noqa: S310
    form = {"csrf_token": CSRF_FIELD.search(page).group(1), "email": trainee.email,
            "password": PASSWORD}
    opener.open(base + "/auth/login", urllib.parse.urlencode(form).encode(),  # noqa: S310
                timeout=60).read()
    page = opener.open(f"{base}/courses/{COURSE}", timeout=60).read().decode()  # noqa: S310
    match = CSRF_FIELD.search(page)
    if match is None or not any(cookie.name == "session" for cookie in jar):
        raise RuntimeError(f"{trainee.email} could not log in")
    cookie = "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)
    return Session(cookie, match.group(1), trainee)


# --- the paths ------------------------------------------------------------------------------

LUA = '''\
-- Each request as a random logged-in trainee; answers other than the expected ones counted.
local sessions = {sessions}
local expected = {expected}
local once = {once}
local threads = {{}}
local thread_number = 0
function setup(thread)
  thread_number = thread_number + 1
  thread:set("number", thread_number)
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(os.time() * 1000 + number)
  bad = 0
  counter = number - 2
end
function pick()
  if once then
    counter = counter + 2
    if counter > #sessions then return nil end
    return sessions[counter]
  end
  return sessions[math.random(1, #sessions)]
end
function request()
  local s = pick()
  if s == nil then
    wrk.thread:stop()
    s = sessions[1]
  end
  counter_seq = (counter_seq or 0) + 1
  local headers = {{["Cookie"] = s.cookie, ["X-CSRFToken"] = s.csrf,
                    ["Accept-Encoding"] = "gzip, br"}}
  {make_request}
end
function response(status, headers, body)
  if status ~= expected then
    bad = bad + 1
    last_bad = status
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
    if thread:get("last_bad") then
      io.write(string.format("Last unexpected status: %d\\n", thread:get("last_bad")))
    end
  end
  io.write(string.format("Unexpected answers: %d\\n", total))
end
'''

GET = 'return wrk.format("GET", {path}, headers)'
FORM_POST = ('headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
             '  return wrk.format("POST", {path}, headers, {body})')
JSON_PUT = ('headers["Content-Type"] = "application/json"\n'
            '  return wrk.format("PUT", {path}, headers, {body})')


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of ASCII is a valid Lua string literal


@dataclass(frozen=True)
class Path_:
    """One path to drive: how each request is made, and the status it should answer."""

    name: str
    make_request: str
    expected: int = 200
    once: bool = False  # every session used once (submit), then wrk stops


def paths(data: dict[str, Any]) -> list[Path_]:
    practice_body = ('"csrf_token=" .. s.csrf .. "&answer=" .. '
                     + lua_string(urllib.parse.quote_plus(data["practice_answer"])))
    return [
        Path_("manual_page", GET.format(path=lua_string(f"/courses/{COURSE}/manual"))),
        Path_("changes_page", GET.format(
            path=lua_string(f"/courses/{COURSE}/manual/changes?since={data['since']}"))),
        Path_("training_centre", GET.format(path=lua_string("/courses/"))),
        Path_("course_home", GET.format(path=lua_string(f"/courses/{COURSE}"))),
        Path_("practice_item", GET.format(path=lua_string(data["practice_path"]))),
        Path_("practice_answer", FORM_POST.format(path=lua_string(data["practice_path"]),
                                                  body=practice_body)),
        Path_("exam_page", GET.format(path='"/attempts/" .. s.attempt')),
        Path_("autosave", JSON_PUT.format(
            path='"/attempts/" .. s.attempt .. "/answers/" .. s.position',
            body='"{\\"seq\\": " .. counter_seq .. ", \\"answer\\": " .. s.answer .. "}"')),
    ]


def submit_path() -> Path_:
    return Path_("exam_submit", FORM_POST.format(path='"/attempts/" .. s.attempt .. "/submit"',
                                                 body='"csrf_token=" .. s.csrf'),
                 expected=302, once=True)


def lua_sessions(sessions: list[Session], submit: bool) -> str:
    """A Lua table of the sessions; for the submit, one entry per open attempt."""
    pairs = [(session, session.trainee.attempt) for session in sessions]
    if submit:  # the clothing attempts last: the other courses' attempts go first
        pairs = [(s, other) for s in sessions for other in s.trainee.others] + pairs
    rows = [f"{{cookie={lua_string(session.cookie)}, csrf={lua_string(session.csrf)}, "
            f"attempt={attempt}, position={session.trainee.position}, "
            f"answer={lua_string(json.dumps(session.trainee.answer))}}}"
            for session, attempt in pairs]
    return "{" + ",\n".join(rows) + "}"


def script_for(work: Path, path: Path_, sessions: list[Session]) -> Path:
    script = work / f"{path.name}.lua"
    script.write_text(LUA.format(sessions=lua_sessions(sessions, path.once),
                                 expected=path.expected, once="true" if path.once else "false",
                                 make_request=path.make_request))
    return script


def bare_script(work: Path) -> Path:
    script = work / "bare.lua"
    script.write_text(f'wrk.path = "{BARE_PATH}"\n')
    return script


UNEXPECTED = re.compile(r"^Unexpected answers: (\d+)$", re.M)
SOCKET_TIMEOUTS = re.compile(r"Socket errors: .*timeout (\d+)")


def drive(base: str, script: Path, seconds: int, stops: bool = False) -> dict[str, float]:
    """One wrk run: req/s, p99 and the answers that were not the expected ones. A run whose
    script `stops` wrk (the submit) leaves each stopped connection counted as a timeout,
    without a request to answer: those are not counted."""
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-s", str(script), base]
    done = subprocess.run(command, capture_output=True, text=True, check=True,  # noqa: S603
                          timeout=seconds + 120)
    result = parse_wrk(done.stdout)
    for line in done.stdout.splitlines():  # what went wrong, for the log
        if line.strip().startswith(("Last unexpected", "Socket errors", "Non-2xx")):
            log(f"{script.stem}: {line.strip()}")
    unexpected = UNEXPECTED.search(done.stdout)
    # wrk counts socket errors and >= 400 answers; the script counts every unexpected status.
    errors = result["errors"]
    timeouts = SOCKET_TIMEOUTS.search(done.stdout)
    if stops and timeouts:
        errors -= int(timeouts.group(1))
    result["non2xx"] = max(int(unexpected.group(1)) if unexpected else errors, errors)
    return result


def check(base: str, session: Session, path: str) -> None:
    request = urllib.request.Request(base + path, headers={"Cookie": session.cookie})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
        if answer.status != 200 or answer.url != base + path:
            raise RuntimeError(f"{path} answered {answer.status} at {answer.url}")


def run(size: Size, base_url: str) -> None:
    """Load, serve, log in, drive every path, print; everything made is removed."""
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-http-")))
        url = stack.enter_context(fresh_schema(base_url))
        os.environ["BOOTCAMP_INSTANCE_PATH"] = str(work / "instance")
        started = time.perf_counter()
        data, trainees = load(url, size)
        print(f"load_s: {time.perf_counter() - started:.1f}")
        print(f"trainees: {len(trainees)}", flush=True)
        (work / "bench_bare_app.py").write_text(BARE_APP)
        env = app_environment(url, None, work / "instance")
        env.update({"BOOTCAMP_LOGIN_LIMIT_PER_IP": "1000000 per minute",
                    "BOOTCAMP_LOGIN_LIMIT_PER_DEVICE": "1000000 per minute",
                    "BOOTCAMP_LOGIN_LIMIT_PER_ACCOUNT_AND_IP": "1000000 per minute",
                    "BOOTCAMP_LOGIN_LIMIT_PER_ACCOUNT": "1000000 per minute"})
        app = stack.enter_context(serve("bootcamp:create_app()", env, ROOT, "app"))
        bare = stack.enter_context(serve("bench_bare_app:app", env, work, "bare"))
        with ThreadPoolExecutor(4) as pool:
            sessions = list(pool.map(lambda trainee: log_in(app, trainee), trainees))
        results = measure_all(app, bare, work, data, sessions, size)
    report(results)


def measure_all(app: str, bare: str, work: Path, data: dict[str, Any],
                sessions: list[Session], size: Size) -> dict[str, dict[str, float]]:
    """Paths and bare Flask taking turns; each one's best round, the submit once at the end."""
    bare_lua = bare_script(work)
    runs: dict[str, list[dict[str, float]]] = {"bare": []}
    for path in paths(data):
        script = script_for(work, path, sessions)
        for number in range(size.rounds):
            if number == 0 and size.warmup:
                drive(app, script, size.warmup)
            runs.setdefault(path.name, []).append(drive(app, script, size.seconds))
            runs["bare"].append(drive(bare, bare_lua, size.seconds))
            log(f"round {number + 1} {path.name}: {runs[path.name][-1]}")
    submit = submit_path()
    runs[submit.name] = [drive(app, script_for(work, submit, sessions), size.seconds * 10,
                               stops=True)]
    return {name: max(found, key=lambda result: result["rps"]) for name, found in runs.items()}


def report(results: dict[str, dict[str, float]]) -> None:
    bare = results["bare"]
    print(f"bare_rps: {bare['rps']:.0f}")
    print(f"bare_p99_ms: {bare['p99_ms']:.2f}")
    for name, result in results.items():
        if name == "bare":
            continue
        print(f"{name}_rps: {result['rps']:.1f}")
        print(f"{name}_p99_ms: {result['p99_ms']:.2f}")
        print(f"{name}_vs_bare: {result['rps'] / bare['rps']:.3f}")
        print(f"{name}_non2xx: {result['non2xx']}")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="40 trainees, 2 s per wrk run, one round")
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    base_url = plain_url(os.environ.get("TEST_DATABASE_URL", "").strip()
                         or DEFAULT_DATABASE_URL)
    try:
        if shutil.which("wrk") is None:
            raise Skip("wrk is not installed: apt-get install wrk (Debian/Ubuntu), "
                       "brew install wrk (macOS)")
        if not GUNICORN.exists():
            raise Skip(f"gunicorn is not installed beside {sys.executable}")
        check_postgres(base_url)
    except Skip as reason:
        log(f"bench/http_paths.py {'skipped' if args.quick else 'cannot run'}: {reason}")
        print("skipped: 1")
        return 0 if args.quick else 2
    run(size, base_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
