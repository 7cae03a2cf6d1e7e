"""Tracks items: labelled boxes that follow objects through the frames of a clip, scored by HOTA.

spec: {"width": px, "height": px, "frames": count, "labels": [str, ...], "iou_threshold": 0.5,
"hota_threshold": 0.5, "assa_threshold": 0.5} (the thresholds are optional); gold and answer:
a list of tracks {"id": int or str, "label": str, "boxes": {frame: {"x", "y", "w", "h"}}}
with frames numbered from 0 (JSON keys "0", "1", ...; YAML may give integers) and boxes in
pixels as for the boxes kind. A frame missing from `boxes` means the object is out of view
there; a track with no boxes is never in view and counts for nothing.

Points are HOTA (Luiten et al., IJCV 2020) computed as TrackEval computes it: one matching per
frame (the Hungarian method on IoU weighted by how well the two tracks align over the whole
clip), then detection (DetA), association (AssA) and localisation (LocA) at each IoU level
alpha = 0.05, 0.10, ..., 0.95, and each measure the mean over the levels. Labels take part as
in the boxes kind: boxes with different labels never match (their IoU counts as 0), which is
TrackEval's per-class evaluation combined over the classes by detections ("det averaged").

The details follow each gold track at the spec's `iou_threshold` with the CLEAR MOT matching
(Bernardin and Stiefelhagen 2008, as motmetrics does it): a frame keeps last frame's pairing
while the boxes still overlap enough, the rest is an optimal assignment, and a gold track that
is matched to another answer track than before has an identity switch there. They give MOTA,
IDF1 and, per gold track, the frames matched and missed, where it was lost, the switches and
right boxes drawn with another label. A gold track is missed when fewer than half of the
frames it is in view are matched. Correct: HOTA >= hota_threshold, AssA >= assa_threshold and
no gold track missed.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from itertools import pairwise
from operator import itemgetter
from typing import Any, NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment

from graders import checks
from graders.matching import assign
from graders.result import Score

MAX_FRAMES = 10_000
MAX_TRACKS = 100
MAX_BOXES = 10_000  # per gold or answer, all frames together: bounds the pairs to 1,000,000
MAX_LABELS = 100
MAX_ID = 2**53
DEFAULT_IOU_THRESHOLD = 0.5
DEFAULT_HOTA_THRESHOLD = 0.5
DEFAULT_ASSA_THRESHOLD = 0.5
BLOCK = 512  # rows plus columns of one assignment table: bounds its memory on hostile input
MIN_COVERAGE = 0.5  # a gold track matched in fewer of its frames than this share is missed
# TrackEval's levels and its allowance of one epsilon below each.
ALPHAS = np.arange(0.05, 0.99, 0.05)
_LEVELS = ALPHAS - np.finfo(float).eps
TRACK_KEYS = ("id", "label", "boxes")
RECT_KEYS = ("x", "y", "w", "h")
_NUMBERS = frozenset({int, float})
_TRACK_VALUES = itemgetter(*TRACK_KEYS)
_RECT_VALUES = itemgetter(*RECT_KEYS)
MEASURES = ("hota", "deta", "assa", "loca", "detre", "detpr", "assre", "asspr")


class TrackSpec(NamedTuple):
    """A checked spec: frame size and count, allowed labels (an ordered set), thresholds."""

    width: int
    height: int
    frames: int
    labels: dict[str, None]
    iou_threshold: float
    hota_threshold: float
    assa_threshold: float


class Tracks(NamedTuple):
    """Checked tracks: ids and labels per track; per box (sorted by frame, then track) its
    frame, its track's index, its label's position in the spec, its corners x, y, x + w,
    y + h as a row of `corners` and its area computed from them (so equal boxes have IoU 1
    exactly, and the IoU is TrackEval's to the last bit)."""

    ids: list[int | str]
    labels: list[str]
    frame: np.ndarray
    track: np.ndarray
    label: np.ndarray
    corners: np.ndarray
    area: np.ndarray


def parse_spec(spec: Any) -> TrackSpec:
    """Check a tracks spec and fill in the default thresholds."""
    thresholds = ("iou_threshold", "hota_threshold", "assa_threshold")
    checks.obj(spec, "spec", ("width", "height", "frames", "labels"), thresholds)
    width, height = checks.image_size(spec, "spec")
    frames = checks.integer(spec["frames"], "spec.frames", 1, MAX_FRAMES)
    labels = checks.names(spec["labels"], "spec.labels", 1, MAX_LABELS)
    defaults = (DEFAULT_IOU_THRESHOLD, DEFAULT_HOTA_THRESHOLD, DEFAULT_ASSA_THRESHOLD)
    iou, hota, assa = (checks.fraction(spec.get(key, default), f"spec.{key}")
                       for key, default in zip(thresholds, defaults, strict=True))
    return TrackSpec(width, height, frames, dict.fromkeys(labels), iou, hota, assa)


def track_id(value: Any, path: str) -> int | str:
    """A track's id: an integer from 0 to 2**53 or a name (CVAT and MOTChallenge use numbers)."""
    if type(value) is int:
        return checks.integer(value, path, 0, MAX_ID)
    if type(value) is str:
        return checks.name(value, path)
    checks.fail(path, f"must be an integer or a string, got {checks.type_name(value)}")


def frame_number(key: Any, path: str, frames: int) -> int:
    """A frame key: a whole number from 0 to frames - 1, as a decimal string or an integer."""
    if type(key) is str and key.isascii() and key.isdigit() and (key == "0" or key[0] != "0"):
        number = int(key) if len(key) <= len(str(frames)) else frames
    elif type(key) is int:
        number = key
    else:
        checks.fail(path, f"a frame must be a number from 0 to {frames - 1}, got "
                          f"{checks.show(key) if type(key) is str else checks.type_name(key)}")
    if not 0 <= number < frames:
        checks.fail(path, f"no such frame: the clip has frames 0 to {frames - 1}")
    return number


def parse_track(spec: TrackSpec, value: Any, path: str) -> tuple[Any, str, list[tuple]]:
    """One track as (id, label, [(frame, x, y, w, h), ...])."""
    checks.obj(value, path, TRACK_KEYS)
    identity = track_id(value["id"], f"{path}.id")
    label = checks.member(value["label"], f"{path}.label", spec.labels, "label")
    boxes = value["boxes"]
    if type(boxes) is not dict:
        checks.fail(f"{path}.boxes", f"must be an object, got {checks.type_name(boxes)}")
    if len(boxes) > spec.frames:
        checks.fail(f"{path}.boxes", f"too many frames: {len(boxes)} > {spec.frames}")
    rows, seen = [], {}
    for key, box in boxes.items():
        where = checks.key_path(f"{path}.boxes", key) if type(key) is str else \
            f"{path}.boxes.{checks.type_name(key) if type(key) is not int else key}"
        frame = frame_number(key, where, spec.frames)
        if frame in seen:
            checks.fail(where, f"frame {frame} given twice (also as {checks.show(seen[frame])})")
        seen[frame] = key
        checks.obj(box, where, RECT_KEYS)
        rows.append((frame, *checks.rectangle(box, where, spec.width, spec.height)))
    return identity, label, rows


def quick_parse(spec: TrackSpec, items: list | tuple) -> tuple | None:
    """(ids, labels, frames, track indices, x, y, w, h as rows of an array) of plainly
    valid tracks, or None so that parse_track can say what is wrong.

    Scoring runs this on every answer, so after a short loop over the tracks it checks all
    boxes at once, as the other kinds do (docs/scoring.md): exact types with one set per
    kind of value, then finiteness and ranges in numpy (huge integers overflow there; those
    within 2**63 are off the image anyway, as checks.number requires). Frame
    keys must be the canonical decimal strings of frame_names here (so no two keys of a
    track name one frame); one dict lookup checks and converts each.
    """
    ids, labels, keys, values, tracks = [], [], [], [], []
    known = spec.labels
    for index, value in enumerate(items):
        if type(value) is not dict or len(value) != 3:
            return None
        identity, label, boxes = _TRACK_VALUES(value)
        if not (type(label) is str and label in known and type(boxes) is dict
                and ((type(identity) is int and 0 <= identity <= MAX_ID)
                     or (type(identity) is str and 0 < len(identity) <= checks.MAX_NAME_CHARS
                         and not identity.isspace()))):
            return None
        ids.append(identity)
        labels.append(label)
        keys += boxes
        values += boxes.values()
        tracks += [index] * len(boxes)
    if len(set(ids)) < len(ids) or len(keys) > MAX_BOXES:
        return None
    if not keys:
        return ids, labels, [], [], np.zeros((4, 0))
    tolerance = checks.EDGE_TOLERANCE
    frames = list(map(frame_names(spec.frames).get, keys))
    if not (None not in frames and set(map(type, values)) == {dict}
            and set(map(len, values)) == {4}):
        return None
    columns = tuple(zip(*map(_RECT_VALUES, values), strict=True))
    if not set(map(type, columns[0] + columns[1] + columns[2] + columns[3])) <= _NUMBERS:
        return None
    x, y, w, h = xywh = np.array(columns, dtype=float)
    if not (np.isfinite(xywh).all() and xywh[2:].min() > 0 and xywh[:2].min() >= -tolerance
            and (x + w).max() <= spec.width + tolerance
            and (y + h).max() <= spec.height + tolerance):
        return None
    return ids, labels, frames, tracks, xywh


@lru_cache(maxsize=16)
def frame_names(frames: int) -> dict[str, int]:
    """{"0": 0, "1": 1, ...} for a clip of `frames` frames: the frame keys JSON gives."""
    return {str(frame): frame for frame in range(frames)}


def parse(spec: TrackSpec, value: Any, role: str) -> Tracks:
    """A list of tracks with unique ids, at most MAX_BOXES boxes in all."""
    items = checks.array(value, role, MAX_TRACKS)
    try:
        parsed = quick_parse(spec, items)
    except (KeyError, ValueError, OverflowError):  # a key missing; inf - inf, a huge integer
        parsed = None
    ids, labels, frames, tracks, xywh = parsed or slow_parse(spec, items, role)
    frame = np.array(frames, dtype=np.intp)
    order = np.argsort(frame, kind="stable")
    track = np.array(tracks, dtype=np.intp)[order]
    corners = xywh.T[order]
    corners[:, 2:] += corners[:, :2]
    sides = corners[:, 2:] - corners[:, :2]
    codes = list(spec.labels)
    label = np.array([codes.index(name) for name in labels], dtype=np.intp)[track]
    return Tracks(ids, labels, frame[order], track, label, corners, sides[:, 0] * sides[:, 1])


def slow_parse(spec: TrackSpec, items: list | tuple, role: str) -> tuple:
    """What quick_parse gives, track by track with precise errors."""
    ids, labels, frames, tracks, rows = [], [], [], [], []
    first: dict[Any, int] = {}
    for index, item in enumerate(items):
        identity, label, boxes = parse_track(spec, item, f"{role}[{index}]")
        if identity in first:
            checks.fail(f"{role}[{index}].id",
                        f"duplicate of {role}[{first[identity]}].id {checks.show(identity)}")
        first[identity] = index
        if len(frames) + len(boxes) > MAX_BOXES:
            checks.fail(f"{role}[{index}].boxes",
                        f"too many boxes: more than {MAX_BOXES} in all tracks together")
        ids.append(identity)
        labels.append(label)
        frames += [frame for frame, *_ in boxes]
        tracks += [index] * len(boxes)
        rows += [rect for _, *rect in boxes]
    return ids, labels, frames, tracks, np.array(rows, dtype=float).reshape(-1, 4).T


class Pairs(NamedTuple):
    """Boxes of the two sides in the same frame that overlap, in frame order: the gold and
    answer box (indices into Tracks), their IoU, whether the labels agree."""

    gold: np.ndarray
    answer: np.ndarray
    iou: np.ndarray
    same: np.ndarray


def overlaps(gold: Tracks, answer: Tracks, frames: int) -> Pairs:
    """Every pair of a gold and an answer box in the same frame with IoU > 0.

    Built without a loop: each gold box is repeated once per answer box of its frame. There
    are at most MAX_TRACKS x MAX_BOXES such pairs.
    """
    per_frame = np.bincount(answer.frame, minlength=frames)
    first = np.cumsum(per_frame) - per_frame
    repeats = per_frame[gold.frame]
    g = np.repeat(np.arange(len(gold.frame)), repeats)
    a = np.arange(len(g)) + np.repeat(first[gold.frame] - np.cumsum(repeats) + repeats, repeats)
    p, q = gold.corners[g], answer.corners[a]
    extent = np.minimum(p[:, 2:], q[:, 2:])
    extent -= np.maximum(p[:, :2], q[:, :2])
    np.maximum(extent, 0.0, out=extent)
    inter = extent[:, 0] * extent[:, 1]
    union = gold.area[g] + answer.area[a] - inter
    # Boxes too small for their area to be a double: 0 / tiny is 0 rather than 0 / 0.
    iou = inter / np.maximum(union, np.finfo(float).tiny)
    keep = iou > 0
    g, a = g[keep], a[keep]
    same = gold.label[g] == answer.label[a]
    return Pairs(g, a, iou[keep], same)


def hota(gold: Tracks, answer: Tracks, pairs: Pairs) -> dict[str, float]:
    """HOTA and its parts, each the mean over ALPHAS, step by step as TrackEval's HOTA metric.

    Empty gold with an empty answer scores 1 throughout (TrackEval says 0: it has nothing to
    measure; a trainee who rightly drew nothing did the task).
    """
    n_gold, n_answer = len(gold.frame), len(answer.frame)
    if n_gold == n_answer == 0:
        return dict.fromkeys(MEASURES, 1.0)
    g, a, sim = pairs.gold[pairs.same], pairs.answer[pairs.same], pairs.iou[pairs.same]
    tracks_g, tracks_a = len(gold.ids), len(answer.ids)
    gold_size = np.bincount(gold.track, minlength=tracks_g).astype(float)
    answer_size = np.bincount(answer.track, minlength=tracks_a).astype(float)
    cell = gold.track[g] * tracks_a + answer.track[a]
    # How well each gold track aligns with each answer track over the clip (TrackEval's
    # global_alignment_score): per frame, IoU over the boxes' total IoU with all others.
    total = np.bincount(g, sim, n_gold)[g] + np.bincount(a, sim, n_answer)[a] - sim
    share = np.divide(sim, total, out=np.zeros_like(sim), where=total > np.finfo(float).eps)
    potential = np.bincount(cell, share, tracks_g * tracks_a)
    sizes = np.add.outer(gold_size, answer_size).ravel()
    alignment = potential / np.maximum(sizes - potential, np.finfo(float).tiny)
    chosen = frame_matches(gold.frame[g], g, a, alignment[cell] * sim)
    sim, cell = sim[chosen], cell[chosen]
    # A match counts at every level up to its IoU: count per (level reached, track pair),
    # then sum the levels from the top down.
    reached = np.searchsorted(_LEVELS, sim, side="right")
    levels = len(ALPHAS) + 1
    counts = np.bincount(reached * (tracks_g * tracks_a) + cell,
                         minlength=levels * tracks_g * tracks_a).reshape(levels, -1)
    matches = counts[::-1].cumsum(axis=0)[::-1][1:]
    hits = matches.sum(axis=1).astype(float)
    located = np.bincount(reached, sim, levels)[::-1].cumsum()[::-1][1:]
    squared = matches * matches
    per_hit = np.maximum(1.0, hits)
    assa = (squared / np.maximum(1.0, sizes - matches)).sum(axis=1) / per_hit
    assre = (squared / np.maximum(1.0, np.repeat(gold_size, tracks_a))).sum(axis=1) / per_hit
    asspr = (squared / np.maximum(1.0, np.tile(answer_size, tracks_g))).sum(axis=1) / per_hit
    deta = hits / np.maximum(1.0, n_gold + n_answer - hits)
    parts = {"hota": np.sqrt(deta * assa), "deta": deta, "assa": assa,
             "loca": np.maximum(1e-10, located) / np.maximum(1e-10, hits),
             "detre": hits / max(1, n_gold), "detpr": hits / max(1, n_answer),
             "assre": assre, "asspr": asspr}
    return {name: float(values.mean()) for name, values in parts.items()}


def frame_matches(frame: np.ndarray, g: np.ndarray, a: np.ndarray,
                  gain: np.ndarray) -> np.ndarray:
    """Indices of the pairs (boxes g and a, in frame order) that each frame's optimal
    assignment (most total `gain`) takes.

    A pair whose boxes are in no other pair is taken as it is. The other pairs of all frames
    go to one solver call: frames share no box, so the best assignment of them all is each
    frame's best (cells between frames are 0 and never taken). Calls are cut at whole
    frames so that a table has at most about BLOCK rows plus columns.
    """
    useful = gain > 0
    counts_g = np.bincount(g[useful], minlength=len(g) and int(g.max()) + 1)
    counts_a = np.bincount(a[useful], minlength=len(a) and int(a.max()) + 1)
    lone = (counts_g[g] == 1) & (counts_a[a] == 1) & useful
    rivals = np.flatnonzero(useful & ~lone)
    if not len(rivals):
        return np.flatnonzero(lone)
    # Boxes are in frame order, so rows and columns grow with the frame.
    row = np.unique(g[rivals], return_inverse=True)[1]
    col = np.unique(a[rivals], return_inverse=True)[1]
    starts = np.flatnonzero(np.diff(frame[rivals], prepend=-1))
    first = (np.minimum.reduceat(row, starts) + np.minimum.reduceat(col, starts)) // BLOCK
    block = np.repeat(first, np.diff(starts, append=len(rivals))).tolist()
    chosen = [np.flatnonzero(lone)]
    bounds = [0, *(np.flatnonzero(np.diff(block)) + 1).tolist(), len(rivals)]
    for low, high in pairwise(bounds):
        rows, cols = row[low:high] - row[low], col[low:high] - col[low:high].min()
        table = np.zeros((rows[-1] + 1, cols.max() + 1))
        table[rows, cols] = gain[rivals[low:high]]
        which = np.full(table.shape, -1)
        which[rows, cols] = rivals[low:high]
        picked = which[linear_sum_assignment(table, maximize=True)]
        chosen.append(picked[picked >= 0])
    return np.sort(np.concatenate(chosen))


def score(spec: Any, gold: Any, answer: Any) -> Score:
    """HOTA as the points; correct when HOTA and AssA reach their thresholds and the answer
    follows every gold track through at least half of its frames."""
    checked = parse_spec(spec)
    expected = parse(checked, gold, "gold")
    given = parse(checked, answer, "answer")
    pairs = overlaps(expected, given, checked.frames)
    measures = hota(expected, given, pairs)
    details = measures | follow(checked, expected, given, pairs) | {
        "iou_threshold": checked.iou_threshold, "hota_threshold": checked.hota_threshold,
        "assa_threshold": checked.assa_threshold}
    correct = (measures["hota"] >= checked.hota_threshold
               and measures["assa"] >= checked.assa_threshold and not details["missed"])
    return Score(measures["hota"], correct, details)


def follow(spec: TrackSpec, gold: Tracks, answer: Tracks, pairs: Pairs) -> dict[str, Any]:
    """The CLEAR MOT matching at the spec's IoU threshold and what it says: MOTA, IDF1, and
    each gold track's story (see describe)."""
    close = pairs.iou >= spec.iou_threshold
    valid = close & pairs.same
    g, a = pairs.gold[valid], pairs.answer[valid]
    g_track, a_track = gold.track[g], answer.track[a]
    chosen = clear_matches(gold.frame[g], g, a, g_track, a_track, pairs.iou[valid])
    # Right boxes with the wrong label: boxes left over in a frame, paired across labels,
    # as many as possible (the bonus), then by IoU.
    free_g = np.ones(len(gold.frame), dtype=bool)
    free_g[g[chosen]] = False
    free_a = np.ones(len(answer.frame), dtype=bool)
    free_a[a[chosen]] = False
    across = close & ~pairs.same
    cg, ca = pairs.gold[across], pairs.answer[across]
    free = free_g[cg] & free_a[ca]
    cg, ca = cg[free], ca[free]
    wrong = frame_matches(gold.frame[cg], cg, ca, pairs.iou[across][free] + MAX_TRACKS + 1)
    mislabelled = Counter(zip(gold.track[cg[wrong]].tolist(), answer.track[ca[wrong]].tolist(),
                              strict=True))
    n_gold, n_answer = len(gold.frame), len(answer.frame)
    story = describe(gold, answer, gold.frame[g[chosen]], g_track[chosen], a_track[chosen],
                     mislabelled)
    hits, switches = len(chosen), sum(len(track["switches"]) for track in story["tracks"])
    return {"mota": 1.0 - (n_gold + n_answer - 2 * hits + switches) / n_gold if n_gold else None,
            "idf1": identity_f1(g_track, a_track, len(gold.ids), len(answer.ids),
                                n_gold + n_answer),
            "id_switches": switches, "missed_boxes": n_gold - hits,
            "extra_boxes": n_answer - hits} | story


def clear_matches(frame: np.ndarray, g: np.ndarray, a: np.ndarray, g_track: np.ndarray,
                  a_track: np.ndarray, iou: np.ndarray) -> list[int]:
    """Which of the candidate pairs (boxes g and a, in frame order) CLEAR MOT matches.

    Frame by frame as motmetrics does: a gold track keeps the answer track it was last
    matched with while their boxes still qualify, then the rest is an assignment with as
    many pairs as possible and the most IoU. In a frame where no box is in two candidate
    pairs that takes every pair, whatever came before, so only the other frames need to
    know the last partners.
    """
    lone = (np.bincount(g)[g] == 1) & (np.bincount(a)[a] == 1) if len(g) else g == 0
    busy = set(frame[~lone].tolist())
    bounds = [0, *(np.flatnonzero(np.diff(frame)) + 1).tolist(), len(frame)]
    frames, golds, answers, overlap = (frame.tolist(), g_track.tolist(), a_track.tolist(),
                                       iou.tolist())
    last: dict[int, int] = {}
    chosen: list[int] = []
    for low, high in pairwise(bounds):
        if high == low:
            continue
        if frames[low] not in busy:
            last.update(zip(golds[low:high], answers[low:high], strict=True))
            chosen += range(low, high)
            continue
        index = {(golds[k], answers[k]): k for k in range(low, high)}
        kept = {i: j for i, j in index if last.get(i) == j}
        taken = set(kept.values())
        rest = [(i, j, overlap[k]) for (i, j), k in index.items()
                if i not in kept and j not in taken]
        kept.update((i, j) for i, j, _ in assign(rest))
        last.update(kept)
        chosen += (index[pair] for pair in kept.items())
    return chosen


def identity_f1(g: np.ndarray, a: np.ndarray, tracks_g: int, tracks_a: int, boxes: int) -> float:
    """IDF1: the frames matched under the best one-to-one pairing of gold and answer tracks
    (pairs of boxes at IoU >= threshold, given as their tracks), over all boxes, doubled."""
    if not boxes:
        return 1.0
    if not len(g):
        return 0.0
    table = np.bincount(g * tracks_a + a, minlength=tracks_g * tracks_a).reshape(tracks_g, -1)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return 2.0 * int(table[rows, cols].sum()) / boxes


def describe(gold: Tracks, answer: Tracks, frame: np.ndarray, g: np.ndarray, a: np.ndarray,
             mislabelled: Counter) -> dict[str, Any]:
    """Per gold track: its frames in view, those matched and missed (as [first, last] runs),
    the frames where it was lost (unmatched after a matched frame in view), the identity
    switches (matched to another answer track than the last time), the answer tracks that
    followed it and right boxes with another label. Then the ids of the missed gold tracks
    and of the answer tracks that matched nothing. `frame`, `g`, `a` are the matches."""
    order = np.lexsort((frame, g))
    bounds = np.searchsorted(g[order], np.arange(len(gold.ids) + 1)).tolist()
    frames_matched, answers = frame[order].tolist(), a[order].tolist()
    in_view: list[list[int]] = [[] for _ in gold.ids]
    for at, index in zip(gold.frame.tolist(), gold.track.tolist(), strict=True):
        in_view[index].append(at)
    others: list[dict[int, int]] = [{} for _ in gold.ids]
    for (i, j), count in mislabelled.items():
        others[i][j] = count
    tracks = []
    for index, frames in enumerate(in_view):
        low, high = bounds[index], bounds[index + 1]
        hits, followers = frames_matched[low:high], answers[low:high]
        matched = set(hits)
        coverage = len(hits) / len(frames) if frames else 1.0
        tracks.append({
            "id": gold.ids[index], "label": gold.labels[index], "frames": len(frames),
            "matched_frames": runs(hits),
            "missed_frames": runs([f for f in frames if f not in matched]),
            "lost_at": [f for before, f in pairwise(frames) if before in matched
                        and f not in matched],
            "switches": [{"frame": hits[k], "from": answer.ids[followers[k - 1]],
                          "to": answer.ids[followers[k]]}
                         for k in range(1, len(hits)) if followers[k] != followers[k - 1]],
            "followed_by": [{"id": answer.ids[j], "frames": n}
                            for j, n in Counter(followers).items()],
            "mislabelled_as": [{"id": answer.ids[j], "label": answer.labels[j], "frames": n}
                               for j, n in others[index].items()],
            "coverage": coverage, "missed": coverage < MIN_COVERAGE})
    found = set(answers) | {j for _, j in mislabelled}
    drawn = set(answer.track.tolist())
    return {"tracks": tracks,
            "missed": [track["id"] for track in tracks if track["missed"]],
            "extra": [answer.ids[j] for j in range(len(answer.ids))
                      if j in drawn and j not in found]}


def runs(frames: list[int]) -> list[list[int]]:
    """Increasing frame numbers as [first, last] runs of consecutive frames."""
    result: list[list[int]] = []
    for frame in frames:
        if result and result[-1][1] == frame - 1:
            result[-1][1] = frame
        else:
            result.append([frame, frame])
    return result
