#!/usr/bin/python3
"""PyTorch's half of bench/compare.sh, and the table that joins both halves.

  compare_torch.py run [--only a,b]          time the workloads in PyTorch (2 threads); one JSON line each
  compare_torch.py table ENGINE.jsonl TORCH.jsonl
                                             workload, engine ms, PyTorch ms, ratio (PyTorch / engine),
                                             engine GFLOP/s and its share of the CPU's 184 GFLOP/s peak

The workloads mirror bench/Engine.Bench/Workloads.cs and SmallCnn.cs (same shapes, same inputs taking gradients,
same loss), and the timing rule mirrors Timing.cs: 3 warm-up calls, then calls for about one second
(at least 5, at most 200), the median call time.
"""
import json
import sys
import time

PEAK = 184.0


def small_cnn_flops(b):
    c1 = 2.0 * b * 32 * 28 * 28 * 9
    c2 = 2.0 * b * 64 * 14 * 14 * 32 * 9
    f1 = 2.0 * b * 3136 * 128
    f2 = 2.0 * b * 128 * 10
    return 2 * c1 + 3 * (c2 + f1 + f2)


FLOPS = {
    "matmul_256": 2.0 * 256 ** 3,
    "matmul_512": 2.0 * 512 ** 3,
    "matmul_1024": 2.0 * 1024 ** 3,
    "linear_784x512_b128_fwdbwd": 3 * 2.0 * 128 * 784 * 512,
    "conv3x3_n32_c3_k32_32x32_fwdbwd": 3 * 2.0 * 32 * 32 * 32 * 32 * 3 * 9,
    "conv3x3_n32_c64_k64_16x16_fwdbwd": 3 * 2.0 * 32 * 64 * 16 * 16 * 64 * 9,
    "depthwise3x3_n32_c64_32x32_fwdbwd": 3 * 2.0 * 32 * 64 * 32 * 32 * 1 * 9,
    "lstm_s32_b32_i128_h256_fwdbwd": 3 * 2.0 * 32 * 32 * 4 * 256 * (128 + 256),
    "smallcnn_b64_adam_step": small_cnn_flops(64),
}


def median_ms(step, budget_ms=1000.0, warmup=3):
    for _ in range(warmup):
        step()
    times = []
    start = time.perf_counter()
    while len(times) < 5 or ((time.perf_counter() - start) * 1000 < budget_ms and len(times) < 200):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2]


def workloads():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    def param(*shape):
        return (torch.randn(*shape) * 0.05).requires_grad_()

    def matmul(n):
        a, b = torch.randn(n, n), torch.randn(n, n)

        def step():
            with torch.no_grad():
                a @ b
        return step

    def linear():
        x, w, b = param(128, 784), param(512, 784), param(512)

        def step():
            x.grad = w.grad = b.grad = None
            F.linear(x, w, b).sum().backward()
        return step

    def conv(n, c, k, hw, groups):
        x, w, b = param(n, c, hw, hw), param(k, c // groups, 3, 3), param(k)

        def step():
            x.grad = w.grad = b.grad = None
            F.conv2d(x, w, b, padding=1, groups=groups).sum().backward()
        return step

    def lstm():
        x = param(32, 32, 128)
        cell = nn.LSTM(128, 256)

        def step():
            x.grad = None
            cell.zero_grad(set_to_none=True)
            out, _ = cell(x)
            out.sum().backward()
        return step

    def small_cnn():
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = torch.randn(64, 1, 28, 28)
        y = torch.arange(64) % 10

        def step():
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            opt.step()
        return step

    return {
        "matmul_256": lambda: matmul(256),
        "matmul_512": lambda: matmul(512),
        "matmul_1024": lambda: matmul(1024),
        "linear_784x512_b128_fwdbwd": linear,
        "conv3x3_n32_c3_k32_32x32_fwdbwd": lambda: conv(32, 3, 32, 32, 1),
        "conv3x3_n32_c64_k64_16x16_fwdbwd": lambda: conv(32, 64, 64, 16, 1),
        "depthwise3x3_n32_c64_32x32_fwdbwd": lambda: conv(32, 64, 64, 32, 64),
        "lstm_s32_b32_i128_h256_fwdbwd": lstm,
        "smallcnn_b64_adam_step": small_cnn,
    }


def run(args):
    import torch
    torch.set_num_threads(2)
    torch.manual_seed(0)
    only = None
    if "--only" in args:
        only = args[args.index("--only") + 1].split(",")
    for name, make in workloads().items():
        if only and name not in only:
            continue
        print(json.dumps({"name": name, "ms": round(median_ms(make()), 4)}), flush=True)


def load(path):
    """Best (lowest) time per workload over every line in the file (one line per run and round)."""
    best = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                r = json.loads(line)
                best[r["name"]] = min(best.get(r["name"], float("inf")), r["ms"])
    return best


def table(engine_path, torch_path):
    eng, pt = load(engine_path), load(torch_path)
    print(f"{'workload':<36} {'engine ms':>10} {'PyTorch ms':>11} {'ratio':>7} {'GFLOP/s':>8} {'% peak':>7}")
    for name in FLOPS:
        if name not in eng:
            continue
        e, p = eng[name], pt.get(name)
        gf = FLOPS[name] / (e * 1e6)
        ps = f"{p:11.3f}" if p is not None else f"{'-':>11}"
        ratio = f"{p / e:7.2f}" if p is not None else f"{'-':>7}"
        print(f"{name:<36} {e:10.3f} {ps} {ratio} {gf:8.1f} {100 * gf / PEAK:6.1f}%")
    print("ratio = PyTorch time / engine time (higher is better for the engine); best of the rounds on each side")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "run":
        run(sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "table":
        table(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
