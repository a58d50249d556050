namespace Engine.Training;

/// <summary>
/// Accumulates classification results over batches: mean loss, accuracy, top-k accuracy and
/// per-class accuracy. Targets are class indices [B] (Int32) or soft targets [B,C] (their argmax counts).
/// </summary>
public sealed class ClassificationMetrics(int topK = 5)
{
    private double _lossSum;
    private long _samples, _correct, _correctTopK;
    private long[] _perClassTotal = [], _perClassCorrect = [];

    public int TopK { get; } = topK;

    /// <summary>Adds one batch: logits [B,C], targets, and the batch's mean loss.</summary>
    public void Add(Tensor logits, Tensor targets, float meanLoss)
    {
        if (logits.Rank != 2) throw new ShapeException($"metrics: expected logits [B,C], got {logits.Shape}");
        int b = logits.Shape[0], c = logits.Shape[1];
        var labels = targets.Rank == 2 ? targets.Argmax(1).ToIntArray() : targets.ToIntArray();
        if (labels.Length != b) throw new ShapeException($"metrics: {b} predictions but {labels.Length} targets");
        if (_perClassTotal.Length < c) { Array.Resize(ref _perClassTotal, c); Array.Resize(ref _perClassCorrect, c); }
        var v = logits.ToArray();
        int k = Math.Min(TopK, c);
        for (int i = 0; i < b; i++)
        {
            int y = labels[i];
            float target = v[i * c + y];
            int above = 0, best = 0;
            for (int j = 0; j < c; j++)
            {
                float s = v[i * c + j];
                if (s > target || (s == target && j < y)) above++;   // rank of the true class (ties: lower index first)
                if (s > v[i * c + best]) best = j;
            }
            if (best == y) { _correct++; _perClassCorrect[y]++; }
            if (above < k) _correctTopK++;
            _perClassTotal[y]++;
        }
        _lossSum += (double)meanLoss * b;
        _samples += b;
    }

    public long Samples => _samples;
    public double Loss => _samples == 0 ? double.NaN : _lossSum / _samples;
    public double Accuracy => _samples == 0 ? double.NaN : (double)_correct / _samples;
    public double TopKAccuracy => _samples == 0 ? double.NaN : (double)_correctTopK / _samples;

    /// <summary>Accuracy of each class (NaN for classes with no sample).</summary>
    public double[] PerClassAccuracy() => _perClassTotal.Select((t, i) => t == 0 ? double.NaN : (double)_perClassCorrect[i] / t).ToArray();

    public Dictionary<string, double> ToDictionary(string prefix)
    {
        var d = new Dictionary<string, double> { [prefix + "loss"] = Loss, [prefix + "accuracy"] = Accuracy, [prefix + $"top{TopK}_accuracy"] = TopKAccuracy };
        var pc = PerClassAccuracy();
        for (int i = 0; i < pc.Length; i++) d[prefix + $"class{i}_accuracy"] = pc[i];
        return d;
    }
}
