namespace Engine.Data;

/// <summary>
/// Per-channel statistics of samples [C, ...] (the first sample dim is the channel; for feature rows [F]
/// every feature is its own channel). Fitted on the training set, then applied unchanged to validation and
/// test data, so no information leaks from them.
/// </summary>
internal static class ChannelStats
{
    // Visits every channel's values of every sample: data is N samples of C * plane values.
    public static (double[] mean, double[] std, float[] min, float[] max) Compute(ReadOnlySpan<float> data, int count, int channels)
    {
        if (count == 0) throw new ArgumentException("normalization: cannot fit on an empty set");
        int plane = data.Length / count / channels;
        var sum = new double[channels]; var sq = new double[channels];
        var min = Enumerable.Repeat(float.PositiveInfinity, channels).ToArray();
        var max = Enumerable.Repeat(float.NegativeInfinity, channels).ToArray();
        for (int n = 0; n < count; n++)
            for (int c = 0; c < channels; c++)
            {
                var v = data.Slice((n * channels + c) * plane, plane);
                double s = 0, s2 = 0;
                foreach (float f in v)
                {
                    if (!float.IsFinite(f)) throw new ArgumentException($"normalization: non-finite value {f} in sample {n}, channel {c}");
                    s += f; s2 += (double)f * f;
                    if (f < min[c]) min[c] = f;
                    if (f > max[c]) max[c] = f;
                }
                sum[c] += s; sq[c] += s2;
            }
        double m = (double)count * plane;
        var mean = new double[channels]; var std = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            mean[c] = sum[c] / m;
            std[c] = Math.Sqrt(Math.Max(0, sq[c] / m - mean[c] * mean[c]));   // population std (ddof = 0)
        }
        return (mean, std, min, max);
    }

    public static int Channels(TensorDataset ds) => ds.SampleShape[0];
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

    /// <summary>Fits on a training set of samples [C, ...].</summary>
    public static Standardize Fit(TensorDataset train)
    {
        var (mean, std, _, _) = ChannelStats.Compute(train.Data, train.Count, ChannelStats.Channels(train));
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

    internal static TensorDataset Map(TensorDataset ds, Transform t)
    {
        var d = (float[])ds.Data.Clone();
        int c = ds.SampleShape[0], plane = ds.SampleSize / c;
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

    public static MinMaxScale Fit(TensorDataset train)
    {
        var (_, _, min, max) = ChannelStats.Compute(train.Data, train.Count, ChannelStats.Channels(train));
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

    public TensorDataset Apply(TensorDataset ds) => Standardize.Map(ds, this);
}
