using Engine.Kernels.Ops;

namespace Engine.GpuCheck;

/// <summary>
/// The backend's op checks, runnable on any device: each op on the same random inputs on the CPU
/// backend and on the device, compared elementwise (|e - a| &lt;= atol + rtol |e|). The same cases as
/// tests/Engine.Tests/Ilgpu, sized small so the CPU reference is quick.
/// </summary>
internal sealed class Checks(Device dev)
{
    // Typed as both interfaces: the forward primitives (IBackend) and the hand-written gradients and cells (IFusedKernels).
    private readonly Engine.Kernels.Ilgpu.IlgpuBackend _g = (Engine.Kernels.Ilgpu.IlgpuBackend)dev.Backend;
    private readonly Engine.Kernels.Cpu.CpuBackend _c = Engine.Kernels.Cpu.CpuBackend.Instance;
    private int _seed = 1, _failed, _passed;

    public bool Run()
    {
        Check("upload/download", () => { var (c, g) = Pair(3, 5); return (c, g); });
        Check("copy strided -> f16 -> f32", () => { var (c, g) = Pair(4, 6, 5); return (T(c, 1).ToDType(DType.Float16).ToDType(DType.Float32), T(g, 1).ToDType(DType.Float16).ToDType(DType.Float32)); });
        Check("exp", () => Un(new ExpOp())); Check("tanh", () => Un(new TanhOp())); Check("gelu", () => Un(new GeluOp())); Check("sigmoid", () => Un(new SigmoidOp()));
        Check("add broadcast", () => { var a = Pair(4, 7); var b = Pair(7); return (_c.Zip(a.c, b.c, new AddOp()), _g.Zip(a.g, b.g, new AddOp())); });
        Check("mul transposed", () => { var a = Pair(5, 6); var b = Pair(6, 5); return (_c.Zip(T(a.c, 0), b.c, new MulOp()), _g.Zip(T(a.g, 0), b.g, new MulOp())); });
        Check("where", () => { var m = Pair(9); var a = Pair(9); var b = Pair(9); var mc = _c.Zip(m.c, b.c, new CompareOp(Compare.Gt)); var mg = _g.Zip(m.g, b.g, new CompareOp(Compare.Gt)); return (_c.Where(mc, a.c, b.c), _g.Where(mg, a.g, b.g)); });
        Check("sum dims 0,2", () => { var a = Pair(6, 50, 7); return (_c.Reduce(ReduceKind.Sum, a.c, [0, 2], false), _g.Reduce(ReduceKind.Sum, a.g, [0, 2], false)); }, 1e-3f);
        Check("max long rows", () => { var a = Pair(3, 5000); return (_c.Reduce(ReduceKind.Max, a.c, [1], true), _g.Reduce(ReduceKind.Max, a.g, [1], true)); });
        Check("argmax", () => { var a = Pair(7, 300); return (_c.ArgReduce(true, a.c, 1, false), _g.ArgReduce(true, a.g, 1, false)); });
        Check("softmax 10", () => { var a = Pair(64, 10); return (_c.Softmax(a.c, 1, false), _g.Softmax(a.g, 1, false)); });
        Check("log_softmax 1000", () => { var a = Pair(4, 1000); return (_c.Softmax(a.c, 1, true), _g.Softmax(a.g, 1, true)); });
        foreach (var (b, m, k, n) in new[] { (1, 1, 1, 1), (1, 65, 70, 63), (3, 17, 5, 129), (2, 257, 300, 130) })
            Check($"matmul {b}x{m}x{k}x{n}", () => { var a = Pair(b, m, k); var c = Pair(b, k, n); return (_c.Matmul(a.c, c.c), _g.Matmul(a.g, c.g)); }, 1e-3f);
        Check("matmul transposed", () => { var a = Pair(2, 40, 30); var c = Pair(2, 50, 40); return (_c.Matmul(Tr(a.c), Tr(c.c)), _g.Matmul(Tr(a.g), Tr(c.g))); }, 1e-3f);
        foreach (var (name, a, C, K) in new[] {
            ("conv 3x3 pad 1", new Conv2dArgs(PadH: 1, PadW: 1), 3, 8),
            ("conv stride 2 dilation 2", new Conv2dArgs(StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 2, DilationW: 2), 4, 6),
            ("conv groups 2", new Conv2dArgs(PadH: 1, PadW: 1, Groups: 2), 4, 6),
            ("conv depthwise", new Conv2dArgs(PadH: 1, PadW: 1, Groups: 8), 8, 8) })
        {
            var x = Pair(4, C, 9, 10); var w = Pair(K, C / a.Groups, 3, 3); var bias = Pair(K);
            var yc = _c.Conv2d(x.c, w.c, bias.c, a);
            Check(name, () => (yc, _g.Conv2d(x.g, w.g, bias.g, a)), 1e-3f);
            var dy = Pair(yc.Shape.ToArray());
            Check(name + " dx", () => (_c.Conv2dBackwardInput(dy.c, w.c, x.c.Shape, a), _g.Conv2dBackwardInput(dy.g, w.g, x.g.Shape, a)), 1e-3f);
            Check(name + " dw", () => (_c.Conv2dBackwardWeight(dy.c, x.c, w.c.Shape, a), _g.Conv2dBackwardWeight(dy.g, x.g, w.g.Shape, a)), 1e-3f);
        }
        var pa = new Pool2dArgs(3, 3, 2, 2, 1, 1);
        Check("max_pool2d", () => { var x = Pair(2, 3, 9, 9); return (_c.MaxPool2d(x.c, pa, out _), _g.MaxPool2d(x.g, pa, out _)); });
        Check("max_pool2d backward", () => { var x = Pair(2, 3, 9, 9); _c.MaxPool2d(x.c, pa, out var ic); _g.MaxPool2d(x.g, pa, out var ig); var dy = Pair(ic.Shape.ToArray()); return (_c.MaxPool2dBackward(dy.c, ic, x.c.Shape), _g.MaxPool2dBackward(dy.g, ig, x.g.Shape)); });
        Check("avg_pool2d backward", () => { var x = Pair(2, 3, 9, 9); var dy = Pair(2, 3, 5, 5); return (_c.AvgPool2dBackward(dy.c, x.c.Shape, pa), _g.AvgPool2dBackward(dy.g, x.g.Shape, pa)); });
        Check("lstm cell", () => { var gt = Pair(4, 32); var cp = Pair(4, 8); return (_c.LstmCell(gt.c, cp.c).h, _g.LstmCell(gt.g, cp.g).h); });
        Check("gru cell", () => { var a = Pair(4, 24); var b = Pair(4, 24); var h = Pair(4, 8); return (_c.GruCell(a.c, b.c, h.c).h, _g.GruCell(a.g, b.g, h.g).h); });
        Check("index_select", () => { var x = Pair(6, 5); var i = Ints([5, 0, 5, 2]); return (_c.IndexSelect(x.c, 0, i.c), _g.IndexSelect(x.g, 0, i.g)); });
        Check("gather", () => { var x = Pair(4, 6); var i = Ints([0, 5, 1, 1, 2, 3, 4, 0], 4, 2); return (_c.Gather(x.c, 1, i.c), _g.Gather(x.g, 1, i.g)); });
        Check("mlp grads", MlpGrads, 1e-3f);
        Console.WriteLine($"checks: {_passed} passed, {_failed} failed on {dev} ({dev.Name})");
        return _failed == 0;
    }

