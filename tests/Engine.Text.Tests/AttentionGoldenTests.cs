namespace Engine.Text.Tests;

/// <summary>The attention layers against PyTorch 1.13 (fixtures/attention/gen_attention.py): outputs, input and parameter gradients within 1e-4.</summary>
public class AttentionGoldenTests
{
    private static Golden Load(string name) => new($"attention/{name}.safetensors");

    [Fact]
    public void MultiheadCrossAttentionWithBothMasksMatchesTorch()
    {
        using var g = Load("mha_cross");
        var m = new MultiheadAttention(8, 2);
        m.LoadStateDict(g.Params());
        var (q, k, v) = (g.In("query", true), g.In("key", true), g.In("value", true));
        var (y, w) = m.Forward(q, k, v, keyPaddingMask: g.In("mask_kpm"), attnMask: g.In("mask_attn"));
        g.Check("out.out", y); g.Check("out.weights", w!);
        g.Backward(("out", y), ("weights", w!));
        g.Check("grad.in.query", q.Grad!); g.Check("grad.in.key", k.Grad!); g.Check("grad.in.value", v.Grad!);
        g.CheckParamGrads(m);
    }

    [Fact]
    public void MultiheadSelfAttentionBatchFirstPerHeadBoolMaskMatchesTorch()
    {
        using var g = Load("mha_self_bf");
        var m = new MultiheadAttention(8, 2, batchFirst: true);
        m.LoadStateDict(g.Params());
        var x = g.In("x", true);
        var (y, w) = m.Forward(x, x, x, attnMask: g.In("mask_attn"), averageAttnWeights: false);
        g.Check("out.out", y); g.Check("out.weights", w!);
        g.Backward(("out", y), ("weights", w!));
        g.Check("grad.in.x", x.Grad!);
        g.CheckParamGrads(m);
    }

    [Fact]
    public void MultiheadAttentionWithoutBiasFusedPathMatchesTorch()
    {
        using var g = Load("mha_nobias");
        var m = new MultiheadAttention(8, 4, bias: false, batchFirst: true);
        m.LoadStateDict(g.Params());
        var x = g.In("x", true);
        var (y, w) = m.Forward(x, x, x, needWeights: false);
        Assert.Null(w);
        g.Check("out.out", y);
        g.Backward(("out", y));
        g.Check("grad.in.x", x.Grad!);
        g.CheckParamGrads(m);
    }

    [Fact]
    public void EncoderLayerPostNormWithPaddingMatchesTorch()
    {
        using var g = Load("enc_layer_post");
        var m = new TransformerEncoderLayer(8, 2, dimFeedforward: 16, dropout: 0);
        m.LoadStateDict(g.Params());
        var x = g.In("x", true);
        var y = m.Forward(x, null, g.In("mask_kpm"));
        g.Check("out.out", y);
        g.Backward(("out", y));
        g.Check("grad.in.x", x.Grad!);
        g.CheckParamGrads(m);
    }

    [Fact]
    public void EncoderStackPreNormGeluCausalMatchesTorch()
    {
        using var g = Load("encoder_pre_gelu");
        var layer = new TransformerEncoderLayer(8, 2, dimFeedforward: 16, dropout: 0, activation: "gelu", batchFirst: true, normFirst: true);
        var m = new TransformerEncoder(layer, 2, new LayerNorm(8));
        m.LoadStateDict(g.Params());   // strict: layers.0.*, layers.1.*, norm.*
        var x = g.In("x", true);
        var y = m.Forward(x, g.In("mask_attn"), null);
        g.Check("out.out", y);
        g.Backward(("out", y));
        g.Check("grad.in.x", x.Grad!);
        g.CheckParamGrads(m);
    }

    [Fact]
    public void DecoderStackPostNormMatchesTorch()
    {
        using var g = Load("decoder_post");
        var m = new TransformerDecoder(new TransformerDecoderLayer(8, 2, dimFeedforward: 16, dropout: 0), 2, new LayerNorm(8));
        m.LoadStateDict(g.Params());
        var (t, mem) = (g.In("tgt", true), g.In("memory", true));
        var y = m.Forward(t, mem, tgtMask: g.In("mask_tgt"), memoryKeyPaddingMask: g.In("mask_kpm"));
        g.Check("out.out", y);
        g.Backward(("out", y));
        g.Check("grad.in.tgt", t.Grad!); g.Check("grad.in.memory", mem.Grad!);
        g.CheckParamGrads(m);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ScaledDotProductAttentionCausalWithMaskMatchesTorch(bool fused)
    {
        using var g = Load("sdpa_causal_mask");
        var (q, k, v) = (g.In("q", true), g.In("k", true), g.In("v", true));
        var y = fused ? F.ScaledDotProductAttention(q, k, v, g.In("mask"), isCausal: true)
                      : F.ScaledDotProductAttentionNaive(q, k, v, g.In("mask"), isCausal: true);
        g.Check("out.out", y);
        g.Backward(("out", y));
        g.Check("grad.in.q", q.Grad!); g.Check("grad.in.k", k.Grad!); g.Check("grad.in.v", v.Grad!);
    }
}
