"""Label Studio JSON exports (a list of tasks) -> native items, one per task and control.

- The gold of a task is its one annotation marked ground truth. Cancelled annotations are
  ignored. With several annotations and none marked (or several marked), the task is refused,
  unless annotation="latest": then the most recently updated of them is used (updated_at,
  else completed_at, else created_at; for equal times, the later one in the export).
- Each importable control (Choices, RectangleLabels, KeyPointLabels, Labels) gives one item
  per task, id "<id_prefix><task id>", plus "-<control name>" when there are several controls.
- Controls and their option sets come from the project's labeling config when given, else
  from the values seen in the export (sorted). Results of TextArea, Rating and relations
  carry no gold and are skipped; other result types are refused.
- Images are found by file name in the media folder (see media.py). Image sizes come from the
  results' original_width / original_height, else from the image file's header.
- Errors name the task and give the line where the offending task, annotation or result
  begins in the export file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from courses import kinds
from courses.errors import Problems, SourceError, SourceInvalid
from courses.importers import labelstudio_results as results_of
from courses.importers.common import (
    Converted,
    Source,
    default_prompt,
    finish,
    new_item,
    pool_list,
    slug,
)
from courses.importers.jsontext import LocatedJson, load_json
from courses.importers.labelstudio_config import (
    Control,
    infer_controls,
    parse_config,
)
from courses.importers.media import MediaFolder, MediaMissing, image_size

SKIPPED_TYPES = frozenset({"textarea", "rating", "relation"})
MODES = ("ground_truth", "latest")


@dataclass
class Context:
    """One conversion: the export, its controls, options, and what has been produced."""

    doc: LocatedJson
    problems: Problems
    controls: dict[str, Control]
    folder: MediaFolder | None
    mode: str
    pools: list[str]
    prefix: str
    prompt: str | None
    sources: list[Source] = field(default_factory=list)
    media: dict[str, Path] = field(default_factory=dict)


@dataclass
class Task:
    """One task being converted; `report` records a problem naming it."""

    context: Context
    raw: dict[str, Any]
    name: str
    line: int
    results: list[dict[str, Any]] = field(default_factory=list)

    def report(self, obj: object, message: str) -> None:
        """A problem at the line where `obj` begins (the task's line when obj is elsewhere)."""
        line = self.context.doc.line(obj, self.line)
        self.context.problems.add(line, f"{self.name}: {message}")


def from_label_studio(text: str, media_dir: str | os.PathLike[str] | None = None, *,
                      file: str = "export.json", config: str | None = None,
                      config_file: str = "config.xml", annotation: str = "ground_truth",
                      pools: str | list[str] = "practice", id_prefix: str = "task-",
                      prompt: str | None = None) -> Converted:
    """Convert a Label Studio JSON export; raise SourceInvalid listing every problem."""
    if annotation not in MODES:
        raise ValueError(f'annotation must be "ground_truth" or "latest", got {annotation!r}')
    doc = load_json(text, file)
    if not isinstance(doc.value, list):
        raise SourceInvalid([SourceError(file, 1, "a Label Studio JSON export is a list of tasks")])
    controls = parse_config(config, config_file) if config is not None else infer_controls(
        all_results(doc.value))
    if not controls:
        raise SourceInvalid([SourceError(config_file if config is not None else file, 1,
                                         "no Choices, RectangleLabels, KeyPointLabels or Labels "
                                         "to import")])
    folder = MediaFolder(media_dir) if media_dir is not None else None
    context = Context(doc, Problems(file), controls, folder, annotation, pool_list(pools),
                      id_prefix, prompt)
    for raw in doc.value:
        convert_task(context, raw)
    return finish(context.sources, context.problems, context.media)


def all_results(tasks: list[Any]) -> list[dict]:
    """Every result of every annotation that was not cancelled (to infer the controls)."""
    found = []
    for task in tasks:
        annotations = task.get("annotations") if isinstance(task, dict) else None
        for entry in annotations if isinstance(annotations, list) else ():
            if isinstance(entry, dict) and not entry.get("was_cancelled"):
                result = entry.get("result")
                found += [r for r in result if isinstance(r, dict)] if isinstance(
                    result, list) else []
    return found


def convert_task(context: Context, raw: Any) -> None:
    """Add the items of one task (or its problems) to the context."""
    task_id = raw.get("id") if isinstance(raw, dict) else None
    if type(task_id) not in (int, str) or not isinstance(raw.get("data"), dict):
        context.problems.add(context.doc.line(raw), 'a task needs an "id" and a "data" object')
        return
    task = Task(context, raw, f"task {task_id}", context.doc.line(raw))
    chosen = pick_annotation(task)
    if chosen is None:
        return
    grouped = group_results(task, chosen)
    for control in context.controls.values():
        control_item(task, control, grouped.get(control.name, []))


def pick_annotation(task: Task) -> dict | None:
    """The annotation that is the task's gold, or None after reporting why there is none."""
    annotations = task.raw.get("annotations")
    if not isinstance(annotations, list):
        task.report(task.raw, 'has no "annotations" list')
        return None
    live = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    marked = [a for a in live if a.get("ground_truth") is True]
    candidates = marked or live
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        task.report(task.raw, "has no annotation (apart from cancelled ones) to use as gold")
        return None
    if task.context.mode == "latest":
        return latest(task, candidates)
    ids = ", ".join(str(a.get("id")) for a in candidates)
    state = "all marked ground truth" if marked else "none marked ground truth"
    task.report(task.raw, f"has {len(candidates)} annotations (ids {ids}), {state}; mark one "
                          'as ground truth in Label Studio or import with annotation="latest"')
    return None


def latest(task: Task, candidates: list[dict]) -> dict | None:
    """The most recently updated annotation (the later one in the export, for ties)."""
    stamped = []
    for index, entry in enumerate(candidates):
        raw = next((entry[k] for k in ("updated_at", "completed_at", "created_at")
                    if isinstance(entry.get(k), str)), None)
        try:
            moment = datetime.fromisoformat(raw) if raw else None
        except ValueError:
            moment = None
        if moment is None:
            task.report(entry, f"annotation {entry.get('id')} has no updated_at date to compare")
            return None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        stamped.append((moment, index, entry))
    return max(stamped, key=lambda row: row[:2])[2]


def group_results(task: Task, annotation: dict) -> dict[str, list[dict]]:
    """The annotation's results by control name, reporting the ones that cannot be used."""
    results = annotation.get("result")
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        task.report(annotation, f"annotation {annotation.get('id')}: \"result\" must be a list")
        return {}
    task.results = results
    grouped: dict[str, list[dict]] = {}
    for result in results:
        kind, name = result.get("type"), result.get("from_name")
        control = task.context.controls.get(name) if isinstance(name, str) else None
        if isinstance(kind, str) and kind in SKIPPED_TYPES:
            continue
        if control is None:
            task.report(result, f'a {kind} result from "{name}", which is not a control '
                                "Bootcamp can import (Choices, RectangleLabels, "
                                "KeyPointLabels, Labels)")
        elif kind != control.type:
            task.report(result, f'a {kind} result from "{name}", which is a {control.type}')
        else:
            grouped.setdefault(name, []).append(result)
    return grouped


def control_item(task: Task, control: Control, results: list[dict]) -> None:
    """The item of one control of a task, if its data and results convert cleanly."""
    key = data_key(task, control, results)
    value = task.raw["data"].get(key) if key else None
    if not isinstance(value, str) or not value:
        task.report(task.raw, f'data has no "{key or control.data_key or "image"}" for '
                              f'"{control.name}"')
        return
    kind_of_data = control.data_kind or ("text" if control.type == "labels" or (
        control.type == "choices" and key == "text") else "image")
    media = find_media(task, value) if kind_of_data == "image" else None
    if kind_of_data == "image" and media is None:
        return
    made = make_spec_gold(task, control, results, value if kind_of_data == "text" else media)
    if made is None:
        return
    kind, spec, gold = made
    prompt = task.context.prompt or default_prompt(kind, spec)
    if kinds.kind_of(kind).media is None and kind_of_data == "text":  # the text is not in spec
        prompt = f"{prompt}\n\n{value}"
    suffix = f"-{control.name}" if len(task.context.controls) > 1 else ""
    item_id = slug(f"{task.context.prefix}{task.raw['id']}{suffix}")
    item = new_item(item_id, kind, media[0] if media else None, spec, gold,
                    task.context.pools, prompt)
    task.context.sources.append(Source(item, task.line, task.name))


def data_key(task: Task, control: Control, results: list[dict]) -> str | None:
    """The data key a control labels: the config's, else guessed from to_name and the type."""
    if control.data_key:
        return control.data_key
    data = task.raw["data"]
    names = [r.get("to_name") for r in results if isinstance(r.get("to_name"), str)]
    defaults = ["text"] if control.type == "labels" else ["image", "img"]
    if control.type == "choices":
        defaults.append("text")
    return next((k for k in [*names[:1], *defaults] if isinstance(data.get(k), str)), None)


def find_media(task: Task, reference: str) -> tuple[str, Path] | None:
    """(bundle path, file) of the task's image, or None after reporting why not."""
    folder = task.context.folder
    if folder is None:
        task.report(task.raw, f'image "{reference}": no media folder was given to find it in')
        return None
    try:
        path, found = folder.find(reference)
    except MediaMissing as missing:
        task.report(task.raw, str(missing))
        return None
    task.context.media[path] = found
    return path, found


def make_spec_gold(task: Task, control: Control, results: list[dict],
                   source: Any) -> tuple[str, dict, Any] | None:
    """(kind, spec, gold) for one control; `source` is the text, or the image (path, file)."""
    if control.type == "choices":
        made = results_of.choice_gold(control, results, task.report, task.raw)
        return None if made is None else (made[0], {"options": control.options}, made[1])
    if control.type == "labels":
        spec = {"text": source, "labels": control.options, "match": "exact"}
        gold = results_of.spans_gold(control, results, source, task.report)
        return None if gold is None else ("spans", spec, gold)
    size = image_size_of(task, source[1])
    if size is None:
        return None
    spec = {"width": size[0], "height": size[1]}
    if control.type == "rectanglelabels":
        gold = results_of.boxes_gold(control, results, size, task.report)
        return None if gold is None else ("boxes", {**spec, "labels": control.options}, gold)
    gold = results_of.points_gold(control, results, size, parent_boxes(task, size), task.report)
    return None if gold is None else ("points", {**spec, "keypoints": control.options}, gold)


def image_size_of(task: Task, file: Path) -> tuple[int, int] | None:
    """The original image size the results were drawn on, else the image file's own."""
    sizes: list[tuple[Any, Any]] = []
    for result in task.results:
        if result.get("type") in ("rectanglelabels", "keypointlabels") and (
                "original_width" in result):
            size = (tidy_size(result["original_width"]), tidy_size(result.get("original_height")))
            sizes += [] if size in sizes else [size]
    if len(sizes) > 1:
        task.report(task.raw, f"results disagree on the image size: {sizes}")
        return None
    size = sizes[0] if sizes else image_size(file)
    if size is None:
        task.report(task.raw, "the image size is unknown (no original_width / original_height "
                              f'in the results, and "{file.name}" is not a PNG, GIF or JPEG)')
        return None
    if not all(type(v) is int and v > 0 for v in size):
        task.report(task.raw, f"original_width / original_height {size} are not whole pixels")
        return None
    return size


def tidy_size(value: Any) -> Any:
    """800.0 -> 800; anything else as it is (and refused later unless a whole number)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def parent_boxes(task: Task, size: tuple[int, int]) -> dict[str, dict]:
    """Rectangles of the task by region id, in pixels: the boxes of keypoint groups."""
    found = {}
    for result in task.results:
        if result.get("type") == "rectanglelabels" and isinstance(result.get("id"), str):
            pixel_box = results_of.box(result, size)
            if pixel_box is not None:
                found[result["id"]] = pixel_box
    return found
