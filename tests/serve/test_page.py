"""The web page at ``/`` in a real headless Chromium (Selenium, Debian's chromium and chromedriver, nothing
downloaded): upload a photo, see the code's text, its outline drawn on the canvas, the restored region;
bad files, escaping, GS1 display, and the offline API docs. Screenshots go to ``$QRDEBLUR_ARTEFACTS``
(or pytest's temporary folder).

Skipped, with the reason, when chromium or chromedriver is not installed (CI installs them: .ci/run).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROME_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1100,1300",
)  # fmt: skip

pytestmark = pytest.mark.skipif(
    not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
    reason=f"needs {CHROMIUM} and {CHROMEDRIVER}: apt-get install chromium chromium-driver",
)


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (the dev extra)")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="qrdeblur-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for arg in (*CHROME_ARGS, f"--user-data-dir={profile}"):
        options.add_argument(arg)
    offline = os.environ.get("SE_OFFLINE")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not look for downloads
    try:
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(60)
        yield driver
        driver.quit()
    finally:
        if offline is None:
            os.environ.pop("SE_OFFLINE", None)
        else:
            os.environ["SE_OFFLINE"] = offline
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory) -> Path:
    folder = os.environ.get("QRDEBLUR_ARTEFACTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("artefacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _upload(driver, url: str, path: Path, debug: bool = False, before_upload: str | None = None) -> str:
    """Open the page, upload ``path`` through the file input, wait for the answer; the page's state."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url + "/")
    if debug:
        driver.find_element(By.ID, "debug").click()
    if before_upload:
        driver.execute_script(before_upload)
    driver.find_element(By.ID, "file").send_keys(str(path))
    body = driver.find_element(By.TAG_NAME, "body")
    WebDriverWait(driver, 90).until(lambda d: body.get_attribute("data-state") in ("done", "error"))
    return body.get_attribute("data-state")


def _external_resources(driver, url: str) -> list[str]:
    names = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    return [n for n in names if not (n.startswith(url + "/") or n.startswith("data:"))]


def test_page_reads_the_example_and_draws_its_outline(browser, shared_server, example_path, example_text, artefacts):
    from selenium.webdriver.common.by import By

    url = shared_server.url
    assert _upload(browser, url, example_path) == "done"
    status = browser.find_element(By.ID, "status").text
    assert status.startswith("1 code read in ") and status.endswith(" ms.")
    (item,) = browser.find_elements(By.CSS_SELECTOR, "#codes li")
    assert item.find_element(By.CSS_SELECTOR, ".text").get_attribute("textContent") == example_text
    assert "read by deblur (zxing-cpp)" in item.find_element(By.CSS_SELECTOR, ".meta").text
    canvas = browser.find_element(By.ID, "photo")
    assert canvas.get_attribute("data-outlines") == "1"
    assert (canvas.get_attribute("width"), canvas.get_attribute("height")) == ("640", "480")
    # the outline is drawn where the server says the code is: the middle of each side is outline green
    pixels = browser.execute_script(
        """
        const c = window.qrdeblurLast.codes[0].corners, ctx = document.getElementById('photo').getContext('2d');
        const at = (x, y) => Array.from(ctx.getImageData(Math.round(x), Math.round(y), 1, 1).data);
        const sides = c.map((p, i) => at((p[0] + c[(i + 1) % 4][0]) / 2, (p[1] + c[(i + 1) % 4][1]) / 2));
        return {sides: sides, corner: at(3, 3)};
        """
    )
    for r, g, b, _ in pixels["sides"]:
        assert g > 180 and r < 100 and b < 100, pixels
    r, g, b, _ = pixels["corner"]
    assert not (g > 180 and r < 100 and b < 100), pixels
    assert _external_resources(browser, url) == []
    shot = artefacts / "page-scan.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")


def test_page_shows_the_restored_region(browser, shared_server, example_path, artefacts):
    from selenium.webdriver.common.by import By

    assert _upload(browser, shared_server.url, example_path, debug=True) == "done"
    crops = browser.find_elements(By.CSS_SELECTOR, "#codes li .crops img")
    assert len(crops) == 2
    assert [c.get_attribute("naturalWidth") for c in crops] == ["174", "174"]  # both PNGs decoded
    captions = [f.text for f in browser.find_elements(By.CSS_SELECTOR, "#codes li .crops figcaption")]
    assert captions == ["region, rectified", "restored (deblur)"]
    browser.save_screenshot(str(artefacts / "page-debug.png"))


def test_page_says_why_a_bad_file_cannot_be_read(browser, shared_server, tmp_path):
    from selenium.webdriver.common.by import By

    bad = tmp_path / "notes.png"
    bad.write_text("these are notes, not a photo\n" * 10)
    assert _upload(browser, shared_server.url, bad) == "error"
    status = browser.find_element(By.ID, "status").text
    assert status == "Could not read this file: not an image (unrecognised or unsupported format)."
    assert browser.find_elements(By.CSS_SELECTOR, "#codes li") == []
    assert browser.find_element(By.ID, "photo").get_attribute("data-outlines") == "0"


def test_page_escapes_the_decoded_text(browser, shared_server, tmp_path):
    import segno
    from selenium.webdriver.common.by import By

    payload = '<img src=x onerror="document.body.dataset.injected=1"><b>bold</b>'
    path = tmp_path / "html.png"
    segno.make(payload, micro=False).save(str(path), scale=6, border=4)
    assert _upload(browser, shared_server.url, path) == "done"
    (item,) = browser.find_elements(By.CSS_SELECTOR, "#codes li")
    text = item.find_element(By.CSS_SELECTOR, ".text")
    assert text.get_attribute("textContent") == payload
    assert text.find_elements(By.CSS_SELECTOR, "*") == []  # shown as text: no element made from it
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-injected") is None
    assert "read by raw" in item.text


def test_page_shows_a_gs1_code_in_its_human_readable_form(browser, shared_server, example_path):
    from selenium.webdriver.common.by import By

    record = {
        "path": "label.jpg", "ms": 12.0, "error": None,
        "codes": [{"text": "0109504000059101\x1d2112345678", "corners": [[10, 10], [90, 10], [90, 90], [10, 90]],
                   "method": "raw", "decoder": "zxing-cpp", "gs1": True, "hri": "(01)09504000059101(21)12345678"}],
    }  # fmt: skip
    stub = f"window.fetch = async () => new Response({json.dumps(json.dumps(record))}, {{status: 200}});"
    assert _upload(browser, shared_server.url, example_path, before_upload=stub) == "done"
    (item,) = browser.find_elements(By.CSS_SELECTOR, "#codes li")
    assert item.find_element(By.CSS_SELECTOR, ".text").text == "(01)09504000059101(21)12345678"
    assert "GS1" in item.find_element(By.CSS_SELECTOR, ".meta").text


def test_api_docs_render_offline(browser, shared_server, artefacts):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url = shared_server.url
    browser.get(url + "/docs")
    WebDriverWait(browser, 60).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= 4)
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {"/scan", "/deblur", "/health", "/version"} <= paths
    assert _external_resources(browser, url) == []
    browser.save_screenshot(str(artefacts / "docs.png"))
