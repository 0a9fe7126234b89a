"""Every console route for every role: anonymous visitors, operators and admins get exactly what they may.

The table below must list every route the console has; a new route without a rule fails the test.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Route

from tests.console.conftest import (
    csrf_of,
    escalated_contact,
    logged_in,
    ref,
    registration,
    review_case,
)

# (method, path, who may use it): public = anyone, operator = operators and admins, admin = admins only,
# supervisor = supervisors and admins, approved = an admin holding another admin's approval (tested in
# tests/adversary/test_operators.py; here even an admin is refused without one),
# simulator = admins (and anyone in demo mode, tested separately).
ROUTES: list[tuple[str, str, str]] = [
    ("GET", "/login", "public"),
    ("POST", "/login", "public"),
    ("POST", "/logout", "public"),
    ("GET", "/lang/{code}", "public"),
    ("GET", "/login/code", "public"),
    ("POST", "/login/code", "public"),
    ("GET", "/reset/{token}", "public"),
    ("POST", "/reset/{token}", "public"),
    ("GET", "/mfa", "operator"),
    ("POST", "/mfa", "operator"),
    ("GET", "/", "operator"),
    ("GET", "/api/stats", "admin"),
    ("GET", "/inbox", "operator"),
    ("GET", "/inbox/rows", "operator"),
    ("GET", "/conversations/{ref}", "operator"),
    ("GET", "/conversations/{ref}/rows", "operator"),
    ("POST", "/conversations/{ref}/claim", "operator"),
    ("POST", "/conversations/{ref}/assign", "admin"),
    ("POST", "/conversations/{ref}/reply", "operator"),
    ("POST", "/conversations/{ref}/template", "operator"),
    ("POST", "/conversations/{ref}/handback", "operator"),
    ("POST", "/conversations/{ref}/resolve", "operator"),
    ("POST", "/conversations/{ref}/reveal", "supervisor"),
    ("GET", "/reviews", "operator"),
    ("GET", "/reviews/{ref}", "operator"),
    ("POST", "/reviews/{ref}/confirm", "operator"),
    ("POST", "/reviews/{ref}/reject", "operator"),
    ("GET", "/registrations/{ref}", "operator"),
    ("POST", "/registrations/{ref}/verify", "operator"),
    ("POST", "/registrations/{ref}/vet", "operator"),
    ("POST", "/registrations/{ref}/reveal", "supervisor"),
    ("GET", "/registry", "operator"),
    ("POST", "/registry/search", "operator"),
    ("GET", "/registry/records/{ref}", "operator"),
    ("GET", "/registry/import", "admin"),
    ("POST", "/registry/import/preview", "admin"),
    ("POST", "/registry/import/run", "admin"),
    ("GET", "/registry/imports", "admin"),
    ("GET", "/registry/imports/{ref}", "admin"),
    ("GET", "/registry/imports/{ref}/errors.csv", "admin"),
    ("GET", "/operators", "admin"),
    ("POST", "/operators", "admin"),
    ("POST", "/operators/{ref}/active", "admin"),
    ("GET", "/audit", "admin"),
    ("POST", "/audit/export", "admin"),
    ("GET", "/audit.csv", "approved"),
    ("GET", "/audit/{ref}", "admin"),
    ("GET", "/simulator", "simulator"),
    ("POST", "/simulator/send", "simulator"),
    ("GET", "/simulator/messages", "simulator"),
]


def console_app(app: Any) -> Any:
    return next(r.app for r in app.routes if getattr(r, "path", "") == "/console")


def test_the_table_lists_every_console_route(app: Any) -> None:
    present = {
        (method, route.path)
        for route in console_app(app).routes
        if isinstance(route, Route)
        for method in (route.methods or set()) - {"HEAD"}
    }
    assert present == {(m, p) for m, p, _ in ROUTES}


#: Which kind of public id a route's {ref} is, by the route's first segment.
KIND_OF = {"conversations": "contact", "reviews": "match", "registrations": "registration", "registry": None,
           "operators": "operator", "audit": "event"}


def fill(path: str, ids: dict[str, int]) -> str:
    if "{ref}" in path:
        first, second = path.split("/")[1:3]
        kind = KIND_OF[first] or ("record" if second == "records" else "batch")
        path = path.replace("{ref}", ref(kind, ids[kind]))
    return path.replace("{code}", "en").replace("{token}", "no-such-link")


def call(client: TestClient, method: str, path: str, token: str) -> Any:
    if method == "GET":
        params = {"phone": "family-1"} if path.endswith("/simulator/messages") else None
        return client.get(path, params=params)
    if path.endswith("/simulator/send"):
        return client.post(path, json={"phone": "family-1", "body": "hi"}, headers={"x-csrf-token": token})
    return client.post(path, data={"csrf": token})


@pytest.mark.parametrize("role", ["anonymous", "operator", "admin"])
def test_every_route_for_every_role(app: Any, accounts, factory, role: str) -> None:  # type: ignore[no-untyped-def]
    ids = {
        "contact": escalated_contact(factory),
        "match": review_case(factory).match_id,
        "registration": registration(factory),
        "record": 1,
        "batch": 999,
        "operator": int(accounts.other.id),
        "event": 1,
    }
    if role == "anonymous":
        client = TestClient(app, follow_redirects=False)
        client.__enter__()
    else:
        client = logged_in(app, "rania" if role == "operator" else "samir")
    token = csrf_of(client, "/console/login" if role == "anonymous" else "/console/inbox")
    for method, template, level in ROUTES:
        if method == "POST" and template in ("/login", "/logout"):
            continue  # a login without credentials fails and logout ends the session: both in test_auth
        path = "/console" + fill(template, ids)
        response = call(client, method, path, token)
        allowed = level == "public" or (role == "operator" and level == "operator") or (
            role == "admin" and level in ("operator", "supervisor", "admin", "simulator"))
        where = f"{role} {method} {path} -> {response.status_code}"
        if allowed:
            assert response.status_code not in (401, 403), where
            assert response.status_code < 500, where
        elif role == "anonymous":
            if method == "GET" and "/api/" not in path and not path.endswith("/rows") and "/simulator/messages" not in path:
                assert response.status_code == 303 and response.headers["location"].startswith("/console/login"), where
            else:
                assert response.status_code == 401, where
        else:
            assert response.status_code == 403, where
    client.__exit__(None, None, None)
