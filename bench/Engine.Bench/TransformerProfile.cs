using System.Diagnostics;
using System.Globalization;

namespace Engine.Bench;

// `transformer-profile [rounds]`: where the time of transformer_d512_h8_s128_b8_fwdbwd goes, by stopwatch, in one
// process. Every piece runs once per round, the pieces interleaved, and the best round of each is kept (the machine is
// shared: the minimum is the piece's own cost, the rest is other people's work). Pieces, forward + backward each:
//   step         the whole workload: TransformerEncoderLayer(512, 8, 2048) on x [8, 128, 512], sum, backward
//   gemm         the 18 GEMMs of the four Linears alone (y = x W^T, dx = dy W, dW = dy^T x), no autograd
//   attention    the fused attention on q, k, v [8, 8, 128, 64]
//   layernorm    LayerNorm(512) on [8, 128, 512], twice
//   heads        the head split (3 contiguous copies out of [8, 128, 3, 8, 64]) and the merge copy, forward only
//   bias         y + b and its gradient (a reduction over 1024 rows) for the four Linears
//   linear-fold  in_proj (512 -> 1536) as one [1024, 512] GEMM (Matmul folds the batch) against
//   linear-batch the same as 8 batched [128, 512] products with the weight broadcast (the path before the fold)
// "rest" = step - gemm - attention - layernorm: copies, residual adds, ReLU, bias, autograd and allocation.
internal static class TransformerProfile
{
    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        Seed.Everything(0);
        const int N = 8, L = 128, E = 512, H = 8, D = 64, FF = 2048;
        var layer = new TransformerEncoderLayer(E, H, FF, dropout: 0, activation: "relu", batchFirst: true);
        var x = Tensor.Randn(N, L, E).RequiresGrad_();
        var x2 = x.Detach().Reshape(N * L, E).Keep();
        var pieces = new List<(string Name, Action Step)>
        {
            ("step", () => { x.ZeroGrad(); layer.ZeroGrad(); layer.Forward(x).Sum().Backward(); }),
            ("gemm", Gemms(x2, N * L, E, FF)),
            ("attention", Attention(N * H, L, D)),
            ("layernorm", Norms(N, L, E)),
            ("heads", Heads(N, L, H, D)),
            ("bias", Bias(N * L, E, FF)),
            ("linear-fold", Linear(N, L, E, 3 * E, batched: false)),
            ("linear-batch", Linear(N, L, E, 3 * E, batched: true)),
        };
        var best = pieces.ToDictionary(p => p.Name, _ => double.MaxValue);
        foreach (var p in pieces) for (int w = 0; w < 2; w++) Once(p.Step);   // JIT tiers, pools
        for (int r = 0; r < rounds; r++)
            foreach (var p in pieces) best[p.Name] = Math.Min(best[p.Name], Once(p.Step));
        double step = best["step"];
        Console.WriteLine($"best of {rounds} rounds ({CpuSettings.Simd}, {CpuSettings.Threads} threads)");
        Console.WriteLine($"{"piece",-14} {"ms",9} {"of step",8}");
        foreach (var p in pieces)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p.Name,-14} {best[p.Name],9:F2} {100 * best[p.Name] / step,7:F1}%"));
        double rest = step - best["gemm"] - best["attention"] - best["layernorm"];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"rest",-14} {rest,9:F2} {100 * rest / step,7:F1}%"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"linear-batch / linear-fold = {best["linear-batch"] / best["linear-fold"]:F3}"));
        return 0;
    }

    private static double Once(Action step)
    {
        using var _ = Tensor.Scope();
        long t0 = Stopwatch.GetTimestamp();
        step();
        return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }

    /// <summary>Forward, input gradient and weight gradient of in_proj, out_proj, linear1 and linear2 on [rows, E].</summary>
    private static Action Gemms(Tensor x2, int rows, int e, int ff)
    {
        var shapes = new[] { (e, 3 * e), (e, e), (e, ff), (ff, e) };   // (in, out)
        var ws = shapes.Select(s => Tensor.Randn(s.Item2, s.Item1).Keep()).ToArray();
        var xs = shapes.Select(s => Tensor.Randn(rows, s.Item1).Keep()).ToArray();
        var dys = shapes.Select(s => Tensor.Randn(rows, s.Item2).Keep()).ToArray();
        return () =>
        {
            using var _ = Tensor.NoGrad();
            for (int i = 0; i < ws.Length; i++)
            {
                xs[i].Matmul(ws[i].T);           // y = x W^T
                dys[i].Matmul(ws[i]);            // dx = dy W
                dys[i].T.Matmul(xs[i]);          // dW = dy^T x (the transposed form Matmul's backward takes for W^T)
            }
        };
    }

    private static Action Attention(int b, int l, int d)
    {
        var q = Tensor.Randn(b, l, d).RequiresGrad_(); var k = Tensor.Randn(b, l, d).RequiresGrad_(); var v = Tensor.Randn(b, l, d).RequiresGrad_();
        return () => { q.ZeroGrad(); k.ZeroGrad(); v.ZeroGrad(); F.ScaledDotProductAttention(q, k, v).Sum().Backward(); };
    }

    private static Action Norms(int n, int l, int e)
    {
        var norm = new LayerNorm(e);
        var x = Tensor.Randn(n, l, e).RequiresGrad_(); var g = Tensor.Randn(n, l, e).Keep();
        return () => { for (int i = 0; i < 2; i++) { x.ZeroGrad(); norm.ZeroGrad(); norm.Forward(x).Backward(g); } };
    }

    private static Action Heads(int n, int l, int h, int d)
    {
        var qkv = Tensor.Randn(n, l, 3 * h * d).Keep();
        var o = Tensor.Randn(n, h, l, d).Keep();
        return () =>
        {
            var p = qkv.View(n, l, 3, h, d).Permute(2, 0, 3, 1, 4);
            for (int i = 0; i < 3; i++) p.Select(0, i).Contiguous();
            o.Transpose(1, 2).Contiguous().View(n, l, h * d);
        };
    }

    private static Action Bias(int rows, int e, int ff)
    {
        var outs = new[] { 3 * e, e, ff, e };
        var ys = outs.Select(c => Tensor.Randn(rows, c).RequiresGrad_()).ToArray();
        var bs = outs.Select(c => Tensor.Randn(c).RequiresGrad_()).ToArray();
        var gs = outs.Select(c => Tensor.Randn(rows, c).Keep()).ToArray();
        return () =>
        {
            for (int i = 0; i < outs.Length; i++) { ys[i].ZeroGrad(); bs[i].ZeroGrad(); ys[i].Add(bs[i]).Backward(gs[i]); }
        };
    }

    private static Action Linear(int n, int l, int inF, int outF, bool batched)
    {
        var w = Tensor.Randn(outF, inF).RequiresGrad_(); var b = Tensor.Randn(outF).RequiresGrad_();
        var x = Tensor.Randn(n, l, inF).RequiresGrad_(); var g = Tensor.Randn(n, l, outF).Keep();
        return () =>
        {
            x.ZeroGrad(); w.ZeroGrad(); b.ZeroGrad();
            var y = batched ? x.Matmul(w.T.Expand(n, inF, outF)) : x.Matmul(w.T);
            y.Add(b).Backward(g);
        };
    }
}
