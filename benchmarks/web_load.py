"""`restyle web` under load: time to the first result, a preset's round trip at 512 px, then many clients at once
against a bounded queue (accepted, refused, round trips, every result checked against the job run directly), and
the server's memory before and after.

A server is started by `restyle web` on a free port; the clients are `gradio_client` clients in threads.

    python benchmarks/web_load.py --clients 30 --queue 8
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date
from pathlib import Path

import numpy as np
from gradio_client import Client, handle_file
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.compare import machine  # noqa: E402
from restyle.web import jobs  # noqa: E402

EXAMPLES = ROOT / "restyle" / "examples"


def rss_mb(pid: int) -> float:
    """The process's resident memory in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start(queue: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "restyle", "web", "--port", str(port), "--queue", str(queue)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(240):
        try:
            urllib.request.urlopen(url, timeout=1)
            return server, url
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not start")


def photos(folder: Path, n: int) -> list[Path]:
    """``n`` different 512x384 photos (crops of the bundled Tübingen photo)."""
    big = Image.open(EXAMPLES / "tubingen.jpg").convert("RGB").resize((640, 480))
    out = []
    for i in range(n):
        out.append(folder / f"p{i}.png")
        big.crop((4 * i % 128, 0, 4 * i % 128 + 512, 384)).save(out[-1])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=30)
    ap.add_argument("--queue", type=int, default=8)
    args = ap.parse_args()
    server, url = start(args.queue)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            lines = measure(url, server.pid, photos(Path(tmp), args.clients), args)
    finally:
        server.terminate()
        server.wait(30)
    write(args, lines)


def measure(url: str, pid: int, inputs: list[Path], args) -> list[str]:
    client = Client(url, verbose=False)
    t = time.perf_counter()
    client.predict(handle_file(str(inputs[0])), "starry_night", 1.0, api_name="/apply")
    first = time.perf_counter() - t
    trips = []
    for _ in range(5):
        t = time.perf_counter()
        client.predict(handle_file(str(inputs[1])), "starry_night", 1.0, api_name="/apply")
        trips.append(time.perf_counter() - t)
    before = rss_mb(pid)
    results, refused, times = load(url, inputs)
    time.sleep(2)
    after = rss_mb(pid)
    models = jobs.Models("cpu")
    wrong = [i for i, out in results.items() if not np.array_equal(
        np.asarray(Image.open(out).convert("RGB")), np.asarray(jobs.apply_preset(models, str(inputs[i]),
                                                                                 "starry_night")))]
    return [f"- Time to the first result (the model loaded on first use): {first:.2f} s.",
            f"- A preset's round trip at 512x384 (through `gradio_client`, 5 in a row): median "
            f"{np.median(trips):.2f} s (min {min(trips):.2f}, max {max(trips):.2f}).",
            f"- {args.clients} clients at once against `--queue {args.queue}`: {len(results)} accepted, {len(refused)} "
            f"refused ({len(results) + len(refused)} answered, none hung), refusals saying "
            f"\"{refused[0] if refused else '-'}\"; {len(wrong)} accepted results differ from the job run directly.",
            f"- Round trips of the accepted: median {np.median(times):.2f} s, max {max(times):.2f} s.",
            f"- Server memory (RSS) before the crowd {before:.0f} MB, after {after:.0f} MB "
            f"(**{after / before:.2f}x**)."]


def load(url: str, inputs: list[Path]):
    clients = [Client(url, verbose=False) for _ in inputs]
    results, refused, times, go = {}, [], [], threading.Barrier(len(inputs))

    def one(i):
        go.wait()
        t = time.perf_counter()
        try:
            results[i] = clients[i].predict(handle_file(str(inputs[i])), "starry_night", 1.0, api_name="/apply")
            times.append(time.perf_counter() - t)
        except Exception as e:  # noqa: BLE001 (a refusal is counted)
            refused.append(str(e))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    return results, refused, times


def write(args, lines: list[str]) -> None:
    path = ROOT / "benchmarks" / "results" / f"web-cpu-{date.today()}.md"
    cmd = "python benchmarks/web_load.py " + " ".join(sys.argv[1:])
    text = (f"# `restyle web` under load\n\n{machine('cpu')}, {date.today()}. Command: `{cmd}` (server and "
            "clients on the same machine, the preset starry_night).\n\n" + "\n".join(lines) + "\n")
    path.write_text(text)
    print(text)
    print("wrote", path)


if __name__ == "__main__":
    main()
