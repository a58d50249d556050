namespace Engine.Training;

// Alignment rules: sizes that split evenly into SIMD vectors, GEMM tiles and cache lines run
// faster. docs/advisor.md quotes what each one measures on this engine (bench/Alignment).
public static partial class Advisor
{
    public const string BatchSizeId = "batch-size-alignment";
    public const string RnnSizesId = "rnn-size-alignment";
    public const string DenseFeaturesId = "dense-feature-alignment";
    public const string ConvChannelsId = "conv-channel-alignment";
    public const string PadInputChannelsId = "pad-input-channels";

    /// <summary>Batch, RNN sizes and conv channels should be multiples of this (or powers of two).</summary>
    public const int AlignMultiple = 4;
    /// <summary>Dense features, RNN hidden sizes and wide conv channels ideally split into multiples of this (64, 128, 256, ...).</summary>
    public const int WideAlignMultiple = 64;
    /// <summary>Conv layers with at least this many channels are "wide" and should have a multiple of <see cref="WideAlignMultiple"/>.</summary>
    public const int WideConvChannels = 128;

    /// <summary>Batch size neither a multiple of 4 nor a power of two: the last SIMD vector of every batch-wide loop is partly empty.</summary>
    public static IEnumerable<Finding> BatchSize(Module model, IReadOnlyList<(string Name, Module Module)> layers, AdvisorOptions o)
    {
        if (o.BatchSize is not { } b || b % AlignMultiple == 0 || IsPowerOfTwo(b)) yield break;
        yield return new(BatchSizeId, Severity.Info,
            $"batch size {b} is neither a multiple of {AlignMultiple} nor a power of two; kernels vectorize over the batch best when it is. " +
            $"Use {RoundUp(b, AlignMultiple)}{(NextPowerOfTwo(b) != RoundUp(b, AlignMultiple) ? $" (or {NextPowerOfTwo(b)})" : "")}, and rescale the learning rate with the linear scaling rule.");
    }

    /// <summary>RNN hidden size, input size and batch should be multiples of 4, ideally of 64 (64/128/256).</summary>
    public static IEnumerable<Finding> RnnSizes(Module model, IReadOnlyList<(string Name, Module Module)> layers, AdvisorOptions o)
    {
        foreach (var (name, m) in layers)
        {
            if (m is not RecurrentBase r) continue;
            var bad = new List<string>();
            if (r.HiddenSize % AlignMultiple != 0) bad.Add($"hidden size {r.HiddenSize}");
            if (r.InputSize % AlignMultiple != 0) bad.Add($"input size {r.InputSize}");
            if (o.BatchSize is { } b && b % AlignMultiple != 0) bad.Add($"batch size {b}");
            if (bad.Count > 0)
                yield return new(RnnSizesId, Severity.Info,
                    $"{m.GetType().Name}: {string.Join(", ", bad)} not a multiple of {AlignMultiple}; each time step is a small GEMM [batch, input+hidden] x [input+hidden, gates*hidden] " +
                    $"whose tails run scalar. Use multiples of {AlignMultiple}, ideally 64, 128 or 256 (hidden {r.HiddenSize} -> {RoundUp(r.HiddenSize, r.HiddenSize >= WideAlignMultiple ? WideAlignMultiple : AlignMultiple)}).", name);
            else if (r.HiddenSize >= WideAlignMultiple && r.HiddenSize % WideAlignMultiple != 0)
                yield return new(RnnSizesId, Severity.Info,
                    $"{m.GetType().Name}: hidden size {r.HiddenSize} is a multiple of {AlignMultiple} but not of {WideAlignMultiple}; 64, 128 or 256 fill whole GEMM tiles " +
                    $"(hidden {r.HiddenSize} -> {RoundUp(r.HiddenSize, WideAlignMultiple)}).", name);
        }
    }

