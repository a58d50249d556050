using Engine.Tests.TestUtil;

namespace Engine.Text.Tests;

/// <summary>The fused FlashAttention kernel against the composed reference: outputs and gradients, masks, causal, broadcasting, every SIMD width.</summary>
public class FusedAttentionTests
{
    public static TheoryData<SimdLevel, int, int, int, int, string> Cases()
    {
        var d = new TheoryData<SimdLevel, int, int, int, int, string>();
        foreach (var level in CpuSettings.SupportedLevels)
            foreach (var (L, S, D, Dv) in new[] { (1, 1, 4, 4), (70, 130, 20, 12), (129, 65, 16, 16) })
                foreach (var mask in new[] { "none", "padding", "full", "causal", "padding+causal" })
                    d.Add(level, L, S, D, Dv, mask);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedMatchesNaive(SimdLevel level, int L, int S, int D, int Dv, string maskKind)
    {
        using var _ = CpuSettings.UseSimd(level);
        using var scope = Tensor.Scope();
        var gen = new Generator(L * 1000 + S);
        var qd = Tensor.Randn(new Shape([2, 3, L, D]), gen); var kd = Tensor.Randn(new Shape([2, 3, S, D]), gen); var vd = Tensor.Randn(new Shape([2, 3, S, Dv]), gen);
        Tensor? mask = null;
        if (maskKind.Contains("padding"))
        {
            var m = new float[2 * S];
            for (int j = S / 2 + 1; j < S; j++) m[S + j] = float.NegativeInfinity;   // batch 1 pads its second half; key 0 always stays
            mask = Tensor.FromArray(m, 2, 1, 1, S);
        }
        if (maskKind == "full") mask = Tensor.Randn(new Shape([L, S]), gen);
        bool causal = maskKind.Contains("causal");
        var up = Tensor.Randn(new Shape([2, 3, L, Dv]), gen);

        var (yf, gf) = Run(qd, kd, vd, mask, causal, up, fused: true);
        var (yn, gn) = Run(qd, kd, vd, mask, causal, up, fused: false);
        Approx.Equal(yn, yf, 1e-4, 1e-5, "output");
        for (int i = 0; i < 3; i++) Approx.Equal(gn[i], gf[i], 1e-4, 1e-4, $"gradient of {"qkv"[i]}");
    }

    private static (float[] Y, float[][] Grads) Run(Tensor qd, Tensor kd, Tensor vd, Tensor? mask, bool causal, Tensor up, bool fused)
    {
        var (q, k, v) = (qd.Detach().RequiresGrad_(), kd.Detach().RequiresGrad_(), vd.Detach().RequiresGrad_());
        var y = fused ? F.ScaledDotProductAttention(q, k, v, mask, isCausal: causal) : F.ScaledDotProductAttentionNaive(q, k, v, mask, isCausal: causal);
        y.Backward(up);
        return (y.ToArray(), [q.Grad!.ToArray(), k.Grad!.ToArray(), v.Grad!.ToArray()]);
    }

    [Fact]
    public void BroadcastKeysAcrossTheBatchSumTheirGradients()
    {
        using var scope = Tensor.Scope();
        var gen = new Generator(5);
        var qd = Tensor.Randn(new Shape([2, 3, 7, 8]), gen); var kd = Tensor.Randn(new Shape([3, 9, 8]), gen); var vd = Tensor.Randn(new Shape([1, 9, 5]), gen);
        var up = Tensor.Randn(new Shape([2, 3, 7, 5]), gen);
        var (yf, gf) = Run(qd, kd, vd, null, false, up, fused: true);
        var (yn, gn) = Run(qd, kd, vd, null, false, up, fused: false);
        Approx.Equal(yn, yf, 1e-4, 1e-5, "output");
        Assert.Equal(3 * 9 * 8, gf[1].Length); Assert.Equal(9 * 5, gf[2].Length);
        for (int i = 0; i < 3; i++) Approx.Equal(gn[i], gf[i], 1e-4, 1e-4, $"gradient of {"qkv"[i]}");
    }

    [Fact]
    public void ARowWithEveryKeyMaskedIsNaNInBothAsPyTorch()
    {
        using var scope = Tensor.Scope();
        var q = Tensor.Randn(1, 2, 4); var k = Tensor.Randn(1, 3, 4); var v = Tensor.Randn(1, 3, 4);
        var mask = Tensor.FromArray([0f, 0f, 0f, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity], 2, 3);
        var f = F.ScaledDotProductAttention(q, k, v, mask).ToArray();
        var n = F.ScaledDotProductAttentionNaive(q, k, v, mask).ToArray();
        Assert.All(f[..4], x => Assert.False(float.IsNaN(x)));
        Assert.All(f[4..], x => Assert.True(float.IsNaN(x)));
        Approx.Equal(n, f, 1e-5, 1e-6, "output");
    }

    [Fact]
    public void FusedGradientsPassFiniteDifferences()
    {
        var mask = Tensor.FromArray([0f, -1f, float.NegativeInfinity, 0.5f, 0f, 0f], 2, 3).Keep();
        GradCheck.Check(t => F.ScaledDotProductAttention(t[0], t[1], t[2], mask, isCausal: true),
            [([2, 2, 4], GradCheck.Values(16, seed: 1)), ([2, 3, 4], GradCheck.Values(24, seed: 2)), ([2, 3, 3], GradCheck.Values(18, seed: 3))],
            what: "fused attention");
    }

    [Fact]
    public void IntMaskIsPyTorch2sBooleanTrueTakesPart()
    {
        using var scope = Tensor.Scope();
        var q = Tensor.Randn(1, 2, 4); var k = Tensor.Randn(1, 3, 4); var v = Tensor.Randn(1, 3, 4);
        var keep = Tensor.FromArray([1, 1, 0, 1, 0, 1], 2, 3);
        var add = Tensor.FromArray([0f, 0f, float.NegativeInfinity, 0f, float.NegativeInfinity, 0f], 2, 3);
        Approx.Equal(F.ScaledDotProductAttention(q, k, v, add).ToArray(), F.ScaledDotProductAttention(q, k, v, keep).ToArray(), 0, 0, "output");
    }
}
