"""Apply-time variants at 1080p on a GPU: as shipped, channels_last, cudnn.benchmark, fp16 (median of 30)."""
import statistics
import time

import torch

from restyle.transformer import TransformerNet

x = torch.rand(1, 3, 1080, 1920, device="cuda")
for name, dtype, cl, bench in [("bf16", torch.bfloat16, False, False), ("bf16 cl", torch.bfloat16, True, False),
                               ("bf16 bench", torch.bfloat16, False, True), ("bf16 cl bench", torch.bfloat16, True, True),
                               ("fp16 cl bench", torch.float16, True, True)]:
    torch.backends.cudnn.benchmark = bench
    net = TransformerNet().cuda().eval().half(dtype)
    xi = x.contiguous(memory_format=torch.channels_last) if cl else x
    if cl:
        net = net.to(memory_format=torch.channels_last)
    with torch.inference_mode():
        for _ in range(5):
            net(xi)
        ts = []
        for _ in range(30):
            torch.cuda.synchronize()
            t = time.perf_counter()
            net(xi)
            torch.cuda.synchronize()
            ts.append(time.perf_counter() - t)
    print(f"{name}: {statistics.median(ts) * 1000:.1f} ms", flush=True)