    /// <summary>
    /// Linear in/out features not divisible by 64. The output layer's out features (the number of
    /// classes, fixed by the task) are not checked.
    /// </summary>
    public static IEnumerable<Finding> DenseFeatures(Module model, IReadOnlyList<(string Name, Module Module)> layers, AdvisorOptions o)
    {
        var output = OutputLayer(layers)?.Module;
        foreach (var (name, m) in layers)
        {
            if (m is not Linear l) continue;
            var bad = new List<string>();
            if (l.InFeatures % WideAlignMultiple != 0) bad.Add($"in features {l.InFeatures} (-> {RoundUp(l.InFeatures, WideAlignMultiple)})");
            if (!ReferenceEquals(m, output) && l.OutFeatures % WideAlignMultiple != 0) bad.Add($"out features {l.OutFeatures} (-> {RoundUp(l.OutFeatures, WideAlignMultiple)})");
            if (bad.Count > 0)
                yield return new(DenseFeaturesId, Severity.Info,
                    $"Linear({l.InFeatures}, {l.OutFeatures}): {string.Join(" and ", bad)} not divisible by {WideAlignMultiple}; the GEMM's tiles and vectors are whole " +
                    $"only for such sizes. Round the hidden sizes up (input features: pad the input with zero columns).", name);
        }
    }

    /// <summary>
    /// Conv channels not a multiple of 4 nor a power of two, or wide layers (≥ 128 channels) not divisible by 64.
    /// The first layer's 3 input channels are left to <see cref="PadInputChannels"/>.
    /// </summary>
    public static IEnumerable<Finding> ConvChannels(Module model, IReadOnlyList<(string Name, Module Module)> layers, AdvisorOptions o)
    {
        bool first = true;
        foreach (var (name, m) in layers)
        {
            if (m is not Conv2d c) continue;
            var bad = new List<string>();
            foreach (var (what, ch) in new[] { ("in", c.InChannels), ("out", c.OutChannels) })
            {
                if (first && what == "in" && ch == 3) continue;
                if (ch % AlignMultiple != 0 && !IsPowerOfTwo(ch)) bad.Add($"{what} channels {ch} not a multiple of {AlignMultiple} (-> {RoundUp(ch, AlignMultiple)})");
                else if (ch >= WideConvChannels && ch % WideAlignMultiple != 0) bad.Add($"{what} channels {ch} of a wide layer not divisible by {WideAlignMultiple} (-> {RoundUp(ch, WideAlignMultiple)})");
            }
            first = false;
            if (bad.Count > 0)
                yield return new(ConvChannelsId, Severity.Info,
                    $"Conv2d({c.InChannels}, {c.OutChannels}): {string.Join("; ", bad)}; the channel loop is the innermost GEMM dimension of im2col and " +
                    "vectorizes only over whole multiples.", name);
        }
    }

    /// <summary>A 3-channel (RGB) input aligns better padded to 4 channels with <see cref="Data.PadChannels"/>(4).</summary>
    public static IEnumerable<Finding> PadInputChannels(Module model, IReadOnlyList<(string Name, Module Module)> layers, AdvisorOptions o)
    {
        var firstConv = layers.FirstOrDefault(l => l.Module is Conv2d);
        int? c = o.InputChannels ?? (firstConv.Module as Conv2d)?.InChannels;
        if (c != 3) yield break;
        yield return new(PadInputChannelsId, Severity.Info,
            $"the input has 3 channels; padded to {AlignMultiple} with a zero channel (transform new PadChannels({AlignMultiple}), first layer Conv2d({AlignMultiple}, ...)) " +
            "it aligns with the vector width; the zero channel adds nothing to the output (its weights get zero gradient).", firstConv.Module is null ? null : firstConv.Name);
    }

    internal static int RoundUp(int n, int multiple) => (n + multiple - 1) / multiple * multiple;

    internal static int NextPowerOfTwo(int n)
    {
        int p = 1;
        while (p < n) p <<= 1;
        return p;
    }
}
