using Engine.Tests.TestUtil;

namespace Engine.Text.Tests;

/// <summary>Finite-difference gradients of the layers, the shapes they take, and the errors for bad arguments.</summary>
[Collection(GlobalGeneratorCollection.Name)]
public class AttentionLayerTests
{
    [Fact]
    public void MultiheadAttentionGradientsPassFiniteDifferences()
    {
        Seed.Everything(3);
        var m = new MultiheadAttention(4, 2);
        var kpm = Tensor.FromArray([0, 0, 1, 0, 0, 0], 2, 3).Keep();
        GradCheck.Check(t => m.Forward(t[0], t[1], t[2], kpm, needWeights: false).Output,
            [([2, 2, 4], GradCheck.Values(16, seed: 4)), ([3, 2, 4], GradCheck.Values(24, seed: 5)), ([3, 2, 4], GradCheck.Values(24, seed: 6))],
            what: "MultiheadAttention");
    }

    [Fact]
    public void EncoderLayerGradientsPassFiniteDifferences()
    {
        Seed.Everything(4);
        var m = new TransformerEncoderLayer(4, 2, dimFeedforward: 6, dropout: 0, batchFirst: true, activation: "gelu");
        GradCheck.Check(t => m.Forward(t[0], AttentionMask.SquareSubsequent(3), null), [([2, 3, 4], GradCheck.Values(24, seed: 7))],
            what: "TransformerEncoderLayer", rtol: 2e-2, atol: 5e-3);
    }

    [Fact]
    public void StateDictKeysAreTorchs()
    {
        var enc = new TransformerEncoder(new TransformerEncoderLayer(8, 2, 16), 2, new LayerNorm(8));
        var keys = enc.StateDict().Keys.ToHashSet();
        foreach (var k in new[] { "layers.0.self_attn.in_proj_weight", "layers.0.self_attn.in_proj_bias", "layers.1.self_attn.out_proj.weight",
                     "layers.1.self_attn.out_proj.bias", "layers.1.linear1.weight", "layers.0.linear2.bias", "layers.0.norm1.weight", "layers.1.norm2.bias", "norm.weight" })
            Assert.Contains(k, keys);
        var dec = new TransformerDecoderLayer(8, 2, 16);
        Assert.Contains("multihead_attn.in_proj_weight", dec.StateDict().Keys);
        Assert.Contains("norm3.bias", dec.StateDict().Keys);
        // layers start as copies, as PyTorch's deepcopy
        Approx.Same(enc.Layers[0].Linear1.Weight, enc.Layers[1].Linear1.Weight);
    }

    [Fact]
    public void BatchFirstAndSequenceFirstAgreeAndUnbatchedWorks()
    {
        Seed.Everything(5);
        var a = new MultiheadAttention(8, 2); var b = new MultiheadAttention(8, 2, batchFirst: true);
        b.LoadStateDict(a.StateDict());
        var x = Tensor.Randn(3, 2, 8);
        var (ya, wa) = a.Forward(x, x, x);
        var (yb, wb) = b.Forward(x.Transpose(0, 1), x.Transpose(0, 1), x.Transpose(0, 1));
        Approx.Equal(ya.Transpose(0, 1).Contiguous().ToArray(), yb.ToArray(), 1e-6, 1e-6, "output");
        Approx.Equal(wa!.ToArray(), wb!.ToArray(), 1e-6, 1e-6, "weights");
        var (yu, _) = a.Forward(x.Select(1, 0), x.Select(1, 0), x.Select(1, 0));
        Approx.Equal(ya.Select(1, 0).Contiguous().ToArray(), yu.ToArray(), 1e-6, 1e-6, "unbatched");
    }

    [Fact]
    public void PositionalEmbeddingsAddTheirTable()
    {
        var pe = new SinusoidalPositionalEmbedding(6, maxLen: 10);
        var y = pe.Forward(Tensor.Zeros(2, 4, 6)).ToArray();
        Assert.Equal(0f, y[0]); Assert.Equal(1f, y[1]);                        // t = 0: sin 0, cos 0
        Assert.Equal(MathF.Sin(3f), y[3 * 6], 5);                              // t = 3, i = 0
        Assert.Equal(MathF.Cos(3f / MathF.Pow(10000f, 2f / 6)), y[3 * 6 + 3], 5);
        Assert.Empty(pe.Parameters());
        var lp = new LearnedPositionalEmbedding(10, 6, batchFirst: false);
        var z = lp.Forward(Tensor.Zeros(4, 2, 6));
        Approx.Equal(lp.Weight.Narrow(0, 2, 1).ToArray(), z.Select(0, 2).Select(0, 1).Contiguous().ToArray(), 0, 0, "row 2");
        var e = Assert.Throws<ShapeException>(() => lp.Forward(Tensor.Zeros(11, 2, 6)));
        Assert.Contains("maxLen 10", e.Message);
    }

    [Fact]
    public void BadArgumentsNameTheShapes()
    {
        Assert.Contains("embedDim 10 must be divisible by numHeads 3", Assert.Throws<ArgumentException>(() => new MultiheadAttention(10, 3)).Message);
        var m = new MultiheadAttention(8, 2);
        var x = Tensor.Zeros(3, 2, 8);
        Assert.Contains("must all end in 8", Assert.Throws<ShapeException>(() => m.Forward(x, Tensor.Zeros(3, 2, 6), Tensor.Zeros(3, 2, 6))).Message);
        Assert.Contains("keyPaddingMask [2,4] must be [N, S] = [2, 3]", Assert.Throws<ShapeException>(() => m.Forward(x, x, x, keyPaddingMask: Tensor.Zeros(2, 4))).Message);
        Assert.Contains("attnMask [3,4] must be [L, S] = [3, 3]", Assert.Throws<ShapeException>(() => m.Forward(x, x, x, attnMask: Tensor.Zeros(3, 4))).Message);
        Assert.Contains("does not broadcast", Assert.Throws<ShapeException>(() => F.ScaledDotProductAttention(Tensor.Zeros(2, 3, 4), Tensor.Zeros(2, 5, 4), Tensor.Zeros(2, 5, 4), Tensor.Zeros(3, 4))).Message);
        Assert.Contains("same last dim", Assert.Throws<ShapeException>(() => F.ScaledDotProductAttention(Tensor.Zeros(2, 3, 4), Tensor.Zeros(2, 5, 3), Tensor.Zeros(2, 5, 4))).Message);
        Assert.Contains("activation must be", Assert.Throws<ArgumentException>(() => new TransformerEncoderLayer(8, 2, activation: "swish")).Message);
    }
}
