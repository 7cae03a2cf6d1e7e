"""The API reference page's content, read from the generated OpenAPI document.

Pure: the spec dict in, plain rows out, so the page (templates/api/reference.html) shows
exactly what /api/v1/openapi.json says and nothing is written twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # path, query, header, body
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class Answer:
    status: str
    description: str
    model: str | None
    media_type: str | None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    description: str
    scope: str | None
    tags: list[str]
    params: list[Param]
    body: str | None  # the request body's model
    answers: list[Answer]

    @property
    def anchor(self) -> str:
        return f"{self.method}-{self.path}".replace("/", "-").replace("{", "").replace("}", "")


@dataclass(frozen=True)
class Model:
    name: str
    description: str
    fields: list[Param] = field(default_factory=list)


def ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_of(schema: dict[str, Any]) -> str:
    """A JSON schema in a few words: "list of Standing", "date-time or null"."""
    if "$ref" in schema:
        return ref_name(schema["$ref"])
    if "anyOf" in schema or "oneOf" in schema:
        return " or ".join(type_of(part) for part in schema.get("anyOf") or schema["oneOf"])
    if "enum" in schema:
        return "one of " + ", ".join(str(value) for value in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    json_type = schema.get("type", "any")
    if json_type == "array":
        return "list of " + type_of(schema.get("items", {}))
    if json_type == "object":
        return "object"
    return schema.get("format", json_type) if json_type == "string" else json_type


def _params(operation: dict[str, Any], spec: dict[str, Any]) -> list[Param]:
    found = []
    for param in operation.get("parameters", []):
        schema = param.get("schema", {})
        found.append(Param(param["name"], param.get("in", ""), type_of(schema),
                           bool(param.get("required")),
                           param.get("description") or schema.get("description", "")))
    return found


def _body(operation: dict[str, Any]) -> str | None:
    content = operation.get("requestBody", {}).get("content", {})
    for media in content.values():
        return type_of(media.get("schema", {}))
    return None


def _answers(operation: dict[str, Any]) -> list[Answer]:
    answers = []
    for status, answer in sorted(operation.get("responses", {}).items()):
        content = answer.get("content", {})
        media_type = next(iter(content), None)
        model = type_of(content[media_type].get("schema", {})) if media_type else None
        answers.append(Answer(status, answer.get("description", ""), model, media_type))
    return answers


def operations(spec: dict[str, Any]) -> list[Operation]:
    """Every operation of the spec, by path then method."""
    found = []
    for path, item in sorted(spec.get("paths", {}).items()):
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            found.append(Operation(
                method.upper(), path, operation.get("summary", ""),
                operation.get("description", ""), operation.get("x-scope"),
                operation.get("tags", []), _params(operation, spec), _body(operation),
                _answers(operation)))
    return found


def models(spec: dict[str, Any]) -> list[Model]:
    """Every named schema with its fields, by name."""
    found = []
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        fields = [Param(field_name, "body", type_of(field_schema), field_name in required,
                        field_schema.get("description", ""))
                  for field_name, field_schema in schema.get("properties", {}).items()]
        found.append(Model(name, schema.get("description", ""), fields))
    return found
