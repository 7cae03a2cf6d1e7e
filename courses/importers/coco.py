"""COCO object detection and keypoint files -> boxes and points items, one per image.

- A category with a non-empty `keypoints` list is a keypoint category: its annotations are
  persons of a points item (one person per annotation). Every other category is a box label:
  its annotations' `bbox` become a boxes item whose labels are ALL box categories of the file.
- An image with annotations of both sorts gives two items, "<id>-boxes" and "<id>-points";
  otherwise one item, "<id>", where <id> is the image file name without its extension,
  slugified (after `id_prefix`). An image without annotations gives an empty boxes item
  (an empty points item when the file has keypoint categories only).
- Crowd regions (iscrowd 1) are refused by default: Bootcamp has no "ignore" regions, so a
  trainee boxing a crowd would lose points. crowd="skip" leaves them out instead.
- A person with no labelled keypoint (all v = 0) is left out, as COCO's own keypoint
  evaluation ignores such persons. Keypoints with v = 0 are left out of a person.
- Segmentations are not used. Errors give the line where the offending object begins.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from courses.errors import Problems
from courses.importers.common import (
    Converted,
    Source,
    default_prompt,
    finish,
    new_item,
    pool_list,
    slug,
    tidy,
)
from courses.importers.jsontext import LocatedJson, load_json
from courses.importers.media import MediaFolder, MediaMissing

EDGE_TOLERANCE = 0.5  # as graders.checks: half a pixel of rounding at the image edges
_NUMBERS = (int, float)


@dataclass(frozen=True)
class Category:
    """A COCO category: a box label, or a keypoint category with its keypoint names."""

    id: int
    name: str
    keypoints: tuple[str, ...]


@dataclass
class Image:
    """A COCO image and the gold collected for it."""

    id: int
    file_name: str
    width: int
    height: int
    line: int
    boxes: list[dict[str, Any]] = field(default_factory=list)
    persons: list[dict[str, Any]] = field(default_factory=list)
    box_annotations: int = 0
    point_categories: set[int] = field(default_factory=set)


@dataclass
class Context:
    """One conversion: the parsed file, its categories and images, and the problems found."""

    doc: LocatedJson
    problems: Problems
    crowd: str
    categories: dict[int, Category] = field(default_factory=dict)
    images: dict[int, Image] = field(default_factory=dict)

    def report(self, obj: object, message: str) -> None:
        """A problem at the line where `obj` begins."""
        self.problems.add(self.doc.line(obj), message)


def from_coco(text: str, media_dir: str | os.PathLike[str], *, file: str = "coco.json",
              pools: str | list[str] = "practice", id_prefix: str = "",
              crowd: str = "refuse", prompt: str | None = None) -> Converted:
    """Convert a COCO JSON file; raise SourceInvalid listing every problem as file:line."""
    if crowd not in ("refuse", "skip"):
        raise ValueError(f'crowd must be "refuse" or "skip", got {crowd!r}')
    chosen_pools = pool_list(pools)
    context = Context(load_json(text, file), Problems(file), crowd)
    lists = top_level(context)
    for category in lists["categories"]:
        read_category(context, category)
    for image in lists["images"]:
        read_image(context, image)
    for annotation in lists["annotations"]:
        read_annotation(context, annotation)
    sources, media = build_items(context, MediaFolder(media_dir), chosen_pools, id_prefix, prompt)
    return finish(sources, context.problems, media)


def top_level(context: Context) -> dict[str, list[Any]]:
    """The images, annotations and categories lists (a SourceInvalid when one is missing)."""
    root = context.doc.value
    lists: dict[str, list[Any]] = {}
    for key in ("images", "annotations", "categories"):
        value = root.get(key) if isinstance(root, dict) else None
        if isinstance(value, list):
            lists[key] = value
        else:
            context.report(root, f'a COCO file is an object with a list "{key}"')
    if lists.get("categories") == []:
        context.report(root, "the file has no categories")
    context.problems.raise_if_any()
    return lists


def read_category(context: Context, raw: Any) -> None:
    """Record a category: an integer id, a unique name, optional keypoint names."""
    if not isinstance(raw, dict) or not is_int(raw.get("id")) or not is_text(raw.get("name")):
        context.report(raw, 'a category needs an integer "id" and a "name"')
        return
    names = raw.get("keypoints") or []
    if not isinstance(names, list) or not all(is_text(name) for name in names):
        context.report(raw, f'category {raw["id"]}: "keypoints" must be a list of names')
        return
    clash = next((c for c in context.categories.values()
                  if c.id == raw["id"] or c.name == raw["name"]), None)
    if clash is not None:
        context.report(raw, f'category {raw["id"]} "{raw["name"]}": the id or name is already '
                            f'used by category {clash.id} "{clash.name}"')
        return
    context.categories[raw["id"]] = Category(raw["id"], raw["name"], tuple(names))


def read_image(context: Context, raw: Any) -> None:
    """Record an image: an integer id, a file name, and its size in pixels."""
    if not isinstance(raw, dict) or not is_int(raw.get("id")):
        context.report(raw, 'an image needs an integer "id"')
        return
    if raw["id"] in context.images:
        context.report(raw, f'image {raw["id"]}: the id is already used on line '
                            f'{context.images[raw["id"]].line}')
        return
    size = [raw.get(key) for key in ("width", "height")]
    if not is_text(raw.get("file_name")) or not all(is_int(v) and v > 0 for v in size):
        context.report(raw, f'image {raw["id"]}: needs a "file_name" and whole-pixel '
                            f'"width" and "height" greater than 0')
        return
    line = context.doc.line(raw)
    context.images[raw["id"]] = Image(raw["id"], raw["file_name"], *size, line)


def read_annotation(context: Context, raw: Any) -> None:
    """Add an annotation to its image as a box or a person, or report why it cannot be."""
    if not isinstance(raw, dict) or not is_int(raw.get("id")):
        context.report(raw, 'an annotation needs an integer "id"')
        return
    name = f'annotation {raw["id"]}'
    image = context.images.get(raw["image_id"]) if is_int(raw.get("image_id")) else None
    category = (context.categories.get(raw["category_id"])
                if is_int(raw.get("category_id")) else None)
    if image is None or category is None:
        what = "image_id" if image is None else "category_id"
        context.report(raw, f"{name}: {what} {raw.get(what)!r} is not "
                            f"{'an image' if image is None else 'a category'} of the file")
        return
    if raw.get("iscrowd", 0) not in (0, 1, False, True):
        context.report(raw, f'{name}: "iscrowd" must be 0 or 1')
        return
    if raw.get("iscrowd") and context.crowd == "refuse":
        context.report(raw, f"{name} (image {image.id}) is a crowd region (iscrowd 1): "
                            "Bootcamp has no ignore regions; remove it, or import with "
                            'crowd="skip" to leave crowd regions out')
        return
    if category.keypoints:
        image.point_categories.add(category.id)
        if not raw.get("iscrowd"):
            read_person(context, raw, name, image, category)
    else:
        image.box_annotations += 1
        if not raw.get("iscrowd"):
            read_box(context, raw, name, image, category)


def read_box(context: Context, raw: dict, name: str, image: Image, category: Category) -> None:
    """A bbox [x, y, w, h] in pixels, inside its image."""
    box = as_box(raw.get("bbox"))
    if box is None:
        context.report(raw, f'{name}: "bbox" must be [x, y, width, height] with width and '
                            f"height greater than 0, got {short(raw.get('bbox'))}")
        return
    x, y, w, h = box
    if not fits(x, w, image.width) or not fits(y, h, image.height):
        context.report(raw, f"{name}: box [{x:g}, {y:g}, {w:g}, {h:g}] is outside image "
                            f"{image.id} ({image.width}x{image.height} px)")
        return
    image.boxes.append({"label": category.name, "x": tidy(x), "y": tidy(y), "w": tidy(w),
                        "h": tidy(h)})


def read_person(context: Context, raw: dict, name: str, image: Image,
                category: Category) -> None:
    """A person: flat keypoints [x, y, v, ...] in the category's order, plus area or bbox."""
    flat = raw.get("keypoints")
    count = len(category.keypoints)
    if (not isinstance(flat, list) or len(flat) != 3 * count
            or not all(is_number(v) for v in flat)):
        context.report(raw, f'{name}: "keypoints" must be {3 * count} numbers '
                            f"(x, y, v for each of the {count} keypoints of {category.name})")
        return
    points = {}
    for index, keypoint in enumerate(category.keypoints):
        x, y, v = flat[3 * index: 3 * index + 3]
        if v not in (0, 1, 2):
            context.report(raw, f"{name}: keypoint {keypoint}: visibility must be 0, 1 or 2, "
                                f"got {v:g}")
            return
        if v and not (fits(x, 0, image.width) and fits(y, 0, image.height)):
            context.report(raw, f"{name}: keypoint {keypoint} ({x:g}, {y:g}) is outside image "
                                f"{image.id} ({image.width}x{image.height} px)")
            return
        if v:
            points[keypoint] = [tidy(x), tidy(y), int(v)]
    if points:
        image.persons.append(person_scale({"keypoints": points}, raw))


