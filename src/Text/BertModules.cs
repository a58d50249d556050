namespace Engine.Text;

// The parts of a BERT under Hugging Face's module names (transformers' modeling_bert.py), so that the state-dict keys
// are theirs: embeddings.{word,position,token_type}_embeddings, embeddings.LayerNorm,
// encoder.layer.N.attention.self.{query,key,value}, .attention.output.{dense,LayerNorm}, .intermediate.dense,
// .output.{dense,LayerNorm}, pooler.dense. Shapes: N batch, T tokens, E hidden, H heads, D = E / H.

/// <summary>x = LayerNorm(word[ids] + position[pos] + token_type[types]), then dropout. ids, types [N, T] Int32 to [N, T, E].</summary>
public sealed class BertEmbeddings : Module
{
    private readonly BertConfig _c;
    public Embedding WordEmbeddings { get; }
    public Embedding PositionEmbeddings { get; }
    public Embedding TokenTypeEmbeddings { get; }
    public LayerNorm LayerNorm { get; }

    public BertEmbeddings(BertConfig c)
    {
        _c = c;
        WordEmbeddings = RegisterModule("word_embeddings", new Embedding(c.VocabSize, c.HiddenSize, c.PadTokenId));
        PositionEmbeddings = RegisterModule("position_embeddings", new Embedding(c.MaxPositionEmbeddings, c.HiddenSize));
        TokenTypeEmbeddings = RegisterModule("token_type_embeddings", new Embedding(c.TypeVocabSize, c.HiddenSize));
        LayerNorm = RegisterModule("LayerNorm", new LayerNorm(c.HiddenSize, c.LayerNormEps));
    }

    public Tensor Forward(Tensor inputIds, Tensor? tokenTypeIds)
    {
        int N = inputIds.Shape[0], T = inputIds.Shape[1];
        var ids = inputIds.ToIntArray();
        for (int i = 0; i < ids.Length; i++)
            if (ids[i] < 0 || ids[i] >= _c.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(inputIds), $"BertModel: token id {ids[i]} at [{i / T}, {i % T}] of input_ids {inputIds.Shape} is outside the vocabulary [0, {_c.VocabSize - 1}]");
        var pos = Positions(ids, N, T);
        var types = tokenTypeIds ?? Tensor.Zeros(new Shape([N, T]), dtype: DType.Int32);
        var x = WordEmbeddings.Forward(inputIds).Add(TokenTypeEmbeddings.Forward(types)).Add(PositionEmbeddings.Forward(pos));
        return F.Dropout(LayerNorm.Forward(x), _c.HiddenDropoutProb, Training);
    }

    /// <summary>BERT: 0..T-1. RoBERTa: pad + cumsum(id != pad) for real tokens, pad for padding.</summary>
    private Tensor Positions(int[] ids, int N, int T)
    {
        int need = _c.IsRoberta ? T + _c.PadTokenId + 1 : T;
        if (need > _c.MaxPositionEmbeddings)
            throw new ArgumentException($"BertModel: a sequence of {T} tokens needs {need} positions, the model has max_position_embeddings {_c.MaxPositionEmbeddings}");
        var p = new int[N * T];
        for (int n = 0; n < N; n++)
        {
            int count = 0;
            for (int t = 0; t < T; t++)
                p[n * T + t] = !_c.IsRoberta ? t : ids[n * T + t] == _c.PadTokenId ? _c.PadTokenId : _c.PadTokenId + ++count;
        }
        return Tensor.FromArray(p, N, T);
    }
}

/// <summary>q, k, v = query(x), key(x), value(x) split into H heads; context = softmax(q k^T / sqrt D + mask) v, heads merged.</summary>
public sealed class BertSelfAttention : Module
{
    private readonly BertConfig _c;
    public Linear Query { get; }
    public Linear Key { get; }
    public Linear Value { get; }

    public BertSelfAttention(BertConfig c)
    {
        _c = c;
        Query = RegisterModule("query", new Linear(c.HiddenSize, c.HiddenSize));
        Key = RegisterModule("key", new Linear(c.HiddenSize, c.HiddenSize));
        Value = RegisterModule("value", new Linear(c.HiddenSize, c.HiddenSize));
    }

