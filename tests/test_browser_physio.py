"""The physio page's upload flow in a real browser with no network at all (issue 9, points 1 and 6).

As in ``test_browser.py``: Debian's Chromium (with the fake camera flags) drives the app through Python
Playwright, and a helper runs the server and the browser under ``unshare -n`` (as root): a network namespace
whose only interface is ``lo``. The helper uploads a real shared clip through the page's file input,
chooses the exercise, presses Analyse, waits for the rep table, checks the annotated video and the angle
charts, downloads ``result.json`` and the report, then closes the tab and watches the upload's temporary
folder go. It prints one JSON line with what it saw; the test checks it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, CLIP, LABELS, PROBLEMS_JS, REPO, _free_port, _need, _poll

#: Overall limit of the helper (s): the pose pass of a 3 s clip takes well under a minute even on a busy
#: 2-core machine; the limit is generous so that slow is not wrong.
HELPER_TIMEOUT_S = 420
#: Longest wait for the table after Analyse (s).
ANALYSE_S = 300
#: Longest wait for the upload's folder to go after the tab is closed (s).
GONE_S = 30
PREFIX = "formcheck-upload-"


@pytest.fixture(scope="module")
def upload_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not CLIP.is_file():
        _need(f"{CLIP} not found (shared/ is not beside the repo)")
    if not Path(CHROMIUM).is_file():
        _need(f"{CHROMIUM} not installed (apt-get install chromium)")
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        _need("needs root with unshare and ip to run the page in a network namespace with only lo")
    if subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False).returncode != 0:
        _need("cannot create a network namespace")
    work = tmp_path_factory.mktemp("physio")
    t0 = time.monotonic()
    proc = subprocess.run(
        ["unshare", "-n", sys.executable, str(Path(__file__).resolve()), "--helper", "--work", str(work)],
        cwd=REPO, capture_output=True, text=True, timeout=HELPER_TIMEOUT_S + 30, check=False,
    )  # fmt: skip
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert lines, f"no helper result (rc {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    res = json.loads(lines[-1])
    print(json.dumps({k: v for k, v in res.items() if k != "requests"}, indent=1))
    print(f"helper took {time.monotonic() - t0:.0f} s (machine busy)")
    return res


@pytest.mark.browser
@pytest.mark.model
def test_upload_analyse_table_video_charts_and_downloads(upload_run: dict[str, Any]) -> None:
    res = upload_run
    assert not res.get("error"), (res.get("error"), res.get("server_log_tail"))
    assert res["problems"] == [], res["problems"]
    labelled = next(
        int(c["reps"])
        for c in json.loads(LABELS.read_text(encoding="utf-8"))["clips"]
        if c["file"] == "bridge/physioplus_bridging.mp4"
    )
    # the table came, one row per rep, and the reps are the labelled ones
    assert res["table_rows"] == labelled, res
    assert res["video_in_page"] and res["charts"] >= 2, res
    # the downloads are what the page showed
    doc = res["result_json"]
    assert doc["exercise"] == "bridge" and doc["reps"] == labelled, doc
    assert res["report_ok"], res
    # nothing left the machine: every request of the tab went to a loopback address
    hosts = {urlparse(u).hostname for u in res["requests"]}
    assert hosts and all(h is not None and h.startswith("127.") for h in hosts), hosts
    # the upload was on disk while the page was open, and gone soon after the tab was closed
    assert res["upload_on_disk"], res
    assert res["gone_after_s"] is not None and res["gone_after_s"] <= GONE_S, res


# ------------------------------------------------------------------------------------------ the helper


def _choose(page: Any, container: str, label: str, option: str) -> None:
    """Pick ``option`` in the select box labelled ``label`` inside ``container``."""
    box = page.locator(f"{container} [data-testid=stSelectbox]", has_text=label).first
    box.click()
    page.get_by_role("option", name=option, exact=True).click()


def _helper(work: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from formcheck.core.messages import message
    from formcheck.core.templates import load_template

    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    nl = lambda code: message(code, "nl")  # noqa: E731
    tmp = work / "tmp"
    tmp.mkdir()
    port = _free_port()
    env = {**os.environ, "FORMCHECK_DATA_DIR": str(work / "data"), "TMPDIR": str(tmp)}
    log = open(work / "streamlit.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    res: dict[str, Any] = {"requests": [], "error": None, "problems": []}
    try:
        _poll(lambda: socket.create_connection(("127.0.0.1", port), timeout=0.5).close() or True, 60, 0.25)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
            context.on("request", lambda r: res["requests"].append(r.url))
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{port}/physio")
            page.get_by_text(nl("physio_title")).wait_for(timeout=60000)
            _choose(page, '[data-testid="stSidebar"]', nl("model_setting"), "lite")  # quick
            page.set_input_files("input[type=file]", str(CLIP))
            page.get_by_role("button", name=nl("upload_analyse")).wait_for(timeout=60000)
            res["upload_on_disk"] = bool(_poll(lambda: any(tmp.glob(f"{PREFIX}*/upload.mp4")), 10))
            _choose(page, '[data-testid="stMain"]', nl("upload_exercise"), load_template("bridge").title.nl)
            time.sleep(1.0)
            page.get_by_role("button", name=nl("upload_analyse")).click()
            t0 = time.monotonic()
            table = page.locator("[data-testid=stDataFrame]").first
            table.wait_for(timeout=ANALYSE_S * 1000)
            res["table_after_s"] = round(time.monotonic() - t0, 1)  # shown before the video is drawn
            page.locator("video").first.wait_for(timeout=ANALYSE_S * 1000)
            res["video_after_s"] = round(time.monotonic() - t0, 1)
            time.sleep(2.0)
            res["table_rows"] = int(page.evaluate(
                "() => { const g = document.querySelector('[data-testid=stDataFrame] [role=grid]');"
                " return g ? Number(g.getAttribute('aria-rowcount')) - 1 : -1; }"
            ))  # fmt: skip
            res["video_in_page"] = bool(page.locator("video").count())
            page.get_by_role(
                "button", name=nl("download_json")
            ).scroll_into_view_if_needed()  # below the charts
            charts = "[data-testid=stVegaLiteChart], .vega-embed"
            res["charts"] = _poll(
                lambda: page.locator(charts).count() >= 2 and page.locator(charts).count(), 20
            )
            with page.expect_download(timeout=60000) as d:
                page.get_by_role("button", name=nl("download_json")).click()
            path = work / "result.json"
            d.value.save_as(path)
            res["result_json"] = json.loads(path.read_text(encoding="utf-8"))
            with page.expect_download(timeout=60000) as d:
                page.get_by_role("button", name=nl("download_report")).click()
            d.value.save_as(work / "report.html")
            html = (work / "report.html").read_text(encoding="utf-8")
            res["report_ok"] = "<html" in html.lower() and "http://" not in html and "https://" not in html
            res["problems"] = list(page.evaluate(PROBLEMS_JS))
            page.screenshot(path=str(work / "physio.png"), full_page=True)
            t_close = time.monotonic()
            page.close()
            gone = _poll(lambda: not any(tmp.glob(f"{PREFIX}*")), GONE_S, 0.5)
            res["gone_after_s"] = round(time.monotonic() - t_close, 1) if gone else None
            res["left"] = [str(x) for x in tmp.rglob("*")][:20]
            browser.close()
    except Exception as e:
        res["error"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    res["server_log_tail"] = (work / "streamlit.log").read_text(errors="replace")[-1500:]
    return res


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--helper", action="store_true")
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    print(json.dumps(_helper(Path(a.work))), flush=True)
