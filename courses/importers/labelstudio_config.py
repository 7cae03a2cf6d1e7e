"""Label Studio labeling configs: which controls a project has and their full option sets.

A project's config is XML (<View><Image name="image" value="$image"/><Choices name="kind"
toName="image" choice="single">...). Only the controls Bootcamp can import are kept:
Choices, RectangleLabels, KeyPointLabels and Labels, each with its Choice / Label values (an
alias, when set, is what results store, so it is the option). Parsed with expat directly, so
errors name the config's line; a DOCTYPE (and so any entity) is refused.

Without a config, the controls are inferred from the export's results, options sorted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.parsers import expat

from courses.errors import SourceError, SourceInvalid

CONTROL_TAGS = {"Choices": "choices", "RectangleLabels": "rectanglelabels",
                "KeyPointLabels": "keypointlabels", "Labels": "labels"}
OPTION_TAGS = {"choices": "Choice", "rectanglelabels": "Label", "keypointlabels": "Label",
               "labels": "Label"}
IMAGE_TYPES = frozenset({"rectanglelabels", "keypointlabels"})


@dataclass
class Control:
    """A labelling control: its result type, its options, and the task data it labels."""

    name: str
    type: str  # the results' "type": choices, rectanglelabels, keypointlabels or labels
    options: list[str] = field(default_factory=list)
    multiple: bool = False  # Choices with choice="multiple": a labels item
    data_key: str | None = None  # the task "data" key of the object labelled ("image")
    data_kind: str | None = None  # "image" or "text", when the config says
    line: int = 1


class _ConfigReader:
    """Expat callbacks collecting controls, objects and problems."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.StartDoctypeDeclHandler = self.doctype
        self.controls: dict[str, Control] = {}
        self.targets: dict[str, str] = {}  # control name -> toName
        self.objects: dict[str, tuple[str, str]] = {}  # object name -> (data key, tag)
        self.open: list[Control | None] = []
        self.errors: list[SourceError] = []

    def problem(self, message: str) -> None:
        self.errors.append(SourceError(self.file, self.parser.CurrentLineNumber, message))

    def doctype(self, *_: object) -> None:
        self.problem("a labeling config must not have a DOCTYPE")
        raise SourceInvalid(self.errors)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        control = None
        if tag in CONTROL_TAGS:
            control = self.control(tag, attrs)
        elif self.open and self.open[-1] is not None and tag == OPTION_TAGS[self.open[-1].type]:
            self.option(self.open[-1], attrs)
        elif attrs.get("name") and attrs.get("value", "").startswith("$"):
            self.objects[attrs["name"]] = (attrs["value"][1:], tag)
        self.open.append(control)

    def end(self, tag: str) -> None:
        control = self.open.pop()
        if control is not None and not control.options:
            self.errors.append(SourceError(self.file, control.line,
                                           f'<{tag} name="{control.name}"> has no options'))

    def control(self, tag: str, attrs: dict[str, str]) -> Control | None:
        name = attrs.get("name", "").strip()
        if not name:
            self.problem(f"<{tag}> needs a name")
            return None
        if name in self.controls:
            self.problem(f'<{tag} name="{name}">: the name is used by another control')
            return None
        multiple = tag == "Choices" and attrs.get("choice") == "multiple"
        control = Control(name, CONTROL_TAGS[tag], multiple=multiple,
                          line=self.parser.CurrentLineNumber)
        self.controls[name] = control
        self.targets[name] = attrs.get("toName", "").split(",")[0].strip()
        return control

    def option(self, control: Control, attrs: dict[str, str]) -> None:
        value = attrs.get("alias") or attrs.get("value")
        if not value or not value.strip():
            self.problem(f'an option of "{control.name}" has no value')
        elif value in control.options:
            self.problem(f'"{control.name}" lists the option "{value}" twice')
        else:
            control.options.append(value)


def parse_config(xml: str, file: str = "config.xml") -> dict[str, Control]:
    """The importable controls of a labeling config, by name; SourceInvalid on any problem."""
    reader = _ConfigReader(file)
    try:
        reader.parser.Parse(xml.removeprefix("\ufeff"), True)
    except expat.ExpatError as error:
        message = f"not valid XML: {expat.errors.messages[error.code]} (column {error.offset + 1})"
        raise SourceInvalid([*reader.errors, SourceError(file, error.lineno, message)]) from None
    for name, control in reader.controls.items():
        target = reader.objects.get(reader.targets[name])
        if target is None:
            reader.errors.append(SourceError(file, control.line, f'"{name}" labels '
                                 f'"{reader.targets[name]}", which is not an object of the config'))
            continue
        control.data_key = target[0]
        control.data_kind = "text" if target[1] in ("Text", "HyperText", "Paragraphs") else "image"
    if reader.errors:
        raise SourceInvalid(reader.errors)
    return reader.controls


def infer_controls(results: Iterable[dict]) -> dict[str, Control]:
    """Controls seen in results, each with the sorted set of values it was given."""
    controls: dict[str, Control] = {}
    seen: dict[str, set[str]] = {}
    for result in results:
        tag, name = result.get("type"), result.get("from_name")
        value = result.get("value")
        if not isinstance(tag, str) or tag not in OPTION_TAGS or not isinstance(name, str):
            continue
        control = controls.setdefault(name, Control(name, tag))
        values = value.get(tag) if isinstance(value, dict) else None
        if control.type != tag or not isinstance(values, list):
            continue
        seen.setdefault(name, set()).update(v for v in values if isinstance(v, str))
        control.multiple = control.multiple or (tag == "choices" and len(values) > 1)
    for name, control in controls.items():
        control.options = sorted(seen.get(name, ()))
    return controls