    /// <summary>x [N, T, E], extendedMask additive [N, 1, 1, T] (or null) to [N, T, E].</summary>
    public Tensor Forward(Tensor x, Tensor? extendedMask)
    {
        int N = x.Shape[0], T = x.Shape[1], H = _c.NumAttentionHeads, D = _c.HiddenSize / H;
        Tensor Heads(Tensor t) => t.View(N, T, H, D).Transpose(1, 2).Contiguous();
        double p = Training ? _c.AttentionProbsDropoutProb : 0;
        var ctx = F.ScaledDotProductAttention(Heads(Query.Forward(x)), Heads(Key.Forward(x)), Heads(Value.Forward(x)), extendedMask, p);
        return ctx.Transpose(1, 2).Contiguous().View(N, T, _c.HiddenSize);
    }
}

/// <summary>BertSelfOutput / BertOutput: LayerNorm(dropout(dense(x)) + residual).</summary>
public sealed class BertDenseNorm : Module
{
    private readonly BertConfig _c;
    public Linear Dense { get; }
    public LayerNorm LayerNorm { get; }

    public BertDenseNorm(int inFeatures, BertConfig c)
    {
        _c = c;
        Dense = RegisterModule("dense", new Linear(inFeatures, c.HiddenSize));
        LayerNorm = RegisterModule("LayerNorm", new LayerNorm(c.HiddenSize, c.LayerNormEps));
    }

    public Tensor Forward(Tensor x, Tensor residual) => LayerNorm.Forward(F.Dropout(Dense.Forward(x), _c.HiddenDropoutProb, Training).Add(residual));
}

/// <summary>attention.self + attention.output (post-norm).</summary>
public sealed class BertAttention : Module
{
    public BertSelfAttention Self { get; }
    public BertDenseNorm Output { get; }

    public BertAttention(BertConfig c)
    {
        Self = RegisterModule("self", new BertSelfAttention(c));
        Output = RegisterModule("output", new BertDenseNorm(c.HiddenSize, c));
    }

    public Tensor Forward(Tensor x, Tensor? mask) => Output.Forward(Self.Forward(x, mask), x);
}

/// <summary>act(dense(x)), [N, T, E] to [N, T, intermediate_size]; GELU is the exact (erf) one, as Hugging Face's "gelu".</summary>
public sealed class BertIntermediate : Module
{
    private readonly string _act;
    public Linear Dense { get; }

    public BertIntermediate(BertConfig c)
    {
        _act = c.HiddenAct;
        Dense = RegisterModule("dense", new Linear(c.HiddenSize, c.IntermediateSize));
    }

    public override Tensor Forward(Tensor x) => _act == "relu" ? Dense.Forward(x).Relu() : Dense.Forward(x).Gelu();
}

/// <summary>One block: a = attention(x); out = output(intermediate(a), a).</summary>
public sealed class BertLayer : Module
{
    public BertAttention Attention { get; }
    public BertIntermediate Intermediate { get; }
    public BertDenseNorm Output { get; }

    public BertLayer(BertConfig c)
    {
        Attention = RegisterModule("attention", new BertAttention(c));
        Intermediate = RegisterModule("intermediate", new BertIntermediate(c));
        Output = RegisterModule("output", new BertDenseNorm(c.IntermediateSize, c));
    }

    public Tensor Forward(Tensor x, Tensor? mask)
    {
        var a = Attention.Forward(x, mask);
        return Output.Forward(Intermediate.Forward(a), a);
    }
}

/// <summary>encoder.layer.N: the stack of blocks.</summary>
public sealed class BertEncoder : Module
{
    public ModuleList Layer { get; }

    public BertEncoder(BertConfig c)
    {
        Layer = RegisterModule("layer", new ModuleList(Enumerable.Range(0, c.NumHiddenLayers).Select(_ => (Module)new BertLayer(c))));
    }

    public Tensor Forward(Tensor x, Tensor? mask)
    {
        foreach (var l in Layer) x = ((BertLayer)l).Forward(x, mask);
        return x;
    }
}

/// <summary>pooled = tanh(dense(h[:, 0])): the [CLS] token's state, [N, T, E] to [N, E].</summary>
public sealed class BertPooler : Module
{
    public Linear Dense { get; }
    public BertPooler(BertConfig c) => Dense = RegisterModule("dense", new Linear(c.HiddenSize, c.HiddenSize));
    public override Tensor Forward(Tensor h) => Dense.Forward(h.Select(1, 0)).Tanh();
}
