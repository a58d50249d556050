namespace Engine;

/// <summary>
/// Multi-head attention, <c>torch.nn.MultiheadAttention</c> with its state-dict keys: <c>in_proj_weight</c> [3E, E]
/// (q, k, v stacked), <c>in_proj_bias</c> [3E], <c>out_proj.weight</c> [E, E], <c>out_proj.bias</c> [E].
/// </summary>
/// <remarks>
/// Shapes (N batch, L target, S source, E embedDim, H heads, D = E / H): query [L, N, E], key and value [S, N, E]
/// ([N, L, E] and [N, S, E] with batchFirst; unbatched [L, E] also works). out = concat_h(softmax(q_h k_h^T / sqrt D
/// + mask) v_h) W_o^T + b_o, with q = query W_q^T + b_q (rows 0..E of in_proj), k, v likewise.
/// Masks as PyTorch's: <c>attnMask</c> [L, S] or [N*H, L, S], <c>keyPaddingMask</c> [N, S]; Float32 masks are added to
/// the scores, Int32 masks are boolean with nonzero = not allowed (PyTorch's True).
/// Init as PyTorch: xavier_uniform in_proj_weight, zero biases, out_proj as a Linear.
/// </remarks>
public sealed class MultiheadAttention : Module
{
    public int EmbedDim { get; }
    public int NumHeads { get; }
    public int HeadDim { get; }
    public double DropoutP { get; }
    public bool BatchFirst { get; }
    public Tensor InProjWeight { get; }
    public Tensor? InProjBias { get; }
    public Linear OutProj { get; }

    public MultiheadAttention(int embedDim, int numHeads, double dropout = 0.0, bool bias = true, bool batchFirst = false)
    {
        if (embedDim <= 0 || numHeads <= 0) throw new ArgumentOutOfRangeException(nameof(embedDim), $"MultiheadAttention({embedDim}, {numHeads}): sizes must be positive");
        if (embedDim % numHeads != 0) throw new ArgumentException($"MultiheadAttention: embedDim {embedDim} must be divisible by numHeads {numHeads}");
        if (dropout < 0 || dropout > 1) throw new ArgumentOutOfRangeException(nameof(dropout), $"MultiheadAttention: dropout must be in [0, 1], got {dropout}");
        (EmbedDim, NumHeads, HeadDim, DropoutP, BatchFirst) = (embedDim, numHeads, embedDim / numHeads, dropout, batchFirst);
        InProjWeight = RegisterParameter("in_proj_weight", Tensor.Zeros(3 * embedDim, embedDim));
        InProjBias = bias ? RegisterParameter("in_proj_bias", Tensor.Zeros(3 * embedDim)) : null;
        OutProj = RegisterModule("out_proj", new Linear(embedDim, embedDim, bias));
        Init.XavierUniform(InProjWeight);
        if (bias) using (Autograd.NoGrad()) OutProj.Bias!.Fill_(0f);
    }

    /// <summary>Self-attention: <c>Forward(x, x, x)</c>, without the weights.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, input, input, needWeights: false).Output;

