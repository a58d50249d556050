namespace Engine;

/// <summary>
/// One decoder block, <c>torch.nn.TransformerDecoderLayer</c> with keys <c>self_attn.*</c>, <c>multihead_attn.*</c>,
/// <c>linear1</c>, <c>linear2</c>, <c>norm1</c>..<c>norm3</c>. tgt [T, N, E], memory [S, N, E] (batch first with batchFirst).
/// Post-norm: x = norm1(x + sa(x)); x = norm2(x + mha(x, memory)); x = norm3(x + ff(x)); pre-norm (normFirst) puts
/// each norm on the branch's input instead.
/// </summary>
public sealed class TransformerDecoderLayer : Module
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
    public MultiheadAttention MultiheadAttn { get; }
    public Linear Linear1 { get; }
    public Linear Linear2 { get; }
    public LayerNorm Norm1 { get; }
    public LayerNorm Norm2 { get; }
    public LayerNorm Norm3 { get; }

    public TransformerDecoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1, string activation = "relu",
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false)
    {
        TransformerParts.CheckActivation(activation, "TransformerDecoderLayer");
        (DModel, NHead, DimFeedforward, DropoutP, Activation, LayerNormEps, BatchFirst, NormFirst) =
            (dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst);
        SelfAttn = RegisterModule("self_attn", new MultiheadAttention(dModel, nhead, dropout, bias: true, batchFirst));
        MultiheadAttn = RegisterModule("multihead_attn", new MultiheadAttention(dModel, nhead, dropout, bias: true, batchFirst));
        Linear1 = RegisterModule("linear1", new Linear(dModel, dimFeedforward));
        Linear2 = RegisterModule("linear2", new Linear(dimFeedforward, dModel));
        Norm1 = RegisterModule("norm1", new LayerNorm(dModel, layerNormEps));
        Norm2 = RegisterModule("norm2", new LayerNorm(dModel, layerNormEps));
        Norm3 = RegisterModule("norm3", new LayerNorm(dModel, layerNormEps));
    }

    /// <summary>A layer of the same configuration with a copy of this one's weights.</summary>
    public TransformerDecoderLayer Clone()
    {
        var c = new TransformerDecoderLayer(DModel, NHead, DimFeedforward, DropoutP, Activation, LayerNormEps, BatchFirst, NormFirst);
        TransformerParts.CopyWeights(this, c);
        return c;
    }

    /// <summary>
    /// tgt [T, N, E], memory [S, N, E]; tgtMask [T, T], memoryMask [T, S] (or per head [N*H, ...]);
    /// tgtKeyPaddingMask [N, T], memoryKeyPaddingMask [N, S].
    /// </summary>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null,
        Tensor? tgtKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false)
    {
        var x = tgt;
        if (NormFirst)
        {
            x = x.Add(SaBlock(Norm1.Forward(x), tgtMask, tgtKeyPaddingMask, tgtIsCausal));
            x = x.Add(MhaBlock(Norm2.Forward(x), memory, memoryMask, memoryKeyPaddingMask));
            x = x.Add(FfBlock(Norm3.Forward(x)));
        }
        else
        {
            x = Norm1.Forward(x.Add(SaBlock(x, tgtMask, tgtKeyPaddingMask, tgtIsCausal)));
            x = Norm2.Forward(x.Add(MhaBlock(x, memory, memoryMask, memoryKeyPaddingMask)));
            x = Norm3.Forward(x.Add(FfBlock(x)));
        }
        return x;
    }

    private Tensor SaBlock(Tensor x, Tensor? mask, Tensor? kpm, bool isCausal) =>
        Drop(SelfAttn.Forward(x, x, x, kpm, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    private Tensor MhaBlock(Tensor x, Tensor mem, Tensor? mask, Tensor? kpm) =>
        Drop(MultiheadAttn.Forward(x, mem, mem, kpm, needWeights: false, attnMask: mask).Output);

    private Tensor FfBlock(Tensor x) => Drop(Linear2.Forward(Drop(TransformerParts.Activate(Linear1.Forward(x), Activation))));

    private Tensor Drop(Tensor x) => F.Dropout(x, DropoutP, Training);

    public override string ExtraRepr() => $"dModel={DModel}, nhead={NHead}, dimFeedforward={DimFeedforward}, dropout={DropoutP}, activation={Activation}, batchFirst={BatchFirst}, normFirst={NormFirst}";
}

/// <summary>A stack of decoder layers, <c>torch.nn.TransformerDecoder</c>: keys <c>layers.N.*</c> and <c>norm.*</c>; each layer starts as a copy of decoderLayer.</summary>
public sealed class TransformerDecoder : Module
{
    public IReadOnlyList<TransformerDecoderLayer> Layers { get; }
    public LayerNorm? Norm { get; }

    public TransformerDecoder(TransformerDecoderLayer decoderLayer, int numLayers, LayerNorm? norm = null)
    {
        if (numLayers <= 0) throw new ArgumentOutOfRangeException(nameof(numLayers), $"TransformerDecoder: numLayers must be positive, got {numLayers}");
        var list = new ModuleList();
        var layers = new List<TransformerDecoderLayer>();
        for (int i = 0; i < numLayers; i++) { var l = decoderLayer.Clone(); list.Add(l); layers.Add(l); }
        RegisterModule("layers", list);
        Layers = layers;
        if (norm != null) Norm = RegisterModule("norm", norm);
    }

    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null,
        Tensor? tgtKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false)
    {
        var x = tgt;
        foreach (var l in Layers) x = l.Forward(x, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal);
        return Norm != null ? Norm.Forward(x) : x;
    }
}
