"""The explorer in real headless Chromium (Debian's package), with every request to anything
but this machine aborted: the page must load, take a lever change, step the twins, show the
effect in the direction the model implies, and export settings that ``mcsim run`` reproduces."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "results" / "test-artifacts"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "explore", f"port={port}", "population=20000"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"mcsim explore did not start: {proc.stdout.read()[-2000:]}")
        time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _number(page, cell_id: str) -> float:
    text = page.locator(f"#{cell_id}").inner_text()
    return float(text.replace("pp", "").replace("%", "").replace(",", "").strip())


def test_page_offline_lever_effect_and_export(server, tmp_path):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)"
    requests, blocked = [], []

    def only_local(route):
        url = route.request.url
        requests.append(url)
        if url.startswith(("data:", "blob:")) or urlparse(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    quarters = 4
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1600, "height": 1100}, accept_downloads=True)
            context.route("**/*", only_local)
            page = context.new_page()
            page.goto(server)
            page.wait_for_selector("#quarter[data-quarter='0']", timeout=60_000)

            # The lever: a B40 voucher from the baseline preset (rate 0 -> 100%, B40, RM 200m).
            slider = page.locator(".lever-subsidy_rate [role=slider]")
            slider.focus()
            page.keyboard.press("End")
            page.wait_for_selector(".lever-subsidy_rate:has-text('100%')", timeout=30_000)
            for q in range(1, quarters + 1):
                page.get_by_role("button", name="Step").click()
                page.wait_for_selector(f"#quarter[data-quarter='{q}']", timeout=60_000)
            page.wait_for_selector("#num-uptake-B40-difference", timeout=30_000)
            figure = page.wait_for_selector(f"img#figures[data-quarter='{quarters}']", timeout=30_000)
            figure.evaluate("img => img.decode()")  # the new picture is painted, not the last one

            b40_scenario = _number(page, "num-uptake-B40-scenario")
            b40_difference = _number(page, "num-uptake-B40-difference")
            t20_difference = _number(page, "num-uptake-T20-difference")
            spend = _number(page, "num-spend-scenario")
            assert b40_difference > 0, "a B40 voucher should raise B40 uptake above the baseline twin"
            assert b40_difference > t20_difference, "the voucher is targeted: B40 gains more than T20"
            assert spend > 0 and _number(page, "num-spend-baseline") == 0

            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "explorer.png"), full_page=True)
            with page.expect_download() as download:
                page.get_by_text("Settings (YAML)").click()
            exported = tmp_path / "explorer.yaml"
            download.value.save_as(exported)
            with page.expect_download() as png:
                page.get_by_text("Figures (PNG)").click()
            assert png.value.path().read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        finally:
            browser.close()

    assert requests, "the route handler saw no requests"
    assert blocked == [], f"the page tried to reach other hosts: {blocked}"

    # The exported settings, run by the command line, give the numbers the page showed.
    out = tmp_path / "run"
    subprocess.run([sys.executable, "-m", "sim.cli", "run", f"overrides_file={exported}", f"hydra.run.dir={out}"],
                   cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True, capture_output=True)
    ts = pd.read_parquet(out / "timeseries.parquet")
    cli_b40 = ts.query("quarter == @quarters - 1 and metric == 'uptake_rate' and group == 'B40'")["value"].item()
    assert abs(100 * cli_b40 - b40_scenario) <= 0.005 + 1e-9  # the page shows 2 decimals of a percentage


def test_clicking_a_state_tile_filters_the_numbers_and_figures(server):
    """Two quarters of a B40 voucher, then a click on Sabah's tile: the numbers and the figure
    switch to Sabah (a different uptake, a new picture, the tile marked selected); "All Malaysia"
    brings the national numbers back."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_context(viewport={"width": 1600, "height": 1300}).new_page()
            page.goto(server)
            page.wait_for_selector("#quarter[data-quarter='0']", timeout=60_000)
            slider = page.locator(".lever-subsidy_rate [role=slider]")   # a B40 voucher at 100% of the fee
            slider.focus()
            page.keyboard.press("End")
            page.wait_for_selector(".lever-subsidy_rate:has-text('100%')", timeout=30_000)
            for q in (1, 2):
                page.get_by_role("button", name="Step").click()
                page.wait_for_selector(f"#quarter[data-quarter='{q}']", timeout=60_000)
            page.wait_for_selector("#num-uptake-all-scenario", timeout=30_000)
            national = page.locator("#num-uptake-all-scenario").inner_text()
            national_src = page.locator("img#figures").get_attribute("src")
            assert page.locator("#numbers-where").get_attribute("data-state") == ""

            tile = page.locator(".state-tile-sabah")
            assert "SBH" in tile.inner_text()
            tile.click()
            page.wait_for_selector("#numbers-where[data-state='Sabah']", timeout=30_000)
            page.wait_for_selector("img#figures[data-state='Sabah']", timeout=30_000)
            assert page.locator("#num-uptake-all-scenario").inner_text() != national
            assert page.locator("img#figures").get_attribute("src") != national_src
            assert "selected" in (tile.get_attribute("class") or "")
            assert page.locator("#num-uptake-B40-difference").is_visible()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "explorer-sabah.png"), full_page=True)

            page.locator(".state-tile-all").click()
            page.wait_for_selector("#numbers-where[data-state='']", timeout=30_000)
            page.wait_for_selector("img#figures[data-state='']", timeout=30_000)
            assert page.locator("#num-uptake-all-scenario").inner_text() == national
        finally:
            browser.close()


