// Exam pages: autosave of every answer, the timer that follows the server's deadline, and
// countdowns to the next attempt.
//
// The take page (templates/exams/take.html) is one <form id="exam-form"> that, without
// JavaScript, posts every answer with "Submit the exam". With JavaScript each item's
// <section data-position data-answer-reader data-field data-seq> is watched (the reader, from
// the kind's registry entry, says how the answer is read: "one" radio, "many" checkboxes or
// "json" a widget's hidden field); a change is kept in
// localStorage at once (so a reload while offline loses nothing), then, after a short pause,
// PUT to the form's data-save-url (position 0 replaced by the item's) as {answer, seq}. The
// seq only grows (server-corrected milliseconds), so a late, older save never overwrites a
// newer one. Failed saves are retried with backoff and when the browser comes back online.
// While offline a banner says so; "Submit the exam" then waits for the connection (it can be
// called off) and submits when it returns. Submitting with items unanswered first asks, saying
// how many and whether one is critical. The timer tells screen readers when 5 minutes and
// 1 minute are left. A sequential exam's page shows one block at a time and its button is
// "Next items" (the form's data-go-on): the same submit, after which the server shows the
// next block or the result.
const DEBOUNCE_MS = 600;
const MAX_BACKOFF_MS = 30_000;
const FLUSH_BEFORE_SUBMIT_MS = 4_000;