    private (Tensor, Tensor) MlpGrads()
    {
        Tensor[] P(Device d) => [Tensor.FromArray(Vals(32 * 64, 100), [32, 64], d).RequiresGrad_(), Tensor.FromArray(Vals(64 * 10, 101), [64, 10], d).RequiresGrad_()];
        var x = Tensor.FromArray(Vals(16 * 32, 102), 16, 32);
        var y = Tensor.FromArray(Enumerable.Range(0, 16).Select(i => i % 10).ToArray(), 16);
        Tensor Loss(Tensor[] p, Device d) => x.To(d).Matmul(p[0]).Tanh().Matmul(p[1]).LogSoftmax(1).Gather(1, y.To(d).Unsqueeze(1)).Mean().Neg();
        var pc = P(Device.Cpu); var pg = P(dev);
        Loss(pc, Device.Cpu).Backward(); Loss(pg, dev).Backward();
        return (pc[0].Grad!, pg[0].Grad!);
    }

    private void Check(string name, Func<(Tensor c, Tensor g)> f, float tol = 1e-4f)
    {
        try
        {
            var (c, g) = f();
            if (c.Shape != g.Shape) throw new Exception($"shape {g.Shape}, expected {c.Shape}");
            if (g.Device != dev) throw new Exception($"result on {g.Device}, expected {dev}");
            float[] e = c.ToArray(), a = g.ToArray();
            float worst = 0; int at = -1;
            for (int i = 0; i < e.Length; i++)
            {
                float err = MathF.Abs(e[i] - a[i]) / (tol + tol * MathF.Abs(e[i]));
                if (float.IsNaN(a[i]) != float.IsNaN(e[i])) err = float.PositiveInfinity;
                if (err > worst || float.IsNaN(err)) { worst = err; at = i; }
            }
            if (worst > 1f) throw new Exception($"element {at}: expected {e[at]:G7}, got {a[at]:G7} (tolerance {tol} abs + rel)");
            _passed++;
            Console.WriteLine($"  ok    {name}");
        }
        catch (Exception ex)
        {
            _failed++;
            Console.WriteLine($"  FAIL  {name}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private (Tensor c, Tensor g) Un<TOp>(TOp op) where TOp : struct, IUnaryOp { var a = Pair(33, 17); return (_c.Map(a.c, op), _g.Map(a.g, op)); }

    private float[] Vals(int n, int seed) { var r = new Generator(seed); var v = new float[n]; for (int i = 0; i < n; i++) v[i] = (float)r.NextGaussian() * 0.3f; return v; }

    private (Tensor c, Tensor g) Pair(params int[] shape)
    {
        var v = Vals(new Shape(shape).Numel, _seed++);
        return (Tensor.FromArray(v, shape, Device.Cpu), Tensor.FromArray(v, shape, dev));
    }

    private (Tensor c, Tensor g) Ints(int[] v, params int[] shape)
    {
        var c = Tensor.FromArray(v, shape.Length == 0 ? [v.Length] : shape);
        return (c, c.To(dev));
    }

    private static Tensor T(Tensor t, int d0) => t.Transpose(d0, d0 + 1);
    private static Tensor Tr(Tensor t) => t.Transpose(1, 2);
}