# --------------------------------------------------------------------------- who may connect
WS_PATH = "/jupyter/api/kernels/00000000-0000-0000-0000-000000000000/channels?session_id=test"
OPEN_WEBSOCKET = """url => new Promise(done => {
    const ws = new WebSocket(url);
    ws.onopen = () => { ws.close(); done('open'); };
    ws.onerror = () => done('refused');
    setTimeout(() => done('timeout'), 15000);
})"""


def _status(port: int, request: str) -> int:
    """Status code of one raw HTTP request to this machine's explorer (bounded in size and time)."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        s.sendall(request.encode())
        head = s.recv(4096).decode("latin-1")
    return int(head.split()[1])


def _get(port: int, host: str | None, path: str = "/", extra: str = "") -> str:
    host_line = f"Host: {host}\r\n" if host is not None else ""
    return f"GET {path} HTTP/1.1\r\n{host_line}{extra}Connection: close\r\n\r\n" if host is not None else \
        f"GET {path} HTTP/1.0\r\n{extra}\r\n"


def _upgrade(origin: str | None) -> str:
    origin_line = f"Origin: {origin}\r\n" if origin is not None else ""
    return ("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{origin_line}")


def test_requests_for_another_host_are_refused(server):
    port = urlparse(server).port
    assert _status(port, _get(port, f"127.0.0.1:{port}")) == 200
    assert _status(port, _get(port, f"localhost:{port}")) == 200
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1:{port + 1}", None):
        assert _status(port, _get(port, host)) == 403, host  # DNS rebinding names another host


def test_websocket_upgrades_from_another_origin_are_refused(server):
    port = urlparse(server).port
    own = f"127.0.0.1:{port}"
    assert _status(port, _get(port, own, WS_PATH, _upgrade(f"http://{own}")).replace("Connection: close\r\n", "")) \
        == 101
    for origin in ("http://evil.example", f"http://127.0.0.1:{port + 1}", "null", None):
        request = _get(port, own, WS_PATH, _upgrade(origin)).replace("Connection: close\r\n", "")
        assert _status(port, request) == 403, origin


def test_browser_page_of_another_origin_cannot_open_the_explorers_websocket(server):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: make test installs it (apt-get install -y chromium)"
    ws_url = f"ws://127.0.0.1:{urlparse(server).port}{WS_PATH}"
    foreign = f"http://127.0.0.1:{_free_port()}"  # another origin on this machine: nothing leaves it
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context()
            own = context.new_page()
            own.goto(server)
            assert own.evaluate(OPEN_WEBSOCKET, ws_url) == "open"  # the page's own origin is served
            evil = context.new_page()
            evil.route(f"{foreign}/**", lambda route: route.fulfill(status=200, content_type="text/html",
                                                                    body="<html><body>elsewhere</body></html>"))
            evil.goto(f"{foreign}/page.html")
            assert evil.evaluate(OPEN_WEBSOCKET, ws_url) == "refused"
        finally:
            browser.close()
