"""Where a 1080p frame's time goes on a GPU, and what variants of the network cost (bound: 20 ms a frame).

    python benchmarks/probe_apply.py --device cuda [--size 1080x1920] [--compile]

Prints the costliest kernels of the network as shipped (torch.profiler), then the median time of each
variant (CUDA events, 30 runs after 5 warm-ups, one random input; all variants in one process):
  instance-norm  the norms as PyTorch's InstanceNorm2d (restyle before its own inference norm)
  shipped        body bf16 NCHW, head (last 9x9 conv) float32, restyle's inference norm
  head-bf16      the head in bf16 too
  cl             shipped in channels_last
  pad8           first conv's input and the head's output padded from 3 to 8 channels (zero weights), all bf16
  *-graph        the same captured in a CUDA graph (launch overhead removed)
  *-compile      torch.compile (default mode), only with --compile
and the end-to-end frame (uint8 HxWx3 in pinned host memory -> GPU -> network -> uint8 back on the host).
Measured 2026-11-27 on an H100 (results/probe-apply-cuda-2026-11-27.md): with PyTorch's instance norm its two
batch-norm kernels took 10.8 of the 23 ms; with restyle's the pass takes 16.2 ms; pad8 and channels_last were
slower, a CUDA graph saved 0.5 ms, a bf16 head 1 ms.
"""
from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from restyle.feedforward.network import StyleNetwork as TransformerNet


class Padded(nn.Module):
    """The network with 8-channel first conv input and head output (zeros where the 3-channel one has none)."""

    def __init__(self, net: TransformerNet, dtype: torch.dtype):
        super().__init__()
        net = copy.deepcopy(net)
        first, last = net.body[1], net.head[1]
        conv_in = nn.Conv2d(8, first.out_channels, 9)
        conv_out = nn.Conv2d(last.in_channels, 8, 9)
        with torch.no_grad():
            conv_in.weight.zero_()
            conv_in.weight[:, :3] = first.weight
            conv_in.bias.copy_(first.bias)
            conv_out.weight.zero_()
            conv_out.bias.zero_()
            conv_out.weight[:3] = last.weight
            conv_out.bias[:3] = last.bias
        net.body[1], net.head[1] = conv_in, conv_out
        self.net = net.to(dtype)

    def forward(self, x):
        x = F.pad(x * 255.0, (0, 0, 0, 0, 0, 5)).to(self.net.head[1].weight.dtype)
        return self.net.head(self.net.body(x))[:, :3] / 255.0


def timed(fn, x, runs=30, warm=5):
    if not torch.cuda.is_available():  # a dry run of this script on a CPU
        fn(x)
        t = time.perf_counter()
        fn(x)
        return (time.perf_counter() - t) * 1000
    for _ in range(warm):
        fn(x)
    torch.cuda.synchronize()
    ts = []
    for _ in range(runs):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn(x)
        b.record()
        b.synchronize()
        ts.append(a.elapsed_time(b))
    return statistics.median(ts)


def top(prof):
    for key in ("device_time_total", "cuda_time_total"):
        try:
            print(prof.key_averages().table(sort_by=key, row_limit=14, max_name_column_width=80), flush=True)
            return
        except Exception as e:  # noqa: BLE001 - the key's name changed across torch versions
            print(f"sort by {key}: {e}")


