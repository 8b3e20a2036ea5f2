"""The quick start, walked by a Python client generated from the server's own OpenAPI document.

`openapi-python-client` (pinned in requirements.txt) turns /api/openapi.json into the
`trellis_client` package, unedited; .ci/walks.sh installs it into .venv/ and runs this file with it.

Usage: python walk.py http://127.0.0.1:PORT  — one line per step; exit 1 at the first mismatch.
"""

from __future__ import annotations

import secrets
import sys
import traceback
from http import HTTPStatus
from typing import NoReturn

LABEL = "python"
steps = 0


def ok(step: str, what: str) -> None:
    global steps
    steps += 1
    print(f"{LABEL}: ok   {step:<8} {what}", flush=True)


def fail(step: str, why: str) -> NoReturn:
    print(f"{LABEL}: FAIL {step:<8} {why}", flush=True)
    print(f"{LABEL}: FAILED at {step} after {steps} steps", flush=True)
    sys.exit(1)


def expect(step: str, cond: bool, why: str) -> None:
    if not cond:
        fail(step, why)


def status(step: str, response, want: HTTPStatus) -> None:
    if response.status_code != want:
        fail(step, f"status {int(response.status_code)}, want {int(want)}: {response.content[:300]!r}")


def main(base: str) -> None:
    try:
        from trellis_client import AuthenticatedClient, Client
        from trellis_client.api.accounts import get_me, login, register
        from trellis_client.api.projects import (
            create_project,
            delete_project,
            get_project,
            list_projects,
            replace_project,
            update_project,
        )
        from trellis_client.models import (
            Credentials,
            Error,
            NewProject,
            ProjectEnvelope,
            ProjectUpdate,
            ProjectUpdateStatus,
            Registration,
            Session,
            UserEnvelope,
        )
    except Exception as e:  # the generated package itself is what is being tested here
        where = traceback.extract_tb(e.__traceback__)[-1]
        fail(
            "import",
            f"the generated package does not import: {type(e).__name__}: {e}"
            f" at {where.filename}:{where.lineno}: {(where.line or '').strip()}",
        )
    ok("import", "trellis_client and the operations it needs")

    email = f"py-walk-{secrets.token_hex(6)}@example.com"
    password = "correct horse battery"
    anonymous = Client(base_url=base, raise_on_unexpected_status=True)

    r = register.sync_detailed(
        client=anonymous, body=Registration(email=email, password=password, full_name="Ada Lovelace")
    )
    status("register", r, HTTPStatus.CREATED)
    s = r.parsed
    expect("register", isinstance(s, Session), f"parsed {s!r}")
    assert isinstance(s, Session)
    expect("register", s.user.email == email, f"email {s.user.email}")
    expect("register", s.user.role.value == "user", f"role {s.user.role}")
    expect("register", len(s.token) > 0, "empty token")
    ok("register", f"201 user {s.user.id} {s.user.email}")

    r = login.sync_detailed(client=anonymous, body=Credentials(email=email, password=password))
    status("login", r, HTTPStatus.OK)
    s = r.parsed
    expect("login", isinstance(s, Session), f"parsed {s!r}")
    assert isinstance(s, Session)
    expect("login", s.user.email == email, f"email {s.user.email}")
    expect("login", s.token.count(".") == 2, "token is not a JWT")
    token, user_id = s.token, s.user.id
    ok("login", f"200 token {token[:12]}…")

    client = AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True)

    r = get_me.sync_detailed(client=client)
    status("me", r, HTTPStatus.OK)
    me = r.parsed
    expect("me", isinstance(me, UserEnvelope), f"parsed {me!r}")
    assert isinstance(me, UserEnvelope)
    expect("me", me.user.id == user_id, f"id {me.user.id}, want {user_id}")
    expect("me", me.user.email == email, f"email {me.user.email}")
    expect("me", me.user.full_name == "Ada Lovelace", f"full_name {me.user.full_name}")
    ok("me", f"200 {me.user.email} ({me.user.full_name})")

    r = create_project.sync_detailed(
        client=client, body=NewProject(name="Apollo", description="Landing on the moon", budget=12500.5)
    )
    status("create", r, HTTPStatus.CREATED)
    env = r.parsed
    expect("create", isinstance(env, ProjectEnvelope), f"parsed {env!r}")
    assert isinstance(env, ProjectEnvelope)
    p = env.project
    expect("create", p.name == "Apollo", f"name {p.name}")
    expect("create", p.status.value == "active", f"status {p.status}")
    expect("create", p.budget == 12500.5, f"budget {p.budget}")
    expect("create", p.user_id == user_id, f"user_id {p.user_id}")
    project_id = p.id
    ok("create", f"201 project {p.id} {p.name} {p.status.value} budget {p.budget}")

    r = list_projects.sync_detailed(client=client, page=1, limit=20)
    status("list", r, HTTPStatus.OK)
    page = r.parsed
    expect("list", page is not None and not isinstance(page, Error), f"parsed {page!r}")
    assert page is not None and not isinstance(page, Error)
    expect("list", page.total == 1, f"total {page.total}")
    expect("list", page.page == 1 and page.limit == 20, f"page {page.page} limit {page.limit}")
    expect("list", page.total_pages == 1, f"totalPages {page.total_pages}")
    expect("list", len(page.data) == 1 and page.data[0].id == project_id, f"data {page.data!r}")
    ok("list", f"200 total {page.total}, first {page.data[0].name}")

    # The old service's own quick start: PUT with only the field that changes.
    r = replace_project.sync_detailed(
        project_id, client=client, body=ProjectUpdate(status=ProjectUpdateStatus("completed"))
    )
    status("put", r, HTTPStatus.OK)
    env = r.parsed
    expect("put", isinstance(env, ProjectEnvelope), f"parsed {env!r}")
    assert isinstance(env, ProjectEnvelope)
    p = env.project
    expect("put", p.status.value == "completed", f"status {p.status}")
    expect("put", p.name == "Apollo", f"name changed to {p.name}")
    expect("put", p.budget == 12500.5, f"budget changed to {p.budget}")
    ok("put", f"200 status {p.status.value}, name and budget kept")

    # null clears (None is sent as null; a field left out is not sent at all).
    r = update_project.sync_detailed(project_id, client=client, body=ProjectUpdate(budget=None))
    status("patch", r, HTTPStatus.OK)
    env = r.parsed
    expect("patch", isinstance(env, ProjectEnvelope), f"parsed {env!r}")
    assert isinstance(env, ProjectEnvelope)
    p = env.project
    expect("patch", p.budget is None, f"budget {p.budget!r}, want None")
    expect("patch", p.status.value == "completed", f"status changed to {p.status}")
    ok("patch", f"200 budget {p.budget}, status {p.status.value}")

    r = delete_project.sync_detailed(project_id, client=client)
    status("delete", r, HTTPStatus.NO_CONTENT)
    expect("delete", r.content == b"", f"body {r.content!r}")
    gone = get_project.sync_detailed(project_id, client=client)
    status("delete", gone, HTTPStatus.NOT_FOUND)
    expect("delete", isinstance(gone.parsed, Error), f"parsed {gone.parsed!r}")
    assert isinstance(gone.parsed, Error)
    expect("delete", gone.parsed.error == "Project not found", f"error {gone.parsed.error}")
    ok("delete", "204, then GET 404 Project not found")

    r = create_project.sync_detailed(client=client, body=NewProject(name=""))
    status("invalid", r, HTTPStatus.BAD_REQUEST)
    err = r.parsed
    expect("invalid", isinstance(err, Error), f"parsed {err!r}")
    assert isinstance(err, Error)
    details = err.details if isinstance(err.details, list) else []
    expect("invalid", err.error == "Validation failed", f"error {err.error}")
    expect("invalid", any(d.startswith("name:") for d in details), f"details {details!r}")
    expect("invalid", len(err.request_id) > 0, "no request_id")
    ok("invalid", f"400 {err.error}: {'; '.join(details)}")

    print(f"{LABEL}: PASS {steps} steps", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python walk.py BASE_URL", file=sys.stderr)
        sys.exit(2)
    try:
        main(sys.argv[1])
    except SystemExit:
        raise
    except Exception as e:
        fail("error", f"{type(e).__name__}: {e}")
