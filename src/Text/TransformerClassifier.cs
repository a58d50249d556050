namespace Engine.Text;

/// <summary>
/// A small transformer encoder for sequence classification, trained from scratch: token embedding * sqrt(d) +
/// sinusoidal positions, a <see cref="TransformerEncoder"/> (batch first, pre-norm), a final LayerNorm, mean over the
/// tokens, and a linear head. ids [N, T] Int32 to logits [N, numClasses]; it fits <c>Trainer</c> as any model.
/// </summary>
public sealed class TransformerClassifier : Module
{
    public int DModel { get; }
    public Embedding Embed { get; }
    public SinusoidalPositionalEmbedding Positions { get; }
    public TransformerEncoder Encoder { get; }
    public Linear Head { get; }

    public TransformerClassifier(int vocabSize, int numClasses, int dModel = 64, int nhead = 4, int numLayers = 2,
        int dimFeedforward = 128, int maxLen = 512, double dropout = 0.1)
    {
        DModel = dModel;
        Embed = RegisterModule("embed", new Embedding(vocabSize, dModel));
        using (Autograd.NoGrad()) Init.Normal(Embed.Weight, 0, 1 / Math.Sqrt(dModel));
        Positions = RegisterModule("positions", new SinusoidalPositionalEmbedding(dModel, maxLen));
        var layer = new TransformerEncoderLayer(dModel, nhead, dimFeedforward, dropout, "gelu", batchFirst: true, normFirst: true);
        Encoder = RegisterModule("encoder", new TransformerEncoder(layer, numLayers, new LayerNorm(dModel)));
        Head = RegisterModule("head", new Linear(dModel, numClasses));
    }

    public override Tensor Forward(Tensor ids)
    {
        if (ids.Rank != 2 || ids.DType != DType.Int32) throw new ShapeException($"TransformerClassifier: ids must be Int32 [N, T], got {ids.DType} {ids.Shape}");
        var x = Positions.Forward(Embed.Forward(ids).Mul(MathF.Sqrt(DModel)));
        return Head.Forward(Encoder.Forward(x).Mean(1));
    }
}