    /// <summary>
    /// Attention of query over key/value. Returns the output (query's layout) and, with needWeights, the attention
    /// weights [N, L, S] averaged over heads (averageAttnWeights) or [N, H, L, S]; null without needWeights.
    /// </summary>
    public (Tensor Output, Tensor? Weights) Forward(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask = null,
        bool needWeights = true, Tensor? attnMask = null, bool averageAttnWeights = true, bool isCausal = false)
    {
        bool unbatched = query.Rank == 2;
        if (query.Rank != 3 && !unbatched) throw new ShapeException($"MultiheadAttention: query must be [L, N, E], [N, L, E] (batchFirst) or [L, E], got {query.Shape}");
        if (key.Rank != query.Rank || value.Rank != query.Rank)
            throw new ShapeException($"MultiheadAttention: query {query.Shape}, key {key.Shape} and value {value.Shape} must have the same rank");
        // Work batch first: q [N, L, E], k and v [N, S, E].
        Tensor q = unbatched ? query.Unsqueeze(0) : BatchFirst ? query : query.Transpose(0, 1);
        Tensor k = unbatched ? key.Unsqueeze(0) : BatchFirst ? key : key.Transpose(0, 1);
        Tensor v = unbatched ? value.Unsqueeze(0) : BatchFirst ? value : value.Transpose(0, 1);
        int N = q.Shape[0], L = q.Shape[1], S = k.Shape[1], E = EmbedDim, H = NumHeads, D = HeadDim;
        if (q.Shape[2] != E || k.Shape[2] != E || v.Shape[2] != E)
            throw new ShapeException($"MultiheadAttention(embedDim {E}): query {query.Shape}, key {key.Shape} and value {value.Shape} must all end in {E}");
        if (k.Shape[0] != N || v.Shape[0] != N) throw new ShapeException($"MultiheadAttention: query {query.Shape}, key {key.Shape} and value {value.Shape} have different batch sizes");
        if (v.Shape[1] != S) throw new ShapeException($"MultiheadAttention: key {key.Shape} and value {value.Shape} must have the same source length");

        var mask = CombineMasks(keyPaddingMask, attnMask, N, L, S, unbatched);
        Tensor qh, kh, vh;
        if (ReferenceEquals(query, key) && ReferenceEquals(key, value))
        {
            // Self-attention: one GEMM with all of in_proj_weight, [N, L, 3E] -> [3, N, H, L, D] (as PyTorch does).
            var qkv = F.Linear(q, InProjWeight, InProjBias).View(N, L, 3, H, D).Permute(2, 0, 3, 1, 4);
            (qh, kh, vh) = (qkv.Select(0, 0).Contiguous(), qkv.Select(0, 1).Contiguous(), qkv.Select(0, 2).Contiguous());
        }
        else
        {
            qh = Heads(Project(q, 0), N, L);
            kh = Heads(Project(k, 1), N, S);
            vh = Heads(Project(v, 2), N, S);
        }
        double p = Training ? DropoutP : 0;
        Tensor o; Tensor? w = null;
        if (needWeights)
            (o, w) = F.AttentionNaive(qh, kh, vh, mask, p, isCausal, (float)(1 / Math.Sqrt(D)), null);
        else
            o = F.ScaledDotProductAttention(qh, kh, vh, mask, p, isCausal);
        // [N, H, L, D] -> [N, L, E] -> out_proj
        var y = OutProj.Forward(o.Transpose(1, 2).Contiguous().View(N, L, E));
        if (w != null && averageAttnWeights) w = w.Mean(1);
        if (unbatched) { y = y.Squeeze(0); if (w != null) w = w.Squeeze(0); }
        else if (!BatchFirst) y = y.Transpose(0, 1);
        return (y, w);
    }

    /// <summary>x [N, T, E] W_i^T + b_i, with W_i rows i E..(i+1) E of in_proj_weight (i = 0 q, 1 k, 2 v).</summary>
    private Tensor Project(Tensor x, int i)
    {
        var w = InProjWeight.Narrow(0, i * EmbedDim, EmbedDim);
        var b = InProjBias?.Narrow(0, i * EmbedDim, EmbedDim);
        return F.Linear(x, w, b);
    }

    /// <summary>[N, T, E] to [N, H, T, D], contiguous.</summary>
    private Tensor Heads(Tensor x, int N, int T) => x.Contiguous().View(N, T, NumHeads, HeadDim).Transpose(1, 2).Contiguous();

    /// <summary>Both masks as one additive Float32 mask broadcastable to [N, H, L, S] (null when neither is given).</summary>
    private Tensor? CombineMasks(Tensor? keyPaddingMask, Tensor? attnMask, int N, int L, int S, bool unbatched)
    {
        int H = NumHeads;
        Tensor? m = null;
        if (attnMask != null)
        {
            var a = AttentionShapes.ToAdditive(attnMask, takePartIsNonzero: false, "MultiheadAttention: attnMask");
            if (a.Rank == 2 && a.Shape[0] == L && a.Shape[1] == S) m = a.View(1, 1, L, S);
            else if (a.Rank == 3 && a.Shape[0] == N * H && a.Shape[1] == L && a.Shape[2] == S) m = a.Contiguous().View(N, H, L, S);
            else throw new ShapeException($"MultiheadAttention: attnMask {attnMask.Shape} must be [L, S] = [{L}, {S}] or [N*H, L, S] = [{N * H}, {L}, {S}]");
        }
        if (keyPaddingMask != null)
        {
            var kp = AttentionShapes.ToAdditive(keyPaddingMask, takePartIsNonzero: false, "MultiheadAttention: keyPaddingMask");
            bool ok = unbatched ? kp.Rank == 1 && kp.Shape[0] == S : kp.Rank == 2 && kp.Shape[0] == N && kp.Shape[1] == S;
            if (!ok) throw new ShapeException($"MultiheadAttention: keyPaddingMask {keyPaddingMask.Shape} must be [N, S] = [{N}, {S}]" + (unbatched ? $" or [S] = [{S}] for an unbatched query" : ""));
            var k4 = kp.Contiguous().View(N, 1, 1, S);
            m = m == null ? k4 : m.Add(k4);
        }
        return m;
    }

    public override string ExtraRepr() => $"embedDim={EmbedDim}, numHeads={NumHeads}, dropout={DropoutP}, batchFirst={BatchFirst}";
}
