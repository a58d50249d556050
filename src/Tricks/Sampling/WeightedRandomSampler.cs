namespace Engine.Data;

/// <summary>
/// Draws numSamples indices per epoch with replacement, sample i with probability w_i / sum(w). From class
/// frequencies (<see cref="FromClassFrequencies(int[], int?)"/>) w_i = 1 / count(y_i), so each class is drawn with equal
/// probability 1/K. Sampling is by binary search in the cumulative weights.
/// </summary>
public sealed class WeightedRandomSampler : ISampler
{
    private readonly double[] _cumulative;
    private readonly int[]? _labels;

    public WeightedRandomSampler(double[] weights, int numSamples, int[]? labels = null)
    {
        if (weights.Length == 0) throw new ArgumentException("WeightedRandomSampler: no weights");
        if (numSamples <= 0) throw new ArgumentOutOfRangeException(nameof(numSamples), $"WeightedRandomSampler: numSamples must be positive, got {numSamples}");
        _cumulative = new double[weights.Length];
        double s = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (!(weights[i] >= 0) || double.IsInfinity(weights[i])) throw new ArgumentOutOfRangeException(nameof(weights), $"WeightedRandomSampler: weight {i} is {weights[i]}; weights must be finite and >= 0");
            s += weights[i];
            _cumulative[i] = s;
        }
        if (s <= 0) throw new ArgumentException("WeightedRandomSampler: all weights are zero");
        Weights = weights; NumSamplesPerEpoch = numSamples; _labels = labels;
    }

    /// <summary>Weights 1 / count(class) for every sample of a labelled dataset.</summary>
    public static WeightedRandomSampler FromClassFrequencies(IDataset<(Tensor x, int y)> dataset, int? numSamples = null) =>
        FromClassFrequencies(Dataset.Labels(dataset), numSamples);

    /// <summary>Weights 1 / count(class) per sample; numSamples defaults to the dataset size.</summary>
    public static WeightedRandomSampler FromClassFrequencies(int[] labels, int? numSamples = null)
    {
        var counts = ClassIndex.Counts(labels);
        return new WeightedRandomSampler(labels.Select(y => 1.0 / counts[y]).ToArray(), numSamples ?? labels.Length, labels);
    }

    public double[] Weights { get; }
    public int NumSamplesPerEpoch { get; }

    /// <summary>Class counts of the dataset and of the last epoch drawn (needs labels).</summary>
    public BalanceReport? Report { get; private set; }

    public int NumSamples(int epoch) => NumSamplesPerEpoch;

    public int[] EpochIndices(int epoch, Generator generator)
    {
        double total = _cumulative[^1];
        var r = new int[NumSamplesPerEpoch];
        for (int k = 0; k < r.Length; k++)
        {
            double u = generator.NextDouble() * total;
            // Upper bound: the first i with cumulative[i] > u (a zero weight never increases the sum, so it is never chosen).
            int lo = 0, hi = _cumulative.Length - 1;
            while (lo < hi)
            {
                int mid = (lo + hi) >> 1;
                if (_cumulative[mid] > u) hi = mid; else lo = mid + 1;
            }
            r[k] = lo;
        }
        if (_labels != null)
        {
            int k = ClassIndex.Counts(_labels).Length;
            Report = new BalanceReport("weighted random sampling", ClassIndex.Counts(_labels, k), ClassIndex.Counts(r.Select(i => _labels[i]).ToArray(), k));
        }
        return r;
    }
}
