"""Instructors edit gold items with the trainees' widgets; every earlier gold stays in history."""

from __future__ import annotations

import json

from sqlalchemy import select

from bootcamp.audit import AuditEntry
from bootcamp.extensions import db
from courses.models import Course, Item, ItemRevision, ItemStatus
from tests.factories import (
    BOXES_GOLD,
    make_practice_course,
    post_form,
    row_counts,
    signed_in,
)

EDIT = "/courses/practice/items/{key}/edit"


def shoe_form(**changes) -> dict:
    """The shoe item's form as the page shows it, with `changes`; None leaves a field out."""
    data = {"prompt": "Is a shoe clothing?", "explanation": "Shoes are **clothing**.",
            "sections": ["shoes"], "pools": ["practice"], "status": "active", "reason": "",
            "answer": "yes", "critical": None}
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def edit(client, key: str, data: dict, **kwargs):
    path = EDIT.format(key=key)
    return post_form(client, path, data, page=path, **kwargs)


def load(app, key: str) -> tuple[Item, list[ItemRevision]]:
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.key == key))
        revisions = list(db.session.scalars(select(ItemRevision).where(
            ItemRevision.item_id == item.id).order_by(ItemRevision.number)))
        db.session.expunge_all()
        return item, revisions


def audit_actions(app, action: str) -> list[dict]:
    with app.app_context():
        return [entry.data for entry in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]


