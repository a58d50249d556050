using System.Globalization;
using System.Text.Json;

namespace Engine.Text;

/// <summary>
/// The hyperparameters of a BERT, under Hugging Face's config.json names (vocab_size, hidden_size, ...).
/// Defaults are bert-base-uncased's. <see cref="ModelType"/> "roberta" switches on RoBERTa's position ids (counted
/// from pad_token_id + 1 over the non-pad tokens).
/// </summary>
public sealed record BertConfig
{
    public string ModelType { get; init; } = "bert";
    public int VocabSize { get; init; } = 30522;
    public int HiddenSize { get; init; } = 768;
    public int NumHiddenLayers { get; init; } = 12;
    public int NumAttentionHeads { get; init; } = 12;
    public int IntermediateSize { get; init; } = 3072;
    public string HiddenAct { get; init; } = "gelu";
    public double HiddenDropoutProb { get; init; } = 0.1;
    public double AttentionProbsDropoutProb { get; init; } = 0.1;
    public int MaxPositionEmbeddings { get; init; } = 512;
    public int TypeVocabSize { get; init; } = 2;
    public double LayerNormEps { get; init; } = 1e-12;
    public int PadTokenId { get; init; } = 0;

    public bool IsRoberta => ModelType is "roberta" or "xlm-roberta" or "camembert";

    /// <summary>Reads a Hugging Face config.json; unknown keys are ignored, wrong types and bad sizes are errors naming the key and the file.</summary>
    public static BertConfig FromJson(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"BERT config '{path}' not found", path);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
        using (doc)
        {
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: a config must be a JSON object");
            var d = new BertConfig();
            int I(string k, int def) => r.TryGetProperty(k, out var v) ? v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int x) ? x
                : throw new InvalidDataException($"{path}: '{k}' must be an integer, got {v.GetRawText()}") : def;
            double D(string k, double def) => r.TryGetProperty(k, out var v) ? v.ValueKind == JsonValueKind.Number ? v.GetDouble()
                : throw new InvalidDataException($"{path}: '{k}' must be a number, got {v.GetRawText()}") : def;
            string S(string k, string def) => r.TryGetProperty(k, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString()!
                : throw new InvalidDataException($"{path}: '{k}' must be a string, got {v.GetRawText()}") : def;
            var c = new BertConfig
            {
                ModelType = S("model_type", d.ModelType), VocabSize = I("vocab_size", d.VocabSize), HiddenSize = I("hidden_size", d.HiddenSize),
                NumHiddenLayers = I("num_hidden_layers", d.NumHiddenLayers), NumAttentionHeads = I("num_attention_heads", d.NumAttentionHeads),
                IntermediateSize = I("intermediate_size", d.IntermediateSize), HiddenAct = S("hidden_act", d.HiddenAct),
                HiddenDropoutProb = D("hidden_dropout_prob", d.HiddenDropoutProb), AttentionProbsDropoutProb = D("attention_probs_dropout_prob", d.AttentionProbsDropoutProb),
                MaxPositionEmbeddings = I("max_position_embeddings", d.MaxPositionEmbeddings), TypeVocabSize = I("type_vocab_size", d.TypeVocabSize),
                LayerNormEps = D("layer_norm_eps", d.LayerNormEps), PadTokenId = I("pad_token_id", d.PadTokenId),
            };
            try { c.Validate(); }
            catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
            return c;
        }
    }

    /// <summary>Throws when a size is not positive, heads do not divide hidden_size, or the activation is not GELU / ReLU.</summary>
    public void Validate()
    {
        foreach (var (k, v) in new[] { ("vocab_size", VocabSize), ("hidden_size", HiddenSize), ("num_hidden_layers", NumHiddenLayers),
                     ("num_attention_heads", NumAttentionHeads), ("intermediate_size", IntermediateSize), ("max_position_embeddings", MaxPositionEmbeddings), ("type_vocab_size", TypeVocabSize) })
            if (v <= 0) throw new ArgumentException($"BertConfig: {k} must be positive, got {v}");
        if (HiddenSize % NumAttentionHeads != 0)
            throw new ArgumentException($"BertConfig: hidden_size {HiddenSize} must be divisible by num_attention_heads {NumAttentionHeads}");
        if (HiddenAct is not ("gelu" or "relu"))
            throw new ArgumentException($"BertConfig: hidden_act '{HiddenAct}' is not supported (gelu, relu)");
        if (PadTokenId < 0 || PadTokenId >= VocabSize) throw new ArgumentException($"BertConfig: pad_token_id {PadTokenId} is outside the vocabulary of {VocabSize}");
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{ModelType}: vocab {VocabSize}, hidden {HiddenSize}, {NumHiddenLayers} layers, {NumAttentionHeads} heads, ff {IntermediateSize}, positions {MaxPositionEmbeddings}");
}
