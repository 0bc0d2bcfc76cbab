"""The web tests need Gradio (the web extra); ``server`` is the page's server, started by ``restyle web`` in a
subprocess on a free port."""

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import DEVICE

pytest.importorskip("gradio")

#: Jobs the test server lets wait.
QUEUE = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port, log = _free_port(), tmp_path_factory.mktemp("server") / "log.txt"
    with open(log, "w") as out:  # (a file, not a pipe nobody reads, which could fill and stall the server)
        proc = subprocess.Popen([sys.executable, "-m", "restyle", "web", "--port", str(port), "--queue", str(QUEUE),
                                 "--device", DEVICE, "--max-upload-mb", "1"], stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(240):
        try:
            urllib.request.urlopen(url, timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"the server stopped: {log.read_text()}")
            time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(30)


