using System.Diagnostics;
using Engine.Kernels.Ilgpu;

namespace Engine.GpuCheck;

/// <summary>
/// The timed workloads (float32, same definitions as bench/gpu/torch_bench.py): matmul 4096 forward;
/// three conv layers at batch 256, forward + dx + dw (+ db); one SGD step of the small CNN of DESIGN.md
/// section 3 at batch 256 (dropout left out on both sides). Each is warmed up, then timed until a second
/// has passed (at least 3 runs); the median is reported. The device is synchronized after each run.
/// </summary>
internal sealed class Workloads(Device dev, int batch, int matmulN, bool quick)
{
    private readonly IlgpuBackend? _be = dev.IsCpu ? null : IlgpuDevices.Backend(dev);

    public Dictionary<string, double> Run()
    {
        var r = new Dictionary<string, double>();
        Time(r, $"matmul {matmulN}", 2.0 * matmulN * matmulN * matmulN, Matmul());
        Time(r, $"conv3x3 N{batch} C3->32 32x32", ConvFlops(batch, 3, 32, 32, 32) * 3, Conv(3, 32, 32, 1));
        Time(r, $"conv3x3 N{batch} C64->64 16x16", ConvFlops(batch, 64, 64, 16, 16) * 3, Conv(64, 64, 16, 1));
        Time(r, $"depthwise3x3 N{batch} C64 32x32", ConvFlops(batch, 1, 64, 32, 32) * 3, Conv(64, 64, 32, 64));
        Time(r, $"small CNN SGD step N{batch}", 0, CnnStep());
        return r;
    }

    private static double ConvFlops(int n, int cg, int k, int h, int w) => 2.0 * n * k * h * w * cg * 9;

    private Action Matmul()
    {
        var a = Tensor.Randn(new Shape(1, matmulN, matmulN), device: dev).Keep();
        var b = Tensor.Randn(new Shape(1, matmulN, matmulN), device: dev).Keep();
        return () => dev.Backend.Matmul(a, b).Dispose();
    }

    private Action Conv(int c, int k, int hw, int groups)
    {
        var args = new Conv2dArgs(PadH: 1, PadW: 1, Groups: groups);
        var x = (Tensor.Randn(new Shape(batch, c, hw, hw), device: dev) * 0.5f).Keep().RequiresGrad_();
        var w = (Tensor.Randn(new Shape(k, c / groups, 3, 3), device: dev) * 0.1f).Keep().RequiresGrad_();
        var bias = Tensor.Zeros(new Shape(k), dev).Keep().RequiresGrad_();
        return () =>
        {
            using var _ = Tensor.Scope();
            x.ZeroGrad(); w.ZeroGrad(); bias.ZeroGrad();
            x.Conv2d(w, bias, args).Sum().Backward();
        };
    }

    private Action CnnStep()
    {
        Tensor P(params int[] shape) => (Tensor.Randn(new Shape(shape), device: dev) * (1f / MathF.Sqrt(shape.Skip(1).Aggregate(1, (p, q) => p * q)))).Keep().RequiresGrad_();
        var p = new[] { P(32, 1, 3, 3), P(32, 1), P(64, 32, 3, 3), P(64, 1), P(64 * 7 * 7, 128), P(128, 1), P(128, 10), P(10, 1) };
        var x = Tensor.Randn(new Shape(batch, 1, 28, 28), device: dev).Keep();
        var y = Tensor.Randint(0, 10, new Shape(batch)).To(dev).Keep();
        var pad = new Conv2dArgs(PadH: 1, PadW: 1); var pool = new Pool2dArgs(2, 2, 2, 2);
        return () =>
        {
            using var _ = Tensor.Scope();
            foreach (var t in p) t.ZeroGrad();
            var h = x.Conv2d(p[0], p[1].Reshape(32), pad).Relu().MaxPool2d(pool);
            h = h.Conv2d(p[2], p[3].Reshape(64), pad).Relu().MaxPool2d(pool);
            h = (h.Reshape(batch, 64 * 7 * 7).Matmul(p[4]) + p[5].Reshape(128)).Relu();
            var logits = h.Matmul(p[6]) + p[7].Reshape(10);
            var loss = logits.LogSoftmax(1).Gather(1, y.Unsqueeze(1)).Mean().Neg();
            loss.Backward();
            using (Tensor.NoGrad()) foreach (var t in p) t.Add_(t.Grad!, -0.01f);
        };
    }

    private void Time(Dictionary<string, double> results, string name, double flops, Action run)
    {
        try
        {
            for (int i = 0; i < (quick ? 1 : 2); i++) { run(); Sync(); }
            var times = new List<double>();
            var total = Stopwatch.StartNew();
            while (times.Count < (quick ? 1 : 3) || (!quick && total.Elapsed.TotalSeconds < 1 && times.Count < 50))
            {
                var sw = Stopwatch.StartNew();
                run(); Sync();
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            double ms = times[times.Count / 2];
            results[name] = ms;
            string rate = flops > 0 ? $"{flops / ms / 1e6,10:F1} GFLOP/s" : "";
            Console.WriteLine($"  {name,-36} {ms,10:F3} ms {rate}");
        }
        catch (Exception e) { Console.WriteLine($"  {name,-36} FAILED: {e.GetType().Name}: {e.Message}"); }
    }

    private void Sync() => _be?.Synchronize();
}
