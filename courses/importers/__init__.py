"""Gold items from the formats labelling teams already use, as Bootcamp's native items.

Pure converters (no Flask, no database; they only look into the media folder they are given).
Each returns every item or raises courses.errors.SourceInvalid listing every problem as
file:line: message.
docs/item-formats.md describes the native format and each mapping.

- load_items / dump_items: native items.jsonl, read and checked / written canonically.
- from_jsonl, from_coco, from_label_studio, from_csv, from_kitti, from_mot,
  from_cvat_video: Converted(items, media, lines), where media maps each bundle path
  "media/<file>" to the file to copy there (a regular file inside the media folder, within
  the size limit: courses.media_paths.media_file) or, for the frame strips the tracking
  formats compose, to its content; lines holds the source line of each item.
"""

from courses.importers.coco import from_coco
from courses.importers.common import Converted
from courses.importers.csv_items import from_csv
from courses.importers.cvat_video import from_cvat_video
from courses.importers.jsonl_items import from_jsonl
from courses.importers.kitti import from_kitti
from courses.importers.labelstudio import from_label_studio
from courses.importers.labelstudio_config import parse_config
from courses.importers.media import MediaFolder
from courses.importers.mot import from_mot, parse_classes
from courses.importers.native import ITEM_KEYS, dump_items, item_problems, load_items

__all__ = [
    "ITEM_KEYS",
    "Converted",
    "MediaFolder",
    "dump_items",
    "from_coco",
    "from_csv",
    "from_cvat_video",
    "from_jsonl",
    "from_kitti",
    "from_label_studio",
    "from_mot",
    "item_problems",
    "load_items",
    "parse_classes",
    "parse_config",
]
