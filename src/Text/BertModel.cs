namespace Engine.Text;

/// <summary>What <see cref="BertModel.Forward"/> returns: last_hidden_state [N, T, E] and pooler_output [N, E] (null without a pooler).</summary>
public sealed record BertOutput(Tensor LastHiddenState, Tensor? PoolerOutput);

/// <summary>
/// BERT (and RoBERTa-style encoders) with Hugging Face's names and math, so that a <c>model.safetensors</c> of
/// bert-base-uncased, or of a task model built on it, loads strict: post-norm blocks, exact GELU, LayerNorm eps from
/// the config (1e-12), the padding mask added to the scores as (1 - mask) * float.MinValue, pooler tanh(dense(h[:, 0])).
/// </summary>
/// <example><code>
/// var bert = BertModel.FromPretrained("models/bert-base-uncased");     // config.json + model.safetensors
/// var tok = Tokenizer.FromVocab("models/bert-base-uncased/vocab.txt");
/// var batch = tok.Batch(["a first sentence", "another one"], maxLength: 128);
/// var h = bert.Forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds).LastHiddenState;
/// </code></example>
public sealed class BertModel : Module
{
    public BertConfig Config { get; }
    public BertEmbeddings Embeddings { get; }
    public BertEncoder Encoder { get; }
    public BertPooler? Pooler { get; }

    public BertModel(BertConfig config, bool addPoolingLayer = true, double initializerRange = 0.02)
    {
        config.Validate();
        Config = config;
        Embeddings = RegisterModule("embeddings", new BertEmbeddings(config));
        Encoder = RegisterModule("encoder", new BertEncoder(config));
        if (addPoolingLayer) Pooler = RegisterModule("pooler", new BertPooler(config));
        InitWeights(initializerRange);
    }

    /// <summary>Hugging Face's init: Linear and Embedding weights N(0, range), biases 0, LayerNorm 1 and 0, the padding row 0.</summary>
    private void InitWeights(double range)
    {
        using var _ = Autograd.NoGrad();
        foreach (var (_, m) in NamedModules())
            switch (m)
            {
                case Linear l: Init.Normal(l.Weight, 0, range); l.Bias?.Fill_(0f); break;
                case Embedding e:
                    Init.Normal(e.Weight, 0, range);
                    if (e.PaddingIdx is int p) e.Weight.Narrow(0, p, 1).Fill_(0f);
                    break;
            }
    }

    /// <summary>
    /// inputIds [N, T] Int32; attentionMask [N, T] (1 = token, 0 = padding; Int32 or Float32; null = all tokens);
    /// tokenTypeIds [N, T] (null = all 0).
    /// </summary>
    public BertOutput Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null)
    {
        if (inputIds.Rank != 2 || inputIds.DType != DType.Int32)
            throw new ShapeException($"BertModel: input_ids must be Int32 [N, T], got {inputIds.DType} {inputIds.Shape}");
        foreach (var (name, t) in new[] { ("attention_mask", attentionMask), ("token_type_ids", tokenTypeIds) })
            if (t != null && t.Shape != inputIds.Shape) throw new ShapeException($"BertModel: {name} {t.Shape} must have input_ids' shape {inputIds.Shape}");
        if (tokenTypeIds != null && tokenTypeIds.ToIntArray().FirstOrDefault(i => i < 0 || i >= Config.TypeVocabSize, -1) is int bad && bad != -1)
            throw new ArgumentOutOfRangeException(nameof(tokenTypeIds), $"BertModel: token type {bad} is outside [0, {Config.TypeVocabSize - 1}] (type_vocab_size {Config.TypeVocabSize})");
        var x = Embeddings.Forward(inputIds, tokenTypeIds);
        var h = Encoder.Forward(x, attentionMask == null ? null : ExtendedAttentionMask(attentionMask));
        return new BertOutput(h, Pooler?.Forward(h));
    }

    /// <summary>[N, T] 1/0 to the additive [N, 1, 1, T] (1 - mask) * float.MinValue (Hugging Face's get_extended_attention_mask).</summary>
    public static Tensor ExtendedAttentionMask(Tensor attentionMask)
    {
        if (attentionMask.Rank != 2) throw new ShapeException($"BertModel: attention_mask must be [N, T], got {attentionMask.Shape}");
        var a = attentionMask.ToArray();
        var m = new float[a.Length];
        for (int i = 0; i < a.Length; i++) m[i] = (1f - a[i]) * float.MinValue;
        return Tensor.FromArray(m, [attentionMask.Shape[0], 1, 1, attentionMask.Shape[1]], attentionMask.Device);
    }

    /// <summary>
    /// A model from a Hugging Face folder: <c>config.json</c> and <c>model.safetensors</c> (nothing else in or outside
    /// the folder is read; pickled <c>pytorch_model.bin</c> files are not loaded). See <see cref="LoadHuggingFace"/>.
    /// </summary>
    public static BertModel FromPretrained(string folder, bool addPoolingLayer = true)
    {
        var config = BertConfig.FromJson(Path.Combine(folder, "config.json"));
        var weights = Path.Combine(folder, "model.safetensors");
        if (!File.Exists(weights)) throw new FileNotFoundException($"BertModel.FromPretrained: '{weights}' not found (only safetensors checkpoints are read)", weights);
        var model = new BertModel(config, addPoolingLayer);
        var sd = Safetensors.Load(weights);
        try { model.LoadHuggingFace(sd); }
        catch (ArgumentException e) { throw new ArgumentException($"loading '{weights}' ({config}): {e.Message}", e); }
        finally { foreach (var t in sd.Values) t.Dispose(); }
        return model;
    }

    /// <summary>
    /// Loads a Hugging Face state dict strict: the <c>bert.</c> (or <c>roberta.</c>, ...) prefix of task checkpoints is
    /// stripped and the keys outside it (classifier, MLM head) are returned, not loaded; the legacy
    /// <c>embeddings.position_ids</c> buffer is skipped. Every missing, unexpected or wrongly shaped backbone key is an
    /// error that lists them all.
    /// </summary>
    public IReadOnlyList<string> LoadHuggingFace(IReadOnlyDictionary<string, Tensor> state)
    {
        var prefix = new[] { Config.ModelType + ".", "bert.", "roberta." }.FirstOrDefault(p => state.Keys.Any(k => k.StartsWith(p, StringComparison.Ordinal)));
        var backbone = new Dictionary<string, Tensor>();
        var ignored = new List<string>();
        foreach (var (k, v) in state)
        {
            if (prefix != null && !k.StartsWith(prefix, StringComparison.Ordinal)) { ignored.Add(k); continue; }
            var name = prefix == null ? k : k[prefix.Length..];
            if (name == "embeddings.position_ids" || (Pooler == null && name.StartsWith("pooler.", StringComparison.Ordinal))) { ignored.Add(k); continue; }
            backbone[name] = v;
        }
        LoadStateDict(backbone, strict: true);
        return ignored;
    }

    public override string ExtraRepr() => Config.ToString();
}
