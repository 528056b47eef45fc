"""The browser tier: the console in Debian's Chromium driven by Playwright (never a
browser download: executable_path=/usr/bin/chromium), against the system the repo's
scripts start.  Runs without the eventlet patch (`python -m pytest`): Playwright's sync
API needs real threads.  Screenshots for the README go to docs/screenshots/."""
import os
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.system import BASE, Client, second_admin, start_system, stop_system

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("KEFU_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def admin():
    password = start_system()
    first = Client("admin", password)
    first.password = password  # type: ignore[attr-defined]  # to sign in on the page too
    first.approver = second_admin(first)
    yield first
    stop_system()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=["--no-sandbox", "--lang=zh-CN"])
        yield chromium
        chromium.close()


class Person:
    """A staff member: the API client (to set the scene) and the password (to sign in
    in a browser)."""

    def __init__(self, admin, role: str, groups=(), clearance: int = 0, name: str = ""):
        self.username = f"{role[:5]}{uuid.uuid4().hex[:8]}"
        self.password = f"pw-{uuid.uuid4().hex}"
        reply = admin.create_staff({"username": self.username,
                                    "display_name": name or f"{role}测试",
                                    "password": self.password, "roles": [role],
                                    "groups": list(groups), "clearance": clearance})
        assert reply.status_code in (200, 201), reply.text
        self.api = Client(self.username, self.password)
        self.id = self.api.staff["id"]


class Console:
    """One person's browser tab, signed in through the login page; every console error
    and failed request of the tab is kept to be asserted on."""

    def __init__(self, browser, person: Person, width: int = 1366, height: int = 860):
        self.context = browser.new_context(viewport={"width": width, "height": height},
                                           locale="zh-CN", timezone_id="Asia/Shanghai")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(BASE + "/")
        assert "/login" in self.page.url
        self.page.fill("input[name=username]", person.username)
        self.page.fill("input[name=password]", person.password)
        self.page.press("input[name=password]", "Enter")
        self.page.wait_for_url(BASE + "/")

    def goto(self, path: str):
        return self.page.goto(BASE + path)

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)

    def close(self) -> None:
        self.context.close()
