#!/usr/bin/env python3
"""The GPU workloads of bench/gpu/GpuCheck/Workloads.cs in PyTorch, on the same GPU, and the ratio table.

Usage: torch_bench.py [--engine engine.json] [--batch 256] [--matmul 4096] [--device cuda]
Float32 throughout; TF32 is turned off so both sides do full fp32 math (pass --tf32 to allow it).
Ratio = engine ms / torch ms (above 1: the engine is slower).
"""
import argparse, json, math, statistics, time

import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--engine", default="engine.json")
ap.add_argument("--batch", type=int, default=256)
ap.add_argument("--matmul", type=int, default=4096)
ap.add_argument("--device", default="cuda")
ap.add_argument("--tf32", action="store_true")
ap.add_argument("--json", default="torch.json")
args = ap.parse_args()

dev = torch.device(args.device)
torch.backends.cuda.matmul.allow_tf32 = args.tf32
torch.backends.cudnn.allow_tf32 = args.tf32
torch.backends.cudnn.benchmark = True
torch.manual_seed(0)
B, N = args.batch, args.matmul


def sync():
    if dev.type == "cuda":
        torch.cuda.synchronize()


def timed(fn):
    """Two warm-up runs, then runs until a second has passed (at least 3, at most 50); the median in ms."""
    for _ in range(2):
        fn(); sync()
    times, start = [], time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < 1 and len(times) < 50):
        t = time.perf_counter(); fn(); sync(); times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def matmul():
    a = torch.randn(1, N, N, device=dev); b = torch.randn(1, N, N, device=dev)
    return lambda: torch.bmm(a, b)


def conv(c, k, hw, groups):
    x = (torch.randn(B, c, hw, hw, device=dev) * 0.5).requires_grad_()
    w = (torch.randn(k, c // groups, 3, 3, device=dev) * 0.1).requires_grad_()
    b = torch.zeros(k, device=dev, requires_grad=True)

    def run():
        x.grad = w.grad = b.grad = None
        F.conv2d(x, w, b, padding=1, groups=groups).sum().backward()
    return run


def cnn_step():
    def p(*shape):
        fan = math.prod(shape[1:])
        return (torch.randn(*shape, device=dev) / math.sqrt(fan)).requires_grad_()
    ps = [p(32, 1, 3, 3), p(32, 1), p(64, 32, 3, 3), p(64, 1), p(64 * 7 * 7, 128), p(128, 1), p(128, 10), p(10, 1)]
    x = torch.randn(B, 1, 28, 28, device=dev)
    y = torch.randint(0, 10, (B,), device=dev)

    def run():
        for t in ps: t.grad = None
        h = F.max_pool2d(F.relu(F.conv2d(x, ps[0], ps[1].reshape(32), padding=1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, ps[2], ps[3].reshape(64), padding=1)), 2)
        h = F.relu(h.reshape(B, -1) @ ps[4] + ps[5].reshape(128))
        loss = F.cross_entropy(h @ ps[6] + ps[7].reshape(10), y)
        loss.backward()
        with torch.no_grad():
            for t in ps: t.add_(t.grad, alpha=-0.01)
    return run


work = {
    f"matmul {N}": matmul(),
    f"conv3x3 N{B} C3->32 32x32": conv(3, 32, 32, 1),
    f"conv3x3 N{B} C64->64 16x16": conv(64, 64, 16, 1),
    f"depthwise3x3 N{B} C64 32x32": conv(64, 64, 32, 64),
    f"small CNN SGD step N{B}": cnn_step(),
}
torch_ms = {name: timed(fn) for name, fn in work.items()}
with open(args.json, "w") as f:
    json.dump({"device": str(dev), "name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
               "torch": torch.__version__, "tf32": args.tf32, "results": torch_ms}, f, indent=2)

try:
    with open(args.engine) as f:
        engine = json.load(f)["results"]
except (OSError, ValueError, KeyError):
    engine = {}

print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name(dev) if dev.type == 'cuda' else 'cpu'} (tf32={args.tf32})")
print(f"| {'workload':<36} | {'engine ms':>10} | {'torch ms':>10} | {'engine/torch':>12} |")
print(f"|{'-' * 38}|{'-' * 12}|{'-' * 12}|{'-' * 14}|")
for name, t in torch_ms.items():
    e = engine.get(name)
    es = f"{e:10.3f}" if e is not None else f"{'-':>10}"
    rs = f"{e / t:12.2f}" if e is not None else f"{'-':>12}"
    print(f"| {name:<36} | {es} | {t:10.3f} | {rs} |")