/** Milliseconds to add to Date.now() to get the server's clock (from data-now). */
function clockOffset(element) {
  const server = Date.parse(element?.dataset.now || "");
  return Number.isNaN(server) ? 0 : server - Date.now();
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** "1:02:05" or "12:34" for a number of seconds. */
function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

/** "in 3 days 4 hours", "in 12 minutes", "in 40 seconds". */
function inWords(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (days) return `in ${plural(days, "day")}${hours ? ` ${plural(hours, "hour")}` : ""}`;
  if (hours) return `in ${plural(hours, "hour")}${minutes ? ` ${plural(minutes, "minute")}` : ""}`;
  if (minutes) return `in ${plural(minutes, "minute")}`;
  return `in ${plural(s, "second")}`;
}

// --- Countdowns to the next attempt (exam and result pages). ---------------------------------

for (const element of document.querySelectorAll("[data-countdown]")) {
  const target = Date.parse(element.dataset.countdown);
  if (Number.isNaN(target)) continue;
  const offset = clockOffset(element);
  const tick = () => {
    const left = (target - (Date.now() + offset)) / 1000;
    element.textContent = left > 0 ? ` (${inWords(left)})` : " (now: reload the page)";
    if (left > 0) setTimeout(tick, left > 120 ? 30_000 : 1_000);
  };
  element.hidden = false;
  tick();
}

// --- The take page. ---------------------------------------------------------------------------

/** An answer as text, every object's keys in one order: a drawing tool rewrites its answer when
 * it starts, in its own key order (the page's JSON has them sorted), and the same answer must
 * not be taken for a change and saved again on every load. */
function canonical(answer) {
  return JSON.stringify(answer, (key, value) => (
    value && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(Object.keys(value).sort().map((name) => [name, value[name]]))
      : value));
}

const form = document.getElementById("exam-form");
if (form) startExam(form);

function startExam(form) {
  const attempt = form.dataset.attempt;
  const saveUrl = form.dataset.saveUrl; // …/answers/0
  const token = form.querySelector("input[name=csrf_token]")?.value || "";
  const timer = document.querySelector(".exam-timer[data-deadline]");
  const offset = clockOffset(timer);
  const serverNow = () => Date.now() + offset;
  const storageKey = (position) => `bootcamp-exam-${attempt}-${position}`;
  let lastSeq = 0;
  let closed = false;
  let submitting = false;

  const nextSeq = () => {
    lastSeq = Math.max(lastSeq + 1, Math.floor(serverNow()));
    return lastSeq;
  };

  const storage = {
    get(position) {
      try {
        return JSON.parse(localStorage.getItem(storageKey(position)) || "null");
      } catch {
        return null;
      }
    },
    set(position, entry) {
      try {
        localStorage.setItem(storageKey(position), JSON.stringify(entry));
      } catch {
        // Storage full or disabled: the answer is still sent; only an offline reload loses it.
      }
    },
    remove(position) {
      try {
        localStorage.removeItem(storageKey(position));
      } catch {
        // Nothing to do.
      }
    },
  };

  const items = [...form.querySelectorAll("section.exam-item[data-position]")].map((section) => ({
    section,
    position: Number(section.dataset.position),
    reader: section.dataset.answerReader,
    field: section.dataset.field,
    status: section.querySelector(".save-status"),
    savedSeq: Number(section.dataset.seq || 0),
    debounce: null,
    retry: null,
    failures: 0,
    inflight: false,
    again: false,
    last: null,
  }));

  function setStatus(item, text, state) {
    if (item.status.textContent !== text) item.status.textContent = text;
    item.status.classList.toggle("is-saved", state === "saved");
    item.status.classList.toggle("is-pending", state === "pending");
    item.status.classList.toggle("is-offline", state === "offline");
    item.status.classList.toggle("is-error", state === "error");
  }

  function readAnswer(item) {
    const { section, reader, field } = item;
    if (reader === "one") {
      const ticked = section.querySelector(`input[type=radio][name="${field}"]:checked`);
      return ticked ? ticked.value : null;
    }
    if (reader === "many") {
      return [...section.querySelectorAll(`input[type=checkbox][name="${field}"]:checked`)]
        .map((box) => box.value);
    }
    const input = document.getElementById(`${field}-json`);
    try {
      return JSON.parse(input?.value || "[]");
    } catch {
      return [];
    }
  }

  function showAnswer(item, answer) {
    const { section, reader, field } = item;
    if (reader === "one" || reader === "many") {
      const chosen = reader === "one" ? [answer] : (Array.isArray(answer) ? answer : []);
      for (const box of section.querySelectorAll(`input[name="${field}"]`)) {
        box.checked = chosen.includes(box.value);
      }
      return;
    }
    const input = document.getElementById(`${field}-json`);
    if (input) input.value = JSON.stringify(answer ?? []);
  }

  function changed(item) {
    if (closed) return;
    const answer = readAnswer(item);
    const serial = canonical(answer);
    if (serial === item.last) return;
    item.last = serial;
    storage.set(item.position, { answer, seq: nextSeq() });
    setStatus(item, navigator.onLine ? "Saving…" : "Offline: will retry",
      navigator.onLine ? "pending" : "offline");
    clearTimeout(item.debounce);
    item.debounce = setTimeout(() => send(item), DEBOUNCE_MS);
  }

  function retryLater(item) {
    clearTimeout(item.retry);
    item.failures += 1;
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(item.failures - 1, 5));
    item.retry = setTimeout(() => send(item), delay);
  }

  async function problemDetail(response) {
    try {
      const body = await response.json();
      return body.detail || body.title || `Not saved (error ${response.status}).`;
    } catch {
      return `Not saved (error ${response.status}).`;
    }
  }

  async function send(item) {
    clearTimeout(item.debounce);
    clearTimeout(item.retry);
    const entry = storage.get(item.position);
    if (!entry || closed) return;
    if (item.inflight) {
      item.again = true;
      return;
    }
    if (!navigator.onLine) {
      setStatus(item, "Offline: will retry", "offline");
      return; // the "online" event sends it
    }
    item.inflight = true;
    setStatus(item, "Saving…", "pending");
    try {
      const url = saveUrl.replace(/\/0$/, `/${item.position}`);
      const response = await fetch(url, {
        method: "PUT",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json, application/problem+json",
          "X-CSRFToken": token,
        },
        body: JSON.stringify({ answer: entry.answer, seq: entry.seq }),
      });
      if (response.ok) {
        const body = await response.json();
        item.failures = 0;
        item.savedSeq = Math.max(item.savedSeq, body.seq);
        lastSeq = Math.max(lastSeq, body.seq);
        const now = storage.get(item.position);
        if (now && now.seq <= entry.seq) storage.remove(item.position);
        if (!storage.get(item.position)) {
          setStatus(item, entry.answer === null ? "Not answered" : "Saved", "saved");
        }
      } else if (response.status === 409) {
        closed = true;
        setStatus(item, "Not saved: the time is up and the attempt is closed.", "error");
        finish();
      } else if (response.status >= 500 || response.status === 429) {
        setStatus(item, "Not saved yet: will retry", "offline");
        retryLater(item);
      } else {
        storage.remove(item.position); // it can never be saved as it is
        setStatus(item, await problemDetail(response), "error");
      }
    } catch {
      setStatus(item, "Offline: will retry", "offline");
      retryLater(item);
    } finally {
      item.inflight = false;
    }
    if (item.again) {
      item.again = false;
      send(item);
    }
  }

  const sendAll = () => items.forEach((item) => send(item));

  // Answers kept from an earlier visit that the server has not acknowledged: show, then send.
  for (const item of items) {
    const entry = storage.get(item.position);
    if (entry && entry.seq > item.savedSeq) {
      lastSeq = Math.max(lastSeq, entry.seq);
      showAnswer(item, entry.answer);
      setStatus(item, "Saving…", "pending");
    } else if (entry) {
      storage.remove(item.position);
    }
    item.last = canonical(readAnswer(item));
    lastSeq = Math.max(lastSeq, item.savedSeq);
    const watch = () => changed(item);
    item.section.addEventListener("change", watch);
    item.section.addEventListener("input", watch);
  }
  sendAll();

  const banner = document.getElementById("offline-banner");
  const showConnection = () => {
    if (banner) banner.hidden = navigator.onLine;
  };
  showConnection();
  window.addEventListener("online", () => {
    showConnection();
    items.forEach((item) => {
      item.failures = 0;
    });
    sendAll();
    if (submitting) finish();
  });
  window.addEventListener("offline", () => {
    showConnection();
    for (const item of items) {
      if (storage.get(item.position)) setStatus(item, "Offline: will retry", "offline");
    }
  });

  const pending = () => items.some((item) => storage.get(item.position) || item.inflight);

  function clearStorage() {
    items.forEach((item) => storage.remove(item.position));
  }

  // What "Submit the exam" says before it submits: a box under the button with a sentence and
  // buttons of its own (role="alert", so it is read out), or nothing.
  const notice = document.getElementById("submit-notice");
  let unansweredConfirmed = false;

  function say(text, ...actions) {
    notice.replaceChildren(Object.assign(document.createElement("p"), { textContent: text }));
    const row = document.createElement("p");
    row.className = "actions";
    for (const [label, onClick, secondary] of actions) {
      const button = Object.assign(document.createElement("button"),
        { type: "button", textContent: label, className: secondary ? "secondary" : "" });
      button.addEventListener("click", onClick);
      row.append(button);
    }
    notice.append(row);
    notice.hidden = false;
    notice.scrollIntoView({ block: "nearest" });
  }

  function unanswered(item) {
    const answer = readAnswer(item);
    return answer === null || (Array.isArray(answer) && answer.length === 0);
  }

  function askAboutUnanswered(missing) {
    const names = missing.map((item) => item.position).join(", ");
    const critical = missing.filter((item) => item.section.dataset.critical === "true").length;
    let text = `${plural(missing.length, "item")} ${missing.length === 1 ? "has" : "have"} no `
      + `answer (${missing.length === 1 ? "item" : "items"} ${names}).`;
    if (critical) {
      text += ` ${critical === 1 ? (missing.length === 1 ? "It is" : "One of them is")
        : `${critical} of them are`} critical: a critical item not answered right fails the `
        + "exam, whatever the score.";
    }
    // A sequential exam's "Next items" (data-go-on) asks the same with its own words.
    const goOn = form.dataset.goOn || "Submit anyway";
    say(`${text} An unanswered item scores nothing. ${goOn}?`,
      [goOn, () => {
        unansweredConfirmed = true;
        notice.hidden = true;
        form.requestSubmit();
      }],
      [`Go to item ${missing[0].position}`, () => {
        notice.hidden = true;
        const heading = missing[0].section.querySelector("h2");
        heading.tabIndex = -1;
        heading.focus();
      }, true]);
  }

  function submitWhenOnline() {
    submitting = true;
    const what = form.dataset.goOn ? "These answers will be sent and the exam will go on"
      : "Your exam will be submitted";
    say(`You are offline. ${what} as soon as the connection comes back; keep this page open.`,
      ["Don't submit yet", () => {
      submitting = false;
      notice.hidden = true;
    }, true]);
  }

  form.addEventListener("submit", (event) => {
    const missing = unansweredConfirmed ? [] : items.filter(unanswered);
    if (missing.length) {
      event.preventDefault();
      askAboutUnanswered(missing);
      return;
    }
    if (!navigator.onLine) {
      event.preventDefault();
      submitWhenOnline();
      return;
    }
    submitting = true;
    clearStorage(); // the form posts every answer shown
  });

  // The deadline: when the server's time is up, flush what is pending, then submit.
  async function finish() {
    submitting = true;
    if (!navigator.onLine) return; // the "online" event calls finish again
    sendAll();
    const until = Date.now() + FLUSH_BEFORE_SUBMIT_MS;
    while (pending() && !closed && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    clearStorage();
    if (closed) {
      window.location.assign(form.dataset.resultUrl);
    } else {
      form.submit(); // posts the answers shown; the server grades at once
    }
  }

  if (timer) {
    const deadline = Date.parse(timer.dataset.deadline);
    const announcement = document.getElementById("timer-announcement");
    // The marks still ahead when the page opened; each is read out once, as it passes.
    let marks = [300, 60].filter((mark) => (deadline - serverNow()) / 1000 > mark);
    let done = false;
    const tick = () => {
      const left = (deadline - serverNow()) / 1000;
      if (announcement && marks.length && left <= marks[0]) {
        announcement.textContent = `${plural(marks[0] / 60, "minute")} left.`;
        marks = marks.filter((mark) => mark < left);
      }
      if (left <= 0) {
        timer.textContent = "Time is up: submitting your answers…";
        if (!done) {
          done = true;
          finish();
        }
        return;
      }
      timer.textContent = `${clock(left)} left`;
      timer.classList.toggle("is-urgent", left <= 60);
      setTimeout(tick, 1000 - (serverNow() % 1000) || 1000);
    };
    if (!Number.isNaN(deadline)) tick();
  }
}
