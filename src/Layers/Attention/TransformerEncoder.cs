namespace Engine;

/// <summary>
/// One encoder block, <c>torch.nn.TransformerEncoderLayer</c> with its keys <c>self_attn.*</c>, <c>linear1</c>,
/// <c>linear2</c>, <c>norm1</c>, <c>norm2</c>. x [L, N, E] ([N, L, E] with batchFirst).
/// Post-norm (default): x = norm1(x + drop(sa(x))); x = norm2(x + drop(ff(x))).
/// Pre-norm (normFirst): x = x + drop(sa(norm1(x))); x = x + drop(ff(norm2(x))).
/// ff(x) = linear2(drop(act(linear1(x)))), act "relu" or "gelu" (erf).
/// </summary>
public sealed class TransformerEncoderLayer : Module
{
    public int DModel { get; }
    public int NHead { get; }
    public int DimFeedforward { get; }
    public double DropoutP { get; }
    public string Activation { get; }
    public double LayerNormEps { get; }
    public bool BatchFirst { get; }
    public bool NormFirst { get; }

    public MultiheadAttention SelfAttn { get; }
    public Linear Linear1 { get; }
    public Linear Linear2 { get; }
    public LayerNorm Norm1 { get; }
    public LayerNorm Norm2 { get; }

    public TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1, string activation = "relu",
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false)
    {
        TransformerParts.CheckActivation(activation, "TransformerEncoderLayer");
        (DModel, NHead, DimFeedforward, DropoutP, Activation, LayerNormEps, BatchFirst, NormFirst) =
            (dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst);
        SelfAttn = RegisterModule("self_attn", new MultiheadAttention(dModel, nhead, dropout, bias: true, batchFirst));
        Linear1 = RegisterModule("linear1", new Linear(dModel, dimFeedforward));
        Linear2 = RegisterModule("linear2", new Linear(dimFeedforward, dModel));
        Norm1 = RegisterModule("norm1", new LayerNorm(dModel, layerNormEps));
        Norm2 = RegisterModule("norm2", new LayerNorm(dModel, layerNormEps));
    }

    /// <summary>A layer of the same configuration with a copy of this one's weights (what PyTorch's deepcopy makes).</summary>
    public TransformerEncoderLayer Clone()
    {
        var c = new TransformerEncoderLayer(DModel, NHead, DimFeedforward, DropoutP, Activation, LayerNormEps, BatchFirst, NormFirst);
        TransformerParts.CopyWeights(this, c);
        return c;
    }

    public override Tensor Forward(Tensor src) => Forward(src, null, null);

    /// <summary>src [L, N, E] or [N, L, E]; srcMask [L, L] or [N*H, L, L]; srcKeyPaddingMask [N, L] (see <see cref="MultiheadAttention"/>).</summary>
    public Tensor Forward(Tensor src, Tensor? srcMask, Tensor? srcKeyPaddingMask, bool isCausal = false)
    {
        var x = src;
        if (NormFirst)
        {
            x = x.Add(SaBlock(Norm1.Forward(x), srcMask, srcKeyPaddingMask, isCausal));
            x = x.Add(FfBlock(Norm2.Forward(x)));
        }
        else
        {
            x = Norm1.Forward(x.Add(SaBlock(x, srcMask, srcKeyPaddingMask, isCausal)));
            x = Norm2.Forward(x.Add(FfBlock(x)));
        }
        return x;
    }

    private Tensor SaBlock(Tensor x, Tensor? mask, Tensor? kpm, bool isCausal) =>
        Drop(SelfAttn.Forward(x, x, x, kpm, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    private Tensor FfBlock(Tensor x) => Drop(Linear2.Forward(Drop(TransformerParts.Activate(Linear1.Forward(x), Activation))));

    private Tensor Drop(Tensor x) => F.Dropout(x, DropoutP, Training);

    public override string ExtraRepr() => $"dModel={DModel}, nhead={NHead}, dimFeedforward={DimFeedforward}, dropout={DropoutP}, activation={Activation}, batchFirst={BatchFirst}, normFirst={NormFirst}";
}

/// <summary>
/// A stack of encoder layers, <c>torch.nn.TransformerEncoder</c>: keys <c>layers.N.*</c> and <c>norm.*</c> (when a
/// final norm is given). Like PyTorch, each layer starts as a copy of encoderLayer.
/// </summary>
public sealed class TransformerEncoder : Module
{
    public IReadOnlyList<TransformerEncoderLayer> Layers { get; }
    public LayerNorm? Norm { get; }

    public TransformerEncoder(TransformerEncoderLayer encoderLayer, int numLayers, LayerNorm? norm = null)
    {
        if (numLayers <= 0) throw new ArgumentOutOfRangeException(nameof(numLayers), $"TransformerEncoder: numLayers must be positive, got {numLayers}");
        var list = new ModuleList();
        var layers = new List<TransformerEncoderLayer>();
        for (int i = 0; i < numLayers; i++) { var l = encoderLayer.Clone(); list.Add(l); layers.Add(l); }
        RegisterModule("layers", list);
        Layers = layers;
        if (norm != null) Norm = RegisterModule("norm", norm);
    }

    public override Tensor Forward(Tensor src) => Forward(src, null, null);

    public Tensor Forward(Tensor src, Tensor? mask, Tensor? srcKeyPaddingMask, bool isCausal = false)
    {
        var x = src;
        foreach (var l in Layers) x = l.Forward(x, mask, srcKeyPaddingMask, isCausal);
        return Norm != null ? Norm.Forward(x) : x;
    }
}

internal static class TransformerParts
{
    public static void CheckActivation(string activation, string who)
    {
        if (activation != "relu" && activation != "gelu")
            throw new ArgumentException($"{who}: activation must be \"relu\" or \"gelu\", got \"{activation}\"");
    }

    public static Tensor Activate(Tensor x, string activation) => activation == "gelu" ? x.Gelu() : x.Relu();

    public static void CopyWeights(Module from, Module to)
    {
        var sd = from.StateDict();
        try { to.LoadStateDict(sd); }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }
}
