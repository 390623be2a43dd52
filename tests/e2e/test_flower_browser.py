"""Flower, as an operator sees it: a real stack, `descflow flower` with basic auth, headless Chromium.

The stack (a gpu-queue and a cpu-queue worker against real Redis and a SQLite
database) publishes a few descriptions while Flower watches; then the browser,
authenticated with a Basic `Authorization` header set through the DevTools
protocol, must show both workers and the descflow tasks, and without the
header must get 401 and see none of it.

Needs Debian's `chromium` and `chromium-driver` (`bash scripts/install_browser.sh`)
and `selenium`. Selenium is given the driver's path, so Selenium Manager never
runs and nothing is downloaded.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from descflow.services import LocalRedis, free_port
from schemas.tables import PublishedDescription
from tests.factories import product_event
from tests.stack import Stack, start_stack, stop_stack

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT = 120  # seconds: the bound on every wait in this module
REPO = Path(__file__).resolve().parents[2]
PAGES = ("/", "/workers", "/tasks", "/api/workers")
TASK_NAMES = ("descflow.ingest", "descflow.generate", "descflow.correct", "descflow.dedup", "descflow.rank",
              "descflow.publish")


def _missing_browser() -> str | None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not (p.is_file() and os.access(p, os.X_OK))]
    if missing:
        return (f"{' and '.join(missing)} not installed: run `bash scripts/install_browser.sh` "
                "(Debian's chromium and chromium-driver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: `.venv/bin/pip install -e '.[test]'`"
    return None


MISSING = _missing_browser()
if MISSING and not os.environ.get("CI"):
    # Skip before any fixture trains a model or starts a worker. Under CI the `flower`
    # fixture fails instead, so a missing browser cannot pass unnoticed.
    pytest.skip(MISSING, allow_module_level=True)

if not MISSING:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait


@dataclass
class Flower:
    base: str
    user: str
    password: str
    stack: Stack
    workers: dict[str, str]  # queue → node name as Flower shows it (gpu-…@host)
    event_ids: set[str]
    log: Path
    tmp: Path
    port: int
    env: dict[str, str]
    proc: subprocess.Popen[bytes]

    @property
    def auth_header(self) -> str:
        return "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()


def _wait(condition: Callable[[], Any], what: str, proc: subprocess.Popen[bytes], log: Path,
          timeout: float = WAIT) -> Any:
    """Poll until `condition` is truthy; fail with Flower's log if it dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except httpx.TransportError:
            value = None
        if value:
            return value
        if proc.poll() is not None:
            pytest.fail(f"Flower exited with {proc.returncode} while waiting for {what}:\n{_tail(log)}")
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{_tail(log)}")


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def _start_flower(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """`descflow flower` as an operator starts it; waits for its open /healthcheck."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "descflow.cli", "flower", "--port", str(port), "--address", "127.0.0.1"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    _wait(lambda: httpx.get(f"http://127.0.0.1:{port}/healthcheck", timeout=2).status_code == 200,
          "Flower's /healthcheck", proc, log)
    return proc


@pytest.fixture(scope="module")
def flower(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flower]:
    if MISSING:  # only under CI: elsewhere the module was skipped
        pytest.fail(MISSING, pytrace=False)
    # Asked for here, after the browser check, so a missing browser costs no training.
    tiny_model: Path = request.getfixturevalue("tiny_model")
    from celery.utils.nodenames import host_format

    tmp = tmp_path_factory.mktemp("flower")
    # A Redis of its own: Flower sees this stack's workers and tasks and nobody else's.
    local_redis = LocalRedis(tmp / "redis").start()
    redis_url = local_redis.url
    database_url = f"sqlite:///{tmp / 'descflow.db'}"
    try:
        stack = start_stack(tmp, database_url, redis_url, tiny_model)
    except Exception:
        local_redis.stop()
        raise
    flower_box: dict[str, subprocess.Popen[bytes]] = {}
    try:
        user, password = "ops", secrets.token_urlsafe(18)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOWER_", "DESCFLOW_"))}
        env.update({"DESCFLOW_BROKER_URL": redis_url, "DESCFLOW_DATABASE_URL": database_url,
                    "DESCFLOW_HOME": str(tmp), "DESCFLOW_FLOWER_USER": user, "DESCFLOW_FLOWER_PASSWORD": password,
                    "DESCFLOW_LOG_LEVEL": "INFO"})
        log = tmp / "flower.log"
        proc = flower_box["proc"] = _start_flower(env, port, log)
        base = f"http://127.0.0.1:{port}"

        # Both workers in Flower's event state: its event receiver is connected, so the
        # tasks sent next are seen from their first event.
        workers = {queue: host_format(w.name) for queue, w in stack.workers.items()}

        def workers_seen() -> bool:
            r = httpx.get(f"{base}/workers", params={"json": 1}, auth=(user, password), timeout=5)
            names = {w.get("hostname") for w in r.json()["data"]} if r.status_code == 200 else set()
            return set(workers.values()) <= names

        _wait(workers_seen, f"both workers in Flower ({', '.join(workers.values())})", proc, log)

        events = [product_event("en-US"), product_event("zh-CN")]
        intake = stack.intake()
        for event in events:
            outcome = intake.submit(event)
            assert outcome.status == "accepted", outcome
        ids = {e["event_id"] for e in events}

        def published() -> list[PublishedDescription] | None:
            with stack.store.session() as s:
                rows = list(s.exec(select(PublishedDescription).where(PublishedDescription.event_id.in_(ids))))
            return rows if {r.event_id for r in rows} == ids else None

        stack.wait_for(published, timeout=WAIT, what="both events published")
        box = Flower(base=base, user=user, password=password, stack=stack, workers=workers, event_ids=ids,
                     log=log, tmp=tmp, port=port, env=env, proc=proc)
        yield box
        flower_box["proc"] = box.proc  # a test may have restarted it
    finally:
        if "proc" in flower_box:
            _stop(flower_box["proc"])
        stop_stack(stack)
        local_redis.stop()


def _chrome(tmp: Path, name: str, auth_header: str | None = None) -> webdriver.Chrome:
    """Headless Debian Chromium with a fresh profile; with `auth_header`, every request carries it."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(arg)
    profile = tmp / f"chrome-{name}"
    profile.mkdir()
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})  # to read response statuses
    service = Service(str(CHROMEDRIVER), log_output=str(tmp / f"chromedriver-{name}.log"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.set_page_load_timeout(WAIT)
        driver.set_script_timeout(WAIT)
        if auth_header:
            # Headless Chrome has no login dialog: send the credentials with every request
            # (page loads and the pages' own XHRs) from the start.
            driver.execute_cdp_cmd("Network.enable", {})
            driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": auth_header}})
    except Exception:
        driver.quit()
        raise
    return driver


@pytest.fixture(scope="module")
def browser(flower: Flower) -> Iterator[webdriver.Chrome]:
    driver = _chrome(flower.tmp, "auth", flower.auth_header)
    yield driver
    driver.quit()


def _until(driver: webdriver.Chrome, condition: Callable[[webdriver.Chrome], Any], what: str) -> Any:
    try:
        return WebDriverWait(driver, WAIT, poll_frequency=0.25,
                             ignored_exceptions=(StaleElementReferenceException,)).until(condition)
    except TimeoutException:
        body = driver.find_element(By.TAG_NAME, "body").text[:2000]
        pytest.fail(f"timed out after {WAIT} s waiting for {what} on {driver.current_url}\npage text:\n{body}")


def _full_page_png(driver: webdriver.Chrome, path: Path) -> bytes:
    """The whole page, not just the window (Chrome's WebDriver has no full-page screenshot).

    The window grows to the page's height and the page lays itself out again before the
    shot: capturing beyond the viewport instead would reflow the tables while DataTables'
    separately sized header stays put, and the columns would not line up.
    """
    size = driver.get_window_size()
    try:
        for _ in range(3):  # growing the window can change the page's height (scrollbars)
            page = driver.execute_script("return Math.ceil(document.documentElement.scrollHeight)")
            inner = driver.execute_script("return window.innerHeight")
            if page <= inner:
                break
            current = driver.get_window_size()
            driver.set_window_size(current["width"], current["height"] + page - inner)
        # DataTables re-measures its columns on resize; wait two frames for the new layout.
        driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "window.dispatchEvent(new Event('resize'));"
            "requestAnimationFrame(() => requestAnimationFrame(() => done(true)));")
        data = driver.get_screenshot_as_png()
    finally:
        driver.set_window_size(size["width"], size["height"])
    path.write_bytes(data)
    return data


def _document_statuses(driver: webdriver.Chrome) -> dict[str, tuple[int, dict[str, str]]]:
    """URL → (status, headers) of the top-level documents loaded since the last call."""
    found = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.responseReceived" and message["params"]["type"] == "Document":
            response = message["params"]["response"]
            found[response["url"]] = (response["status"], {k.lower(): v for k, v in response["headers"].items()})
    return found


def assert_png(data: bytes, path: Path) -> None:
    assert path.stat().st_size == len(data) > 1000, f"{path} is empty or tiny"
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"


def test_flower_refuses_requests_without_the_right_credentials(flower: Flower) -> None:
    for path in PAGES:
        anonymous = httpx.get(flower.base + path, timeout=10)
        assert anonymous.status_code == 401, (path, anonymous.status_code, anonymous.text[:200])
        wrong = httpx.get(flower.base + path, auth=(flower.user, "not-" + flower.password), timeout=10)
        assert wrong.status_code == 401, (path, wrong.status_code)
        wrong_user = httpx.get(flower.base + path, auth=("root", flower.password), timeout=10)
        assert wrong_user.status_code == 401, (path, wrong_user.status_code)
        right = httpx.get(flower.base + path, auth=(flower.user, flower.password), timeout=30)
        assert right.status_code == 200, (path, right.status_code)
    health = httpx.get(flower.base + "/healthcheck", timeout=10)
    assert health.status_code == 200 and health.text == "OK"


def test_browser_shows_both_workers_and_the_descflow_tasks(flower: Flower, browser: webdriver.Chrome,
                                                           artifacts: Path) -> None:
    browser.get(flower.base + "/workers")
    assert "Workers" in browser.title, browser.title

    def worker_rows(driver: webdriver.Chrome) -> dict[str, str] | None:
        # textContent, not .text: the narrow first column wraps long node names onto two lines.
        rows = {}
        for row in driver.find_elements(By.CSS_SELECTOR, "#workers-table tbody tr"):
            cells = [c.get_attribute("textContent").strip() for c in row.find_elements(By.TAG_NAME, "td")]
            if cells:
                rows[cells[0]] = " ".join(cells[1:])
        return rows if set(flower.workers.values()) <= rows.keys() else None

    rows = _until(browser, worker_rows, f"workers {sorted(flower.workers.values())} in the workers table")
    for queue, name in flower.workers.items():
        assert name.startswith(f"{queue}-") and "@" in name and "%h" not in name, name
        assert rows[name].lower().startswith(("online", "true")), (name, rows[name])
    # The summary cards are filled in by the page's own authenticated XHRs.
    _until(browser, lambda d: d.find_element(By.ID, "workers-online").text.strip().isdigit()
           and int(d.find_element(By.ID, "workers-online").text) >= 2, "the online-workers count")
    workers_png = artifacts / "flower-workers.png"
    assert_png(_full_page_png(browser, workers_png), workers_png)

    browser.get(flower.base + "/tasks")
    assert "Tasks" in browser.title, browser.title

    def task_names(driver: webdriver.Chrome) -> set[str] | None:
        text = driver.find_element(By.CSS_SELECTOR, "#tasks-table tbody").get_attribute("textContent")
        seen = {name for name in TASK_NAMES if name in text}
        return seen if seen == set(TASK_NAMES) else None

    # Rows come from POST /tasks/datatable, the page's own XHR: this also proves that
    # the header reaches the pages' requests, not only the page loads.
    _until(browser, task_names, f"the task names {', '.join(TASK_NAMES)} in the tasks table")
    rows = [r.get_attribute("textContent") for r in browser.find_elements(By.CSS_SELECTOR, "#tasks-table tbody tr")]
    assert any("SUCCESS" in r for r in rows), rows
    tasks_png = artifacts / "flower-tasks.png"
    assert_png(_full_page_png(browser, tasks_png), tasks_png)


def test_browser_without_credentials_gets_401_and_sees_nothing(flower: Flower) -> None:
    driver = _chrome(flower.tmp, "anonymous")
    try:
        for path in ("/workers", "/tasks"):
            url = flower.base + path
            driver.get(url)
            # Headless Chrome answers a Basic challenge with an empty page (no dialog to show),
            # so the status comes from the browser's own network log.
            statuses = _until(driver, lambda d, u=url: _document_statuses(d).get(u), f"the response to {url}")
            status, headers = statuses
            assert status == 401, (url, status)
            assert headers.get("www-authenticate", "").lower().startswith("basic"), headers
            title, source = driver.title, driver.page_source
            assert "Flower" not in title, title
            for name in (*flower.workers.values(), *TASK_NAMES):
                assert name not in source, f"{name} visible without credentials on {path}"
            shown = driver.find_element(By.TAG_NAME, "body").text.lower()
            # Whatever Chrome shows instead: nothing (challenge pending), its error page, or Flower's text.
            assert shown == "" or "401" in shown or "access denied" in shown or "unauthorized" in shown, shown
    finally:
        driver.quit()


def test_flower_keeps_its_task_history_across_a_restart(flower: Flower) -> None:
    """`descflow flower` runs with persistent state: after a restart the earlier tasks are still listed."""
    def descflow_tasks() -> set[str]:
        r = httpx.get(f"{flower.base}/api/tasks", params={"limit": 1000}, auth=(flower.user, flower.password),
                      timeout=10)
        return {t.get("name") for t in r.json().values()} & set(TASK_NAMES) if r.status_code == 200 else set()

    before = descflow_tasks()
    assert before == set(TASK_NAMES), before
    _stop(flower.proc)  # SIGTERM: Flower writes its state on the way out
    assert list(flower.tmp.glob("flower.db*")), "no state file written"
    flower.proc = _start_flower(flower.env, flower.port, flower.log)
    # No new task ran since: whatever is listed now came from the state file.
    assert descflow_tasks() == before
