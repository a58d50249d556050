using MlTokenizers = Microsoft.ML.Tokenizers;

namespace Engine.Text;

/// <summary>How <see cref="Tokenizer.Batch"/> pads: to the longest sequence of the batch, or always to maxLength.</summary>
public enum Padding { Longest, MaxLength }

/// <summary>A batch for a BERT: input_ids, attention_mask (1 token, 0 padding) and token_type_ids, each Int32 [N, T].</summary>
public sealed record BertBatch(Tensor InputIds, Tensor AttentionMask, Tensor TokenTypeIds)
{
    public int BatchSize => InputIds.Shape[0];
    public int Length => InputIds.Shape[1];
}

/// <summary>
/// WordPiece tokenization for BERT from a <c>vocab.txt</c>, through Microsoft.ML.Tokenizers' BertTokenizer (basic
/// tokenization, lower-casing, accent stripping, WordPiece), plus what a model needs around it: [CLS] a [SEP] b [SEP],
/// token types, truncation (longest first, as Hugging Face's default), padding and the attention mask, as tensors.
/// </summary>
public sealed class Tokenizer
{
    private readonly MlTokenizers.BertTokenizer _t;

    public int VocabSize { get; }
    public int PadId => _t.PaddingTokenId;
    public int ClsId => _t.ClassificationTokenId;
    public int SepId => _t.SeparatorTokenId;
    public int MaskId => _t.MaskingTokenId;

    private Tokenizer(MlTokenizers.BertTokenizer t, int vocabSize) => (_t, VocabSize) = (t, vocabSize);

    /// <summary>One token per line, the line number its id (BERT's vocab.txt); lowerCase as uncased models.</summary>
    public static Tokenizer FromVocab(string vocabPath, bool lowerCase = true)
    {
        if (!File.Exists(vocabPath)) throw new FileNotFoundException($"vocabulary '{vocabPath}' not found", vocabPath);
        int lines = File.ReadLines(vocabPath).Count();
        var t = MlTokenizers.BertTokenizer.Create(vocabPath, new MlTokenizers.BertOptions { LowerCaseBeforeTokenization = lowerCase });
        return new Tokenizer(t, lines);
    }

    /// <summary>The WordPiece ids of text, without special tokens.</summary>
    public IReadOnlyList<int> Tokenize(string text) => _t.EncodeToIds(text, addSpecialTokens: false);

    /// <summary>Ids back to text (special tokens dropped); an id outside the vocabulary is an error naming it.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var list = ids.ToList();
        foreach (var id in list)
            if (id < 0 || id >= VocabSize) throw new ArgumentOutOfRangeException(nameof(ids), $"Tokenizer.Decode: token id {id} is outside the vocabulary [0, {VocabSize - 1}]");
        return _t.Decode(list, skipSpecialTokens: true) ?? "";
    }

    /// <summary>[CLS] a [SEP] (b [SEP]) with token types 0 for a's part and 1 for b's, truncated to maxLength (longest first).</summary>
    public (int[] Ids, int[] Types) Encode(string text, string? pair = null, int? maxLength = null)
    {
        var a = Tokenize(text).ToList();
        var b = pair == null ? null : Tokenize(pair).ToList();
        if (maxLength is int max)
        {
            int special = b == null ? 2 : 3;
            if (max < special) throw new ArgumentOutOfRangeException(nameof(maxLength), $"Tokenizer: maxLength {max} leaves no room for the {special} special tokens");
            // Hugging Face's longest_first: drop the last token of the longer sequence until both fit.
            while (a.Count + (b?.Count ?? 0) + special > max)
            {
                if (b != null && b.Count > a.Count) b.RemoveAt(b.Count - 1);
                else a.RemoveAt(a.Count - 1);
            }
        }
        var ids = new List<int>(a.Count + (b?.Count ?? 0) + 3) { ClsId };
        ids.AddRange(a); ids.Add(SepId);
        var types = Enumerable.Repeat(0, ids.Count).ToList();
        if (b != null) { ids.AddRange(b); ids.Add(SepId); types.AddRange(Enumerable.Repeat(1, b.Count + 1)); }
        return (ids.ToArray(), types.ToArray());
    }

    /// <summary>
    /// Encodes texts (with pairs[i] as the second segment when given), truncates to maxLength, pads with [PAD] to the
    /// longest or to maxLength, and returns Int32 tensors [N, T].
    /// </summary>
    public BertBatch Batch(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null, int? maxLength = 512, Padding padding = Padding.Longest)
    {
        if (texts.Count == 0) throw new ArgumentException("Tokenizer.Batch: no texts");
        if (pairs != null && pairs.Count != texts.Count) throw new ArgumentException($"Tokenizer.Batch: {texts.Count} texts but {pairs.Count} pairs");
        if (padding == Padding.MaxLength && maxLength == null) throw new ArgumentException("Tokenizer.Batch: Padding.MaxLength needs a maxLength");
        var enc = texts.Select((t, i) => Encode(t, pairs?[i], maxLength)).ToArray();
        int T = padding == Padding.MaxLength ? maxLength!.Value : enc.Max(e => e.Ids.Length);
        int N = enc.Length;
        var ids = new int[N * T]; var mask = new int[N * T]; var types = new int[N * T];
        for (int n = 0; n < N; n++)
            for (int t = 0; t < T; t++)
            {
                bool real = t < enc[n].Ids.Length;
                ids[n * T + t] = real ? enc[n].Ids[t] : PadId;
                mask[n * T + t] = real ? 1 : 0;
                types[n * T + t] = real ? enc[n].Types[t] : 0;
            }
        return new BertBatch(Tensor.FromArray(ids, N, T), Tensor.FromArray(mask, N, T), Tensor.FromArray(types, N, T));
    }
}
