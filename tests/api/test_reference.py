"""The API reference page: rendered here from the generated OpenAPI document, no CDN."""

from __future__ import annotations

import re

from bootcamp.api.spec import spec


def test_the_openapi_document_describes_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    api_rules = {str(rule) for rule in app.url_map.iter_rules()
                 if rule.endpoint.startswith("api.") and rule.endpoint != "api.reference"}
    described = {re.sub(r"\{(\w+)\}", r"<\1>", path) for path in document["paths"]}
    assert {re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule) for rule in api_rules} == described
    for operations in document["paths"].values():
        for operation in operations.values():
            assert operation["x-scope"] and operation["security"]
            for code, answer in operation["responses"].items():
                if int(code) >= 400:
                    assert list(answer["content"]) == ["application/problem+json"]


def test_the_reference_page_lists_every_operation_and_model(app, client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    with app.app_context():
        document = spec.spec
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert f"{method.upper()} {path}" in html
            assert operation["x-scope"] in html
            for param in operation.get("parameters", []):
                assert f"<code>{param['name']}</code>" in html
    for name in document["components"]["schemas"]:
        assert f'id="model-{name}"' in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from elsewhere
    scripts = re.findall(r"<script\b[^>]*>", html)  # the site's own files only, no inline code
    assert all(re.search(r' src="/static/js/[\w./-]+"', script) for script in scripts), scripts


def test_a_method_not_allowed_is_a_problem_that_says_what_is(client, token):
    response = client.delete("/api/v1/courses", headers=token.headers)
    assert response.status_code == 405 and response.mimetype == "application/problem+json"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET"}