def person_scale(person: dict[str, Any], raw: dict) -> dict[str, Any]:
    """Add COCO's area (the OKS scale) when given, else the person's bbox as a box."""
    area, box = raw.get("area"), as_box(raw.get("bbox"))
    if is_number(area) and area > 0:
        person["area"] = tidy(area)
    elif box is not None:
        person["box"] = dict(zip("xywh", (tidy(v) for v in box), strict=True))
    return person


def build_items(context: Context, folder: MediaFolder, pools: list[str], prefix: str,
                prompt: str | None) -> tuple[list[Source], dict]:
    """One or two items per image, in the file's image order, and the media they use."""
    sources: list[Source] = []
    media = {}
    empty_kind = "points" if all(c.keypoints for c in context.categories.values()) else "boxes"
    for image in context.images.values():
        label = f'image {image.id} ("{image.file_name}")'
        try:
            path, found = folder.find(image.file_name)
        except MediaMissing as missing:
            context.problems.add(image.line, f"{label}: {missing}")
            continue
        media[path] = found
        kinds = image_kinds(image) or [empty_kind]
        base = slug(prefix + PurePosixPath(image.file_name.replace("\\", "/")).stem)
        for kind in kinds:
            spec, gold = kind_spec(context, image, kind)
            if spec is None:
                context.problems.add(image.line, f"{label}: cannot make a points item: its "
                                                 "persons must all be of one keypoint category")
                continue
            item_id = f"{base}-{kind}" if len(kinds) > 1 else base
            item = new_item(item_id, kind, path, spec, gold, pools,
                            prompt or default_prompt(kind, spec, point_subject(context, image)))
            sources.append(Source(item, image.line, label))
    return sources, media