def graphed(fn, x):
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            fn(x)
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    static_x = x.clone()
    with torch.cuda.graph(g):
        static_y = fn(static_x)

    def run(inp):
        static_x.copy_(inp)
        g.replay()
        return static_y
    return run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--size", default="1080x1920")
    ap.add_argument("--compile", action="store_true")
    args = ap.parse_args()
    h, w = map(int, args.size.split("x"))
    dev = torch.device(args.device)
    torch.manual_seed(0)
    base = TransformerNet().eval()
    for norm in base.norms():  # lively weights, so no variant can win on constant outputs
        norm.weight.data.uniform_(0.5, 1.5)
        norm.bias.data.uniform_(-0.5, 0.5)
    base.head[1].weight.data *= 120
    x = torch.rand(1, 3, h, w, device=dev)
    cuda = dev.type == "cuda"
    print(torch.cuda.get_device_name(dev) if cuda else "cpu", torch.__version__, f"{w}x{h}", flush=True)

    shipped = copy.deepcopy(base).to(dev).half(torch.bfloat16)
    instance = copy.deepcopy(base).to(dev).half(torch.bfloat16).train()  # train mode: nn.InstanceNorm2d
    allbf = copy.deepcopy(base).to(dev).to(torch.bfloat16)
    cl = copy.deepcopy(base).to(dev).half(torch.bfloat16).to(memory_format=torch.channels_last)
    pad8 = Padded(base, torch.bfloat16).to(dev).eval()
    xcl = x.contiguous(memory_format=torch.channels_last)
    variants = {
        "instance-norm": (lambda t: instance(t), x),
        "shipped": (lambda t: shipped(t), x),
        "head-bf16": (lambda t: allbf(t.to(torch.bfloat16)).float(), x),
        "cl": (lambda t: cl(t), xcl),
        "pad8": (lambda t: pad8(t).float(), x),
    }
    with torch.inference_mode():
        ref = shipped(x).float()
        for name, (fn, inp) in list(variants.items()):
            err = (fn(inp).float() - ref).abs().max().item()
            print(f"{name}: max |diff| vs shipped {err:.2e}", flush=True)
        from torch.profiler import ProfilerActivity, profile
        with profile(activities=[ProfilerActivity.CUDA if cuda else ProfilerActivity.CPU]) as prof:
            for _ in range(3):
                shipped(x)
            torch.cuda.synchronize() if cuda else None
        top(prof)
        results = {}
        for name, (fn, inp) in variants.items():
            results[name] = timed(fn, inp)
            print(f"{name}: {results[name]:.2f} ms", flush=True)
            try:
                if not cuda:
                    continue
                results[name + "-graph"] = timed(graphed(fn, inp), inp)
                print(f"{name}-graph: {results[name + '-graph']:.2f} ms", flush=True)
            except Exception as e:  # noqa: BLE001 - a probe: report and go on
                print(f"{name}-graph failed: {e}", flush=True)
    if args.compile:
        for name in ("shipped", "cl"):
            fn, inp = variants[name]
            t = time.perf_counter()
            cfn = torch.compile(fn)
            with torch.inference_mode():
                cfn(inp)
                print(f"{name}-compile: compiled in {time.perf_counter() - t:.0f} s", flush=True)
                results[name + "-compile"] = timed(cfn, inp)
            print(f"{name}-compile: {results[name + '-compile']:.2f} ms", flush=True)

    # End to end: a uint8 frame in pinned host memory -> GPU -> network -> uint8 on the host, for the network
    # as shipped and the fastest eager variant.
    frame = torch.randint(0, 256, (h, w, 3), dtype=torch.uint8)
    out = torch.empty_like(frame)
    if cuda:
        frame, out = frame.pin_memory(), out.pin_memory()
    best = min(variants, key=lambda k: results[k])
    for name in dict.fromkeys(["shipped", best]):
        fn, _ = variants[name]

        def e2e(_, fn=fn, channels_last=name == "cl"):
            g = frame.to(dev, non_blocking=True).permute(2, 0, 1)[None].float().div_(255)
            if channels_last:
                g = g.contiguous(memory_format=torch.channels_last)
            y = fn(g)
            out.copy_(y[0].clamp(0, 1).mul(255).round().to(torch.uint8).permute(1, 2, 0), non_blocking=True)
            return out
        with torch.inference_mode():
            results["e2e " + name] = timed(e2e, None)
        print(f"end to end ({name}, uint8 pinned in and out): {results['e2e ' + name]:.2f} ms", flush=True)
    print("\n| variant | median ms |\n|---|---|")
    for k, v in results.items():
        print(f"| {k} | {v:.2f} |")


if __name__ == "__main__":
    main()
