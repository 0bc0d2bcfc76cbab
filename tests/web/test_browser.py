"""The page in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright."""

import shutil
import urllib.parse

import pytest
from PIL import Image

from tests.conftest import EXAMPLES

sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python (pip install playwright)")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("needs Chromium (apt-get install chromium); .ci/run installs it", allow_module_level=True)


@pytest.fixture
def page(server):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
        page.hosts = set()
        page.on("request", lambda r: page.hosts.add(urllib.parse.urlsplit(r.url).netloc))
        page.goto(server)
        page.wait_for_selector("#preset-photo input[type=file]", state="attached", timeout=60_000)
        yield page
        browser.close()


def _natural_size(page, selector):
    page.wait_for_selector(f"{selector} img", timeout=120_000)
    return tuple(page.locator(f"{selector} img").evaluate("i => [i.naturalWidth, i.naturalHeight]"))


def test_paint_a_photo_with_a_preset_and_download_it(page, server, tmp_path):
    page.locator("#preset-photo input[type=file]").set_input_files(str(EXAMPLES / "tubingen.jpg"))
    page.locator("#preset-photo img").wait_for()
    page.locator(".thumbnail-item").nth(3).click()  # the gallery's fourth painting: The Scream
    sync_api.expect(page.get_by_label("the_scream")).to_be_checked()
    page.click("#preset-paint")
    assert _natural_size(page, "#preset-result") == (512, 384)
    assert "--preset the_scream" in page.locator("#preset-command").inner_text()
    with page.expect_download() as download:
        page.locator("#preset-result").get_by_role("button", name="Download").click()
    saved = tmp_path / "painted.png"
    download.value.save_as(saved)
    assert Image.open(saved).format == "PNG" and Image.open(saved).size == (512, 384)
    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert page.hosts == {urllib.parse.urlsplit(server).netloc}  # nothing from another host


def _any_painting(page, size: int, iterations: int):
    page.get_by_role("tab", name="Any painting").click()
    page.locator("#any-photo input[type=file]").set_input_files(str(EXAMPLES / "chelsea_cat.jpg"))
    page.locator("#any-painting input[type=file]").set_input_files(str(EXAMPLES / "great_wave.jpg"))
    page.locator("#any-photo img").wait_for()
    page.locator("#any-painting img").wait_for()
    for box, value in (("#any-size", size), ("#any-iterations", iterations)):
        page.locator(f"{box} input[type=number]").fill(str(value))
        page.locator(f"{box} input[type=number]").press("Enter")
    page.click("#any-paint")


def test_the_optimizer_shows_its_image_as_it_goes(page):
    _any_painting(page, size=64, iterations=10)
    page.wait_for_function("document.querySelector('#any-status').innerText.includes('iteration 10 of 10')",
                           timeout=180_000)
    assert _natural_size(page, "#any-result") == (64, 43)


def test_stop_ends_the_run_and_keeps_the_image(page):
    _any_painting(page, size=64, iterations=1000)
    page.wait_for_selector("#any-result img", timeout=180_000)
    page.click("#any-stop")
    page.wait_for_timeout(3000)
    first = page.locator("#any-status").inner_text()
    page.wait_for_timeout(3000)
    assert page.locator("#any-status").inner_text() == first  # no longer moving
    assert "of 1000" in first and "iteration 1000 of" not in first
    assert _natural_size(page, "#any-result") == (64, 43)


def test_a_bad_upload_is_a_readable_message_in_the_page(page, tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a picture")
    page.locator("#preset-photo input[type=file]").set_input_files(str(bad))
    page.locator("#preset-photo img").wait_for(state="attached")
    page.click("#preset-paint")
    sync_api.expect(page.locator(".toast-body").first).to_contain_text("the photo: not an image file",
                                                                      timeout=60_000)
    assert page.locator("#preset-result img").count() == 0
