using Engine.Kernels.Cpu;
using Xunit;

namespace Engine.Tests.Autograd;

/// <summary>
/// Tensor.LstmSequence (one node for a layer's recurrence) against its reference, the per-step graph it replaces
/// (Matmul + add + LstmCell per step, gradients summed by Backprop), at every SIMD width: the forward runs the same
/// kernels in the same order (bit-equal); the gradients differ only in the order W_hh's sum is taken (one GEMM over
/// all steps against T products summed), so they agree to float rounding.
/// </summary>
public class LstmSequenceTests
{
    private static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    private static Tensor Leaf(int seed, float scale, params int[] shape) =>
        Tensor.FromArray(Random(shape.Aggregate(1, (a, b) => a * b), seed).Select(v => v * scale).ToArray(), shape).RequiresGrad_();

    /// <summary>(hs, cN, dxg, dwhh, dh0, dc0) from loss = sum(hs * u) + sum(cN * v), fused or per step.</summary>
    private static float[][] Run(bool fused, int T, int B, int H, bool useC)
    {
        var xg = Leaf(1, 1.5f, T, B, 4 * H); var whh = Leaf(2, 0.3f, 4 * H, H);
        var h0 = Leaf(3, 0.5f, B, H); var c0 = Leaf(4, 0.5f, B, H);
        var u = Tensor.FromArray(Random(T * B * H, 5), T, B, H); var v = Tensor.FromArray(Random(B * H, 6), B, H);
        Tensor hs, cN;
        if (fused) (hs, cN) = Tensor.LstmSequence(xg, whh, h0, c0);
        else
        {
            Tensor h = h0, c = c0; var outs = new List<Tensor>();
            for (int t = 0; t < T; t++)
            {
                (h, c) = Tensor.LstmCell(xg.Select(0, t) + h.Matmul(whh.T), c);
                outs.Add(h);
            }
            (hs, cN) = (Tensor.Stack(outs), c);
        }
        var loss = (hs * u).Sum();
        if (useC) loss = loss + (cN * v).Sum();
        loss.Backward();
        return [hs.ToArray(), cN.ToArray(), xg.Grad!.ToArray(), whh.Grad!.ToArray(), h0.Grad!.ToArray(), c0.Grad!.ToArray()];
    }

    [Theory]
    [InlineData(5, 3, 37, true)]    // H not a multiple of any width: the cells' partial vectors
    [InlineData(4, 2, 16, false)]   // no gradient into cN: the last step's dc is absent
    [InlineData(1, 2, 8, true)]     // one step: W_hh's gradient is dg_0^T h0 alone
    public void MatchesThePerStepGraphAtEveryWidth(int T, int B, int H, bool useC)
    {
        foreach (var level in CpuSettings.SupportedLevels)
            using (CpuSettings.UseSimd(level))
            {
                var want = Run(fused: false, T, B, H, useC);
                var got = Run(fused: true, T, B, H, useC);
                string[] names = ["hs", "cN", "dxg", "dwhh", "dh0", "dc0"];
                for (int o = 0; o < 2; o++)
                    Assert.True(want[o].AsSpan().SequenceEqual(got[o]), $"{names[o]} at {level}: the forward must equal the per-step graph bit for bit");
                for (int o = 2; o < want.Length; o++)
                {
                    Assert.Equal(want[o].Length, got[o].Length);
                    double scale = want[o].Max(x => Math.Abs((double)x)) + 1e-6;
                    for (int i = 0; i < want[o].Length; i++)
                        Assert.True(Math.Abs(want[o][i] - got[o][i]) <= 1e-5 * scale,
                            $"{names[o]}[{i}] at {level}: fused {got[o][i]:G9}, per step {want[o][i]:G9}");
                }
            }
    }

    [Fact]
    public void BadShapesNameTheOperands()
    {
        var ex = Assert.Throws<ShapeException>(() => Tensor.LstmSequence(Tensor.Zeros(3, 2, 12), Tensor.Zeros(16, 4), Tensor.Zeros(2, 4), Tensor.Zeros(2, 4)));
        Assert.Contains("xg", ex.Message);
        ex = Assert.Throws<ShapeException>(() => Tensor.LstmSequence(Tensor.Zeros(3, 2, 16), Tensor.Zeros(16, 4), Tensor.Zeros(3, 4), Tensor.Zeros(2, 4)));
        Assert.Contains("h0", ex.Message);
    }
}
