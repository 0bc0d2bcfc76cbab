"""The page in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright."""

import shutil
import urllib.parse
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import EXAMPLES

sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python (pip install playwright)")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("needs Chromium (apt-get install chromium); .ci/run installs it", allow_module_level=True)
pytestmark = pytest.mark.xdist_group("browser")  # one process: one server and one browser for them all


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def _open(browser, server):
    """The page in a browser context of its own (another person, as the server sees it)."""
    page = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True).new_page()
    page.hosts = set()
    page.on("request", lambda r: page.hosts.add(urllib.parse.urlsplit(r.url).netloc))
    page.goto(server)
    page.wait_for_selector("#preset-photo input[type=file]", state="attached", timeout=60_000)
    return page


@pytest.fixture
def page(browser, server):
    page = _open(browser, server)
    yield page
    page.context.close()


@pytest.fixture
def screenshots(request, tmp_path) -> Path:
    """Where pictures of the page go: ``--screenshots DIR`` (docs/images for the README's), else a temporary
    folder."""
    folder = request.config.getoption("--screenshots")
    return Path(folder) if folder else tmp_path


def _natural_size(page, selector):
    # the status can announce the last step before the browser has loaded the image it sent, and a later update can
    # swap the element for one still loading, so the size is read in the same call that finds it loaded
    loaded = ("s => { const i = document.querySelector(s);"
              " return i && i.complete && i.naturalWidth > 0 && [i.naturalWidth, i.naturalHeight]; }")
    return tuple(page.wait_for_function(loaded, arg=f"{selector} img", timeout=120_000).json_value())


def _upload_model(page, model: Path):
    """Uploads a model file on the Preset tab and waits until the box lists it as uploaded. While it uploads the box
    shows the whole name in one element; once uploaded, its table splits the name into stem and extension with a
    space between, so the wait reads the table's text without spaces (waiting for the whole name once caught only
    the upload's view, and missed it when the upload was quick)."""
    page.locator("#preset-model input[type=file]").set_input_files(str(model))
    listed = ("n => { const t = document.querySelector('#preset-model .file-preview');"
              " return !!t && t.textContent.replace(/\\s+/g, '').includes(n); }")
    try:
        page.wait_for_function(listed, arg=model.name, timeout=60_000)
    except sync_api.TimeoutError:
        shown = page.locator("#preset-model").inner_text()
        pytest.fail(f"{model.name} never showed as uploaded; the box showed {shown!r}")


def _paint_preset(page, photo: str = "tubingen.jpg"):
    page.locator("#preset-photo input[type=file]").set_input_files(str(EXAMPLES / photo))
    page.locator("#preset-photo img").wait_for()
    page.click("#preset-paint")


def test_paint_a_photo_with_a_preset_and_download_it(page, server, tmp_path, screenshots):
    page.locator(".thumbnail-item").nth(3).click()  # the gallery's fourth painting: The Scream
    sync_api.expect(page.get_by_label("the_scream")).to_be_checked()
    _paint_preset(page)
    assert _natural_size(page, "#preset-result") == (512, 384)
    assert "--preset the_scream" in page.locator("#preset-command").inner_text()
    with page.expect_download() as download:
        page.locator("#preset-result").get_by_role("button", name="Download").click()
    saved = tmp_path / "painted.png"
    download.value.save_as(saved)
    assert Image.open(saved).format == "PNG" and Image.open(saved).size == (512, 384)
    page.evaluate("window.scrollTo(0, 0)")
    page.set_viewport_size({"width": 1200, "height": 800})
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshots / "web.jpg"), type="jpeg", quality=85)  # the README's picture
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


def test_a_model_of_several_styles_paints_the_mix_typed(page, tmp_path):
    import torch

    from restyle.feedforward.modelfile import save_model
    from tests.feedforward.conftest import lively_net

    model = tmp_path / "ab.safetensors"
    save_model(lively_net(width=8, blocks=1, styles=2), model, {"styles": [{"name": "a"}, {"name": "b"}],
                                                                "settings": {"coarse": 0.3, "noise": 0.02}},
               dtype=torch.float32)
    _upload_model(page, model)
    # the two passes' and the noise's sliders move to the model's own, as the command line paints it by default
    sync_api.expect(page.locator("#preset-coarse input[type=number]")).to_have_value("0.3", timeout=30_000)
    sync_api.expect(page.locator("#preset-noise input[type=number]")).to_have_value("0.02", timeout=30_000)
    _paint_preset(page)
    sync_api.expect(page.locator(".toast-body").first).to_contain_text("choose one or a mix", timeout=60_000)
    page.locator("#preset-model-mix textarea").fill("a:0.3,b:0.7")
    page.click("#preset-paint")
    sync_api.expect(page.locator("#preset-command")).to_contain_text("--model ab.safetensors --mix a:0.3,b:0.7",
                                                                     timeout=60_000)
    assert _natural_size(page, "#preset-result") == (512, 384)


