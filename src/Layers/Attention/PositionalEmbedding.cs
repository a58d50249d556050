namespace Engine;

/// <summary>
/// Fixed sinusoidal positions ("Attention is all you need"): pe[t, 2i] = sin(t / 10000^(2i/E)), pe[t, 2i+1] = cos(same).
/// Forward adds pe to x [N, T, E] (batchFirst) or [T, N, E]; the table [maxLen, E] is a buffer named <c>pe</c>
/// (kept out of the state dict's learned weights, but saved like any buffer).
/// </summary>
public sealed class SinusoidalPositionalEmbedding : Module
{
    public int EmbedDim { get; }
    public int MaxLen { get; }
    public bool BatchFirst { get; }
    public Tensor Pe { get; }

    public SinusoidalPositionalEmbedding(int embedDim, int maxLen = 5000, bool batchFirst = true)
    {
        if (embedDim <= 0 || maxLen <= 0) throw new ArgumentOutOfRangeException(nameof(embedDim), $"SinusoidalPositionalEmbedding({embedDim}, {maxLen}): sizes must be positive");
        (EmbedDim, MaxLen, BatchFirst) = (embedDim, maxLen, batchFirst);
        Pe = RegisterBuffer("pe", Tensor.FromArray(Table(maxLen, embedDim), maxLen, embedDim));
    }

    /// <summary>The table [T, E] in float64 math rounded once.</summary>
    public static float[] Table(int T, int E)
    {
        var pe = new float[T * E];
        for (int t = 0; t < T; t++)
            for (int i = 0; i < E; i += 2)
            {
                double a = t * Math.Exp(-Math.Log(10000.0) * i / E);
                pe[t * E + i] = (float)Math.Sin(a);
                if (i + 1 < E) pe[t * E + i + 1] = (float)Math.Cos(a);
            }
        return pe;
    }

    public override Tensor Forward(Tensor x)
    {
        int T = PositionalParts.CheckInput(x, EmbedDim, MaxLen, BatchFirst, "SinusoidalPositionalEmbedding");
        var pe = Pe.Narrow(0, 0, T);
        return x.Add(BatchFirst ? pe : pe.Unsqueeze(1));
    }

    public override string ExtraRepr() => $"embedDim={EmbedDim}, maxLen={MaxLen}, batchFirst={BatchFirst}";
}

/// <summary>
/// Learned absolute positions (BERT's, GPT's): a parameter <c>weight</c> [maxLen, E], init N(0, 0.02); Forward adds
/// weight[0..T) to x [N, T, E] (batchFirst) or [T, N, E].
/// </summary>
public sealed class LearnedPositionalEmbedding : Module
{
    public int EmbedDim { get; }
    public int MaxLen { get; }
    public bool BatchFirst { get; }
    public Tensor Weight { get; }

    public LearnedPositionalEmbedding(int maxLen, int embedDim, bool batchFirst = true)
    {
        if (embedDim <= 0 || maxLen <= 0) throw new ArgumentOutOfRangeException(nameof(embedDim), $"LearnedPositionalEmbedding({maxLen}, {embedDim}): sizes must be positive");
        (EmbedDim, MaxLen, BatchFirst) = (embedDim, maxLen, batchFirst);
        Weight = RegisterParameter("weight", Tensor.Zeros(maxLen, embedDim));
        Init.Normal(Weight, 0, 0.02);
    }

    public override Tensor Forward(Tensor x)
    {
        int T = PositionalParts.CheckInput(x, EmbedDim, MaxLen, BatchFirst, "LearnedPositionalEmbedding");
        var pe = Weight.Narrow(0, 0, T);
        return x.Add(BatchFirst ? pe : pe.Unsqueeze(1));
    }

    public override string ExtraRepr() => $"maxLen={MaxLen}, embedDim={EmbedDim}, batchFirst={BatchFirst}";
}

internal static class PositionalParts
{
    public static int CheckInput(Tensor x, int E, int maxLen, bool batchFirst, string who)
    {
        if (x.Rank != 3 || x.Shape[2] != E)
            throw new ShapeException($"{who}(embedDim {E}): input must be {(batchFirst ? "[N, T, E]" : "[T, N, E]")} with E = {E}, got {x.Shape}");
        int T = batchFirst ? x.Shape[1] : x.Shape[0];
        if (T > maxLen) throw new ShapeException($"{who}: sequence length {T} of input {x.Shape} exceeds maxLen {maxLen}");
        return T;
    }
}