def test_the_edit_page_preloads_the_current_gold_in_the_widget(app, instructor):
    make_practice_course(app, instructor)
    client = signed_in(app, instructor)
    history = client.get("/courses/practice/items/shoe").get_data(as_text=True)
    assert 'href="/courses/practice/items/shoe/edit"' in history and "Edit item" in history
    page = client.get(EDIT.format(key="shoe"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="answer" id="answer-1" value="yes" checked' in html
    assert 'name="answer" id="answer-2" value="no">' in html
    assert 'checked id="sections-1" name="sections" type="checkbox" value="shoes"' in html
    assert 'checked id="pools-0" name="pools" type="checkbox" value="practice"' in html
    assert "widgets/index.js" not in html  # choices need no drawing tool


def test_changing_a_choice_gold_adds_revision_2_and_keeps_revision_1(app, instructor):
    make_practice_course(app, instructor)
    client = signed_in(app, instructor)
    response = edit(client, "shoe", shoe_form(answer="no", reason="Rule 4 now says no"))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/courses/practice/items/shoe"
    item, revisions = load(app, "shoe")
    assert (item.gold, item.revision) == ("no", 2)
    assert [(r.number, r.gold, r.reason) for r in revisions] == [
        (1, "yes", "test"), (2, "no", "Rule 4 now says no")]
    assert revisions[1].changed_by_id == instructor.id
    [audit] = audit_actions(app, "item_edited")
    assert audit["gold_changed"] is True and audit["revision"] == 2 and audit["key"] == "shoe"
    history = client.get("/courses/practice/items/shoe").get_data(as_text=True)
    assert "Revision 2" in history and "Revision 1" in history and "Rule 4 now says no" in history
    assert "Item shoe saved" in history


def test_an_unknown_option_is_refused_with_its_path_and_nothing_changes(app, instructor):
    make_practice_course(app, instructor)
    client = signed_in(app, instructor)
    before = row_counts(app)
    response = edit(client, "shoe", shoe_form(answer="maybe", reason="Why not",
                                              prompt="Changed?"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The gold is not valid: gold: unknown option" in html and "maybe" in html
    assert row_counts(app) == before
    item, revisions = load(app, "shoe")
    assert (item.gold, item.revision, item.prompt) == ("yes", 1, "Is a shoe clothing?")
    assert len(revisions) == 1


def test_a_changed_gold_needs_a_reason(app, instructor):
    make_practice_course(app, instructor)
    client = signed_in(app, instructor)
    before = row_counts(app)
    response = edit(client, "shoe", shoe_form(answer="no", reason="   "))
    assert response.status_code == 200
    assert "Give a reason for the change to the gold." in response.get_data(as_text=True)
    assert row_counts(app) == before
    item, _ = load(app, "shoe")
    assert (item.gold, item.revision) == ("yes", 1)


def test_a_boxes_gold_is_posted_as_json_by_the_drawing_widget(app, instructor):
    make_practice_course(app, instructor)
    client = signed_in(app, instructor)
    page = client.get(EDIT.format(key="street")).get_data(as_text=True)
    assert "widgets/index." in page and 'data-kind="boxes"' in page
    assert 'name="answer" id="answer-json"' in page and '"label": "cyclist"' in page
    new_gold = [*BOXES_GOLD[:2], {"label": "pedestrian", "x": 150, "y": 15, "w": 25, "h": 55}]
    response = edit(client, "street", {
        "prompt": "Question street?", "explanation": "The person walking a bicycle is a "
        "pedestrian.", "sections": ["street"], "pools": ["practice"], "status": "active",
        "reason": "Pedestrian box was too tight", "answer": json.dumps(new_gold)})
    assert response.status_code == 302, response.get_data(as_text=True)
    item, revisions = load(app, "street")
    assert item.gold == new_gold and item.revision == 2
    assert [r.gold for r in revisions] == [BOXES_GOLD, new_gold]


def test_a_malformed_box_is_refused_with_its_path(app, instructor):
    make_practice_course(app, instructor)
    client = signed_in(app, instructor)
    bad = [{"label": "car", "x": 10, "y": 10, "w": -5, "h": 40}]
    response = edit(client, "street", {
        "prompt": "Question street?", "sections": ["street"], "pools": ["practice"],
        "status": "active", "reason": "x", "answer": json.dumps(bad)})
    assert response.status_code == 200
    assert "The gold is not valid: gold[0]" in response.get_data(as_text=True)
    item, _ = load(app, "street")
    assert item.gold == BOXES_GOLD


def test_other_fields_change_without_a_new_revision(app, instructor):
    make_practice_course(app, instructor)
    client = signed_in(app, instructor)
    response = edit(client, "shoe", shoe_form(
        prompt="Is a boot clothing?", explanation="Boots are *clothing*.",
        sections=["shoes", "clothing"], pools=["practice", "exam"], critical="y"))
    assert response.status_code == 302, response.get_data(as_text=True)
    item, revisions = load(app, "shoe")
    assert (item.prompt, item.explanation, item.critical) == (
        "Is a boot clothing?", "Boots are *clothing*.", True)
    assert (item.sections, item.pools) == (["shoes", "clothing"], ["practice", "exam"])
    assert (item.revision, len(revisions), item.gold) == (1, 1, "yes")
    [audit] = audit_actions(app, "item_edited")
    assert audit["gold_changed"] is False
    assert set(audit["fields"]) == {"prompt", "explanation", "sections", "pools", "critical"}
    # Saving the same values again changes nothing and records nothing.
    again = edit(client, "shoe", shoe_form(
        prompt="Is a boot clothing?", explanation="Boots are *clothing*.",
        sections=["shoes", "clothing"], pools=["practice", "exam"], critical="y"))
    assert again.status_code == 302
    assert len(audit_actions(app, "item_edited")) == 1


def test_an_item_needs_at_least_one_pool(app, instructor):
    make_practice_course(app, instructor)
    client = signed_in(app, instructor)
    response = edit(client, "shoe", shoe_form(pools=None))
    assert response.status_code == 200
    assert "Choose at least one pool." in response.get_data(as_text=True)
    item, _ = load(app, "shoe")
    assert item.pools == ["practice"]


def test_retiring_an_item_hides_it_from_practice(app, instructor, trainee):
    from courses.services import practice

    make_practice_course(app, instructor, enrol=(trainee,))
    learner = signed_in(app, trainee)
    assert learner.get("/courses/practice/practice/shoes/shoe").status_code == 200
    client = signed_in(app, instructor)
    response = edit(client, "shoe", shoe_form(status="retired"))
    assert response.status_code == 302, response.get_data(as_text=True)
    item, revisions = load(app, "shoe")
    assert item.status == ItemStatus.RETIRED and len(revisions) == 1
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "practice"))
        keys = {key for module in practice.modules(course) for key in module.item_keys}
    assert "shoe" not in keys and "flipper" in keys
    assert learner.get("/courses/practice/practice/shoes/shoe").status_code == 404


def test_trainees_may_not_edit_items(app, instructor, trainee):
    make_practice_course(app, instructor, enrol=(trainee,))
    client = signed_in(app, trainee)
    assert client.get(EDIT.format(key="shoe")).status_code == 403
    before = row_counts(app)
    response = post_form(client, EDIT.format(key="shoe"),
                         shoe_form(answer="no", reason="mine"))
    assert response.status_code == 403
    assert row_counts(app) == before


def test_an_unknown_item_is_not_found(app, instructor):
    make_practice_course(app, instructor)
    client = signed_in(app, instructor)
    assert client.get(EDIT.format(key="nope")).status_code == 404
