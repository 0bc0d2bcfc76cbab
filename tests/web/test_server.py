"""The page's server in a subprocess, used as scripts and browsers use it (gradio_client, plain HTTP)."""

import re
import subprocess
import sys
import threading
import time
import urllib.request

import numpy as np
import pytest
from PIL import Image

from restyle.web import jobs
from tests.conftest import DEVICE, EXAMPLES

gradio_client = pytest.importorskip("gradio_client")
pytestmark = pytest.mark.xdist_group("server")  # one process: one server for them all

@pytest.fixture
def client(server):
    return gradio_client.Client(server, verbose=False)


def _photo(tmp_path, name="photo.png", crop=0):
    """A small photo (a different one for each ``crop``), saved."""
    image = Image.open(EXAMPLES / "tubingen.jpg").convert("RGB").crop((crop, 0, crop + 96, 72))
    image.save(tmp_path / name)
    return tmp_path / name


def test_apply_gives_what_the_job_gives(client, tmp_path):
    photo = _photo(tmp_path)
    out = client.predict(gradio_client.handle_file(str(photo)), "starry_night", 0.8, api_name="/apply")
    expected = jobs.apply_preset(jobs.Models(DEVICE), str(photo), "starry_night", 0.8)
    assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), np.asarray(expected))


def test_stylize_runs_to_the_end_with_images_on_the_way(client, tmp_path):
    job = client.submit(gradio_client.handle_file(str(_photo(tmp_path))),
                        gradio_client.handle_file(str(EXAMPLES / "starry_night.jpg")), 48, 10, 10,
                        api_name="/stylize")
    final = job.result(timeout=300)
    assert Image.open(final).size == (48, 36)
    assert len(job.outputs()) == 3  # iterations 1, 5 and 10


def test_a_cancelled_job_stops_and_the_server_serves_the_next(client, tmp_path):
    job = client.submit(gradio_client.handle_file(str(_photo(tmp_path))),
                        gradio_client.handle_file(str(EXAMPLES / "starry_night.jpg")), 64, 1000, 10,
                        api_name="/stylize")
    for _ in range(600):
        if job.outputs():
            break
        time.sleep(0.1)
    assert job.outputs(), "no image came"
    job.cancel()
    start = time.perf_counter()
    out = client.predict(gradio_client.handle_file(str(_photo(tmp_path, "next.png"))), "great_wave", 1.0,
                         api_name="/apply")
    assert Image.open(out).size == (96, 72)
    assert len(job.outputs()) < 1000 // 5
    assert time.perf_counter() - start < 120  # (a bound against a hang, not a speed test)


@pytest.mark.parametrize("case, message", [("text", "not an image"), ("preset", "no preset named"),
                                           ("strength", "strength"), ("too big", "")])
def test_bad_input_is_a_readable_error(client, tmp_path, case, message):
    photo, preset, strength = _photo(tmp_path), "starry_night", 1.0
    if case == "text":
        photo = tmp_path / "notes.png"
        photo.write_text("not a picture")
    elif case == "preset":
        preset = "mona_lisa"
    elif case == "strength":
        strength = 2.0
    else:  # over --max-upload-mb 1
        photo = tmp_path / "big.png"
        Image.fromarray(np.random.default_rng(0).integers(0, 256, (800, 800, 3), np.uint8)).save(photo)
    with pytest.raises(Exception, match=message or "size|large|limit") as e:
        client.predict(gradio_client.handle_file(str(photo)), preset, strength, api_name="/apply")
    assert "Traceback" not in str(e.value)


def _loads(text: str) -> list[str]:
    """The addresses a browser would load from: scripts, styles, images, frames, CSS imports and url()s."""
    tags = re.findall(r"<(?:script|link|img|iframe|source|video|audio)\b[^>]*?(?:src|href)=[\"']([^\"']+)", text)
    css = re.findall(r"@import\s+(?:url\()?[\"']?([^\"') ;]+)|url\([\"']?([^\"')]+)", text)
    return tags + [a or b for a, b in css]


def test_the_page_loads_nothing_from_another_host(server):
    html = urllib.request.urlopen(server).read().decode()
    css = urllib.request.urlopen(server + "theme.css").read().decode()
    outside = [u for u in _loads(html) + _loads(css) if re.match(r"(https?:)?//", u) and
               not re.match(r"(https?:)?//(127\.0\.0\.1|localhost)[:/]", u)]
    assert outside == []
    assert "googleapis" not in css and "gstatic" not in css


@pytest.mark.parametrize("route", ["gradio_api/file=/etc/passwd", "gradio_api/file=../../../../etc/passwd",
                                   "file=/etc/passwd", "gradio_api/file=" + str(EXAMPLES.parents[1] / "README.md"),
                                   "static/../../../etc/passwd", "assets/../../../../etc/passwd"])
def test_no_file_outside_its_folders_can_be_read(server, route):
    try:
        body = urllib.request.urlopen(server + route, timeout=10).read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        assert e.code in (400, 403, 404, 405)
    else:
        assert "root:" not in body and "restyle" not in body.lower()[:200]


def test_a_full_queue_refuses_clearly_and_every_accepted_job_gets_its_own_result(server, tmp_path):
    # 12 clients at once against a queue of 4 (plus the running job): each a different 512 px photo.
    big = Image.open(EXAMPLES / "tubingen.jpg").convert("RGB").resize((640, 480))
    photos = []
    for i in range(12):
        photos.append(tmp_path / f"p{i}.png")
        big.crop((10 * i, 0, 10 * i + 512, 384)).save(photos[-1])
    clients = [gradio_client.Client(server, verbose=False) for _ in photos]
    results, refused, start = {}, [], threading.Barrier(12)

    def one(i):
        start.wait()
        try:
            results[i] = clients[i].predict(gradio_client.handle_file(str(photos[i])), "starry_night", 1.0,
                                            api_name="/apply")
        except Exception as e:  # noqa: BLE001 (the refusal is what is checked)
            refused.append(str(e))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert len(results) + len(refused) == 12 and results and refused
    # (gradio_client words the refusal itself; a browser or plain HTTP gets restyle's message)
    assert all(re.search(r"restyle is busy .*try again|Queue is full! Please try again", r) for r in refused), refused
    models = jobs.Models(DEVICE)
    for i, out in results.items():
        expected = np.asarray(jobs.apply_preset(models, str(photos[i]), "starry_night"))
        assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), expected), i


def test_a_port_in_use_is_a_one_line_error_and_no_address_is_announced(server):
    port = server.rstrip("/").rsplit(":", 1)[1]
    done = subprocess.run([sys.executable, "-m", "restyle", "web", "--port", port, "--device", DEVICE],
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"restyle: error: port {port} on 127.0.0.1: cannot serve the page there (another " \
                          "program has the port, or the host is not an address of this computer)\n"