def image_kinds(image: Image) -> list[str]:
    """The kinds of item an image's annotations call for, boxes first."""
    kinds = ["boxes"] if image.box_annotations else []
    return kinds + ["points"] if image.point_categories else kinds


def kind_spec(context: Context, image: Image, kind: str) -> tuple[dict | None, list]:
    """The spec and gold of an image's boxes or points item (spec None: no single skeleton)."""
    return _SPEC_OF[kind](context, image, {"width": image.width, "height": image.height})


def _boxes_spec(context: Context, image: Image, size: dict) -> tuple[dict | None, list]:
    labels = [c.name for c in context.categories.values() if not c.keypoints]
    return {**size, "labels": labels}, image.boxes


def _points_spec(context: Context, image: Image, size: dict) -> tuple[dict | None, list]:
    skeletons = image.point_categories or {c.id for c in context.categories.values()}
    if len(skeletons) != 1:
        return None, []
    category = context.categories[next(iter(skeletons))]
    return {**size, "keypoints": list(category.keypoints)}, image.persons


_SPEC_OF = {"boxes": _boxes_spec, "points": _points_spec}  # COCO's two annotation types


def point_subject(context: Context, image: Image) -> str:
    """What the persons of an image are (the keypoint category's name)."""
    ids = image.point_categories or [c.id for c in context.categories.values() if c.keypoints]
    return context.categories[min(ids)].name if ids else "person"


def as_box(value: Any) -> tuple[float, float, float, float] | None:
    """[x, y, w, h] with w and h greater than 0, or None."""
    if isinstance(value, list) and len(value) == 4 and all(is_number(v) for v in value):
        x, y, w, h = value
        return (x, y, w, h) if w > 0 and h > 0 else None
    return None


def fits(start: float, length: float, size: int) -> bool:
    """`start` .. `start + length` lies on an image side of `size` pixels, give or take 0.5."""
    return -EDGE_TOLERANCE <= start and start + length <= size + EDGE_TOLERANCE


def is_int(value: Any) -> bool:
    """An integer, not a boolean."""
    return type(value) is int


def is_number(value: Any) -> bool:
    """A finite int or float, not a boolean."""
    return type(value) in _NUMBERS and value == value and abs(value) != float("inf")


def is_text(value: Any) -> bool:
    """A string that is not blank."""
    return isinstance(value, str) and bool(value.strip())


def short(value: Any) -> str:
    """A value for a message, cut to 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