def test_a_waiting_job_shows_its_place_and_a_full_queue_says_busy(browser, server):
    from tests.web.conftest import QUEUE

    gradio_client = pytest.importorskip("gradio_client")
    first, second, third = (_open(browser, server) for _ in range(3))
    _any_painting(first, size=64, iterations=1000)  # keeps the engine busy until Stop
    first.wait_for_selector("#any-result img", timeout=180_000)
    try:
        _paint_preset(second)
        sync_api.expect(second.locator("#preset-result .progress-text")).to_contain_text("queue: 1/1",
                                                                                        timeout=30_000)
        client = gradio_client.Client(server, verbose=False)
        waiting = [client.submit(gradio_client.handle_file(str(EXAMPLES / "tubingen.jpg")), "starry_night", 1.0,
                                 api_name="/apply") for _ in range(QUEUE - 1)]
        for job in waiting:  # the queue is full once they have all joined it
            while job.status().code != gradio_client.utils.Status.IN_QUEUE:
                first.wait_for_timeout(100)
        _paint_preset(third)
        sync_api.expect(third.locator(".toast-body").first).to_contain_text("busy", timeout=30_000)
    finally:
        first.click("#any-stop")
    assert _natural_size(second, "#preset-result") == (512, 384)  # the waiting job ran once the engine was free
    assert all(job.result(timeout=120).endswith(".png") for job in waiting)


def test_a_video_is_painted_in_the_page(page, tmp_path):
    pytest.importorskip("av")
    pytest.importorskip("cv2")
    from tests.video.conftest import decoded, pan, write_clip

    page.get_by_role("tab", name="Video").click()
    clip = write_clip(tmp_path / "clip.mp4", pan(6, size=(64, 48)))
    page.locator("#video-clip input[type=file]").set_input_files(str(clip))
    page.locator("#video-clip video").wait_for(state="attached")
    page.click("#video-paint")
    sync_api.expect(page.locator("#video-status")).to_have_text("done", timeout=120_000)
    assert "restyle video clip.mp4 --preset composition_vii" in page.locator("#video-command").inner_text()
    with page.expect_download() as download:
        page.locator("#video-result").get_by_role("button", name="Download").click()
    saved = tmp_path / "painted.mp4"
    download.value.save_as(saved)
    assert len(decoded(saved)) == 6 and decoded(saved)[0].shape == (48, 64, 3)


def test_a_bad_video_is_a_readable_message_in_the_page(page, tmp_path):
    pytest.importorskip("av")
    page.get_by_role("tab", name="Video").click()
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    page.locator("#video-clip input[type=file]").set_input_files(str(bad))
    page.click("#video-paint")
    sync_api.expect(page.locator(".toast-body").first).to_contain_text("notes.mp4: not a video file",
                                                                      timeout=60_000)


def test_a_region_drawn_over_the_photo_gets_the_preset(page):
    page.locator("#preset-photo input[type=file]").set_input_files(str(EXAMPLES / "tubingen.jpg"))
    page.locator("#preset-photo img").wait_for()
    page.get_by_text("Regions: the preset in part of the photo only").click()
    editor = page.locator("#preset-draw")
    editor.get_by_role("button", name="Brush").first.click()
    box = editor.locator("canvas").first.bounding_box()
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(20):
        page.mouse.move(x + i * box["width"] * 0.02, y + (i % 4) * 10)
    page.mouse.up()
    page.click("#preset-paint")
    sync_api.expect(page.locator("#preset-command")).to_contain_text("--mask mask.png --region 255=composition_vii "
                                                                     "--region 0=none", timeout=60_000)
    assert _natural_size(page, "#preset-result") == (512, 384)
