#!/usr/bin/python3
"""PyTorch's half of bench/compare.sh, and the table that joins both halves.

  compare_torch.py run [--only a,b]          time the workloads in PyTorch (2 threads); one JSON line each
  compare_torch.py table ENGINE.jsonl TORCH.jsonl
                                             workload, engine ms, PyTorch ms, ratio (PyTorch / engine),
                                             engine GFLOP/s and its share of the peak the engine measured
                                             (its GEMM micro-kernel alone, at the width it ran, on every core)

compare.sh runs this with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, so that OpenBLAS picks its own kernel for
this CPU (the environment pins Haswell for older builds); `run` prints the kernel it chose as the first line.

The workloads mirror bench/Engine.Bench/Workloads.cs and SmallCnn.cs (same shapes, same inputs taking gradients,
same loss), and the timing rule mirrors Timing.cs: 3 warm-up calls, then calls for about one second
(at least 5, at most 200), the median call time.
"""
import json
import sys
import time



def small_cnn_flops(b):
    c1 = 2.0 * b * 32 * 28 * 28 * 9
    c2 = 2.0 * b * 64 * 14 * 14 * 32 * 9
    f1 = 2.0 * b * 3136 * 128
    f2 = 2.0 * b * 128 * 10
    return 2 * c1 + 3 * (c2 + f1 + f2)


# The vision zoo (src/Vision, bench/Engine.Bench/VisionNets.cs): torchvision's multiply-adds per image at 224 x 224, G.
VISION_GMACS = {"resnet18": 1.814, "resnet34": 3.664, "resnet50": 4.089, "mobilenet_v2": 0.301, "mobilenet_v3_small": 0.057,
                "mobilenet_v3_large": 0.217, "efficientnet_b0": 0.386, "vgg11_bn": 7.609}

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
    # torchvision's published multiply-add counts per image (G), x2, batch 8
    **{f"{a}_b8_224_fwd": 8 * 2 * g * 1e9 for a, g in VISION_GMACS.items()},
    "smallcnn_fmnist_epoch": small_cnn_flops(64) * 60000 / 64,
    "transformer_d512_h8_s128_b8_fwdbwd": 3 * (2.0 * 8 * 128 * (4.0 * 512 * 512 + 2.0 * 512 * 2048) + 2 * 2.0 * 8 * 128 * 128 * 512),
    "attention_fused_b1_h8_s1024_d64_fwdbwd": 3.5 * 2 * 2.0 * 8 * 1024 * 1024 * 64,
    "attention_naive_b1_h8_s1024_d64_fwdbwd": 3.5 * 2 * 2.0 * 8 * 1024 * 1024 * 64,
}

# Workloads timed once (an epoch), not as the median of many calls.
LONG = {"smallcnn_fmnist_epoch"}


