namespace Engine.Data;

/// <summary>
/// Per-channel statistics of samples [C, ...] (the first sample dim is the channel; for feature rows [F]
/// every feature is its own channel). Fitted on the training set, then applied unchanged to validation and
/// test data, so no information leaks from them.
/// </summary>
internal static class ChannelStats
{
    /// <summary>
    /// The channels of a sample, as <see cref="Image.FromTensor"/> reads it: [C,H,W] has C, [H,W] one, [F] F
    /// (every feature its own channel).
    /// </summary>
    public static int Channels(ReadOnlySpan<int> sampleShape) => sampleShape.Length == 2 ? 1 : sampleShape[0];

    /// <summary>Statistics of every channel over every sample of a dataset (any <see cref="IDataset{T}"/>).</summary>
    public static (double[] mean, double[] std, float[] min, float[] max) Compute(IDataset<(Tensor x, int y)> dataset)
    {
        if (dataset.Count == 0) throw new ArgumentException("normalization: cannot fit on an empty set");
        if (Dataset.TryInMemory(dataset, out var td, out var rows))
        {
            var acc = new Accumulator(Channels(td.SampleShape), td.SampleSize);
            for (int n = 0; n < dataset.Count; n++) acc.Add(td.Row(rows == null ? n : rows[n]), n);
            return acc.Result();
        }
        Accumulator? a = null;
        int[]? shape = null;
        for (int n = 0; n < dataset.Count; n++)
        {
            var (x, _) = dataset[n];
            using (x)
            {
                if (shape == null) { shape = x.Shape.ToArray(); a = new Accumulator(Channels(shape), x.Numel); }
                else if (!x.Shape.AsSpan().SequenceEqual(shape))
                    throw new ShapeException($"normalization: sample {n} has shape {x.Shape}, but sample 0 has {Shape.Format(shape)}");
                a!.Add(x.ToArray(), n);
            }
        }
        return a!.Result();
    }

    // Sums per channel in double; each sample is C planes of size / C values.
    private sealed class Accumulator(int channels, int size)
    {
        private readonly double[] _sum = new double[channels], _sq = new double[channels];
        private readonly float[] _min = Enumerable.Repeat(float.PositiveInfinity, channels).ToArray();
        private readonly float[] _max = Enumerable.Repeat(float.NegativeInfinity, channels).ToArray();
        private readonly int _plane = size / channels;
        private long _count;

        public void Add(ReadOnlySpan<float> sample, int n)
        {
            for (int c = 0; c < channels; c++)
            {
                double s = 0, s2 = 0;
                foreach (float f in sample.Slice(c * _plane, _plane))
                {
                    if (!float.IsFinite(f)) throw new ArgumentException($"normalization: non-finite value {f} in sample {n}, channel {c}");
                    s += f; s2 += (double)f * f;
                    if (f < _min[c]) _min[c] = f;
                    if (f > _max[c]) _max[c] = f;
                }
                _sum[c] += s; _sq[c] += s2;
            }
            _count++;
        }

        public (double[] mean, double[] std, float[] min, float[] max) Result()
        {
            double m = (double)_count * _plane;
            var mean = new double[channels]; var std = new double[channels];
            for (int c = 0; c < channels; c++)
            {
                mean[c] = _sum[c] / m;
                std[c] = Math.Sqrt(Math.Max(0, _sq[c] / m - mean[c] * mean[c]));   // population std (ddof = 0)
            }
            return (mean, std, _min, _max);
        }
    }
}

/// <summary>
/// Per-channel standardization: x' = (x - mean_c) / std_c, with mean and (population) std of each channel
/// over the training set. A constant channel (std = 0) is only centred.
/// </summary>
public sealed class Standardize : Transform
{
    public Standardize(float[] mean, float[] std)
    {
        if (mean.Length != std.Length) throw new ArgumentException($"Standardize: {mean.Length} means but {std.Length} stds");
        Mean = mean; Std = std;
    }

    public float[] Mean { get; }
    public float[] Std { get; }

    /// <summary>Fits on a training set of samples [C, ...]: any dataset, e.g. a <see cref="Subset{T}"/> from a split.</summary>
    public static Standardize Fit(IDataset<(Tensor x, int y)> train)
    {
        var (mean, std, _, _) = ChannelStats.Compute(train);
        return new Standardize(mean.Select(v => (float)v).ToArray(), std.Select(v => (float)v).ToArray());
    }

    public override Image Apply(Image image)
    {
        if (image.C != Mean.Length) throw new ShapeException($"Standardize: fitted on {Mean.Length} channels, image has {image.C}");
        for (int c = 0; c < image.C; c++)
        {
            float m = Mean[c], inv = Std[c] > 0 ? 1f / Std[c] : 1f;
            foreach (ref float v in image.Channel(c)) v = (v - m) * inv;
        }
        return image;
    }

    /// <summary>A standardized copy of a dataset (fast path, no per-sample tensors).</summary>
    public TensorDataset Apply(TensorDataset ds) => Map(ds, this);

    /// <summary>Any dataset, standardized as each sample is read (a view: nothing is copied).</summary>
    public TransformedDataset Apply(IDataset<(Tensor x, int y)> ds) => new(ds, this);

    internal static TensorDataset Map(TensorDataset ds, Transform t)
    {
        var d = (float[])ds.Data.Clone();
        int c = ChannelStats.Channels(ds.SampleShape), plane = ds.SampleSize / c;
        for (int n = 0; n < ds.Count; n++)
        {
            var img = new Image(c, plane, 1, d.AsSpan(n * ds.SampleSize, ds.SampleSize).ToArray());
            t.Apply(img).Data.CopyTo(d, n * ds.SampleSize);
        }
        return new TensorDataset(d, ds.Labels, ds.SampleShape);
    }
}

/// <summary>
/// Per-channel min-max scaling into [-1, 1]: x' = 2 (x - min_c) / (max_c - min_c) - 1, with min and max of each
/// channel over the training set. Other data may fall outside [-1, 1]; that is intended (no clipping), so
/// the map stays the same affine function. A constant channel maps to 0.
/// </summary>
public sealed class MinMaxScale : Transform
{
    public MinMaxScale(float[] min, float[] max)
    {
        if (min.Length != max.Length) throw new ArgumentException($"MinMaxScale: {min.Length} minima but {max.Length} maxima");
        Min = min; Max = max;
    }

    public float[] Min { get; }
    public float[] Max { get; }

    /// <summary>Fits on a training set of samples [C, ...]: any dataset, e.g. a <see cref="Subset{T}"/> from a split.</summary>
    public static MinMaxScale Fit(IDataset<(Tensor x, int y)> train)
    {
        var (_, _, min, max) = ChannelStats.Compute(train);
        return new MinMaxScale(min, max);
    }

    public override Image Apply(Image image)
    {
        if (image.C != Min.Length) throw new ShapeException($"MinMaxScale: fitted on {Min.Length} channels, image has {image.C}");
        for (int c = 0; c < image.C; c++)
        {
            float range = Max[c] - Min[c], lo = Min[c];
            if (range <= 0) { image.Channel(c).Clear(); continue; }
            float k = 2f / range;
            foreach (ref float v in image.Channel(c)) v = (v - lo) * k - 1f;
        }
        return image;
    }

    /// <summary>A scaled copy of a dataset (fast path, no per-sample tensors).</summary>
    public TensorDataset Apply(TensorDataset ds) => Standardize.Map(ds, this);

    /// <summary>Any dataset, scaled as each sample is read (a view: nothing is copied).</summary>
    public TransformedDataset Apply(IDataset<(Tensor x, int y)> ds) => new(ds, this);
}