def openblas_core():
    """The kernel OpenBLAS chose (openblas_get_corename), or why it could not be read."""
    import ctypes
    for name in ("libopenblas.so.0", "libopenblas.so", "libopenblasp-r0.3.21.so"):
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode()
        except (OSError, AttributeError):
            continue
    return "unknown (libopenblas not found)"


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

    def vision(make):
        import torchvision
        net = make(torchvision.models).eval()
        x = torch.randn(8, 3, 224, 224)

        def step():
            with torch.no_grad():
                net(x)
        return step

    def fmnist_epoch():
        import gzip
        import numpy as np
        d = "/usr/share/datasets/fashion-mnist"
        with gzip.open(f"{d}/train-images-idx3-ubyte.gz") as f:
            images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
        with gzip.open(f"{d}/train-labels-idx1-ubyte.gz") as f:
            labels = np.frombuffer(f.read(), np.uint8, offset=8)
        x = torch.from_numpy(images.astype(np.float32) / 255)
        y = torch.from_numpy(labels.astype(np.int64))
        order = torch.from_numpy(np.random.default_rng(0).permutation(len(y)))
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

        def step():
            for b in range(0, len(y), 64):
                idx = order[b:b + 64]
                opt.zero_grad(set_to_none=True)
                F.cross_entropy(model(x[idx]), y[idx]).backward()
                opt.step()
        return step

    def transformer():
        layer = nn.TransformerEncoderLayer(512, 8, 2048, dropout=0.0, activation="relu", batch_first=True)
        x = param(8, 128, 512)

        def step():
            x.grad = None
            layer.zero_grad(set_to_none=True)
            layer(x).sum().backward()
        return step

    def attention():
        # torch 1.13 has no fused CPU attention: the composed ops, as nn.MultiheadAttention runs them
        q, k, v = param(1, 8, 1024, 64), param(1, 8, 1024, 64), param(1, 8, 1024, 64)

        def step():
            q.grad = k.grad = v.grad = None
            (torch.softmax(q @ k.transpose(-1, -2) / 8.0, -1) @ v).sum().backward()
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
        **{f"{a}_b8_224_fwd": (lambda a=a: vision(lambda m: getattr(m, a)())) for a in VISION_GMACS},
        "smallcnn_fmnist_epoch": fmnist_epoch,
        "transformer_d512_h8_s128_b8_fwdbwd": transformer,
        "attention_fused_b1_h8_s1024_d64_fwdbwd": attention,
        "attention_naive_b1_h8_s1024_d64_fwdbwd": attention,
    }


def run(args):
    import torch
    torch.set_num_threads(2)
    torch.manual_seed(0)
    only = None
    if "--only" in args:
        only = args[args.index("--only") + 1].split(",")
    print(json.dumps({"name": "openblas", "core": openblas_core(), "torch": torch.__version__}), flush=True)
    for name, make in workloads().items():
        if only and name not in only:
            continue
        step = make()
        ms = once_ms(step) if name in LONG else median_ms(step)
        print(json.dumps({"name": name, "ms": round(ms, 4)}), flush=True)


def once_ms(step):
    t0 = time.perf_counter()
    step()
    return (time.perf_counter() - t0) * 1000


def load(path):
    """Best (lowest) time per workload over every line in the file (one line per run and round), and the other
    records (the engine's measured peak, OpenBLAS's kernel): the best peak, the last of the rest."""
    best, info = {}, {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            if "ms" in r:
                best[r["name"]] = min(best.get(r["name"], float("inf")), r["ms"])
            elif r["name"] == "peak":
                if r["gflops"] > info.get("peak", {}).get("gflops", 0):
                    info["peak"] = r
            else:
                info[r["name"]] = r
    return best, info


def table(engine_path, torch_path):
    (eng, einfo), (pt, tinfo) = load(engine_path), load(torch_path)
    peak = einfo.get("peak", {"gflops": float("nan"), "simd": "?", "threads": "?"})
    blas = tinfo.get("openblas", {"core": "?", "torch": "?"})
    print(f"engine: {peak['simd']} kernels, {peak['threads']} threads, measured peak {peak['gflops']:.0f} GFLOP/s; "
          f"PyTorch {blas['torch']} with OpenBLAS kernel {blas['core']}")
    print(f"{'workload':<36} {'engine ms':>10} {'PyTorch ms':>11} {'ratio':>7} {'GFLOP/s':>8} {'% peak':>7}")
    for name in FLOPS:
        if name not in eng:
            continue
        e, p = eng[name], pt.get(name)
        gf = FLOPS[name] / (e * 1e6)
        ps = f"{p:11.3f}" if p is not None else f"{'-':>11}"
        ratio = f"{p / e:7.2f}" if p is not None else f"{'-':>7}"
        print(f"{name:<36} {e:10.3f} {ps} {ratio} {gf:8.1f} {100 * gf / peak['gflops']:6.1f}%")
    print("ratio = PyTorch time / engine time (higher is better for the engine); best of the rounds on each side")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "run":
        run(sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "table":
        table(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
