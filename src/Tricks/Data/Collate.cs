namespace Engine.Data;

/// <summary>Collate steps: turn a list of samples into one batch.</summary>
public static class Collate
{
    /// <summary>
    /// Stacks samples x [S...] into x [B, S...] (Float32) and labels into y [B] (Int32). Every sample must
    /// have the same shape; the sample tensors are disposed once copied.
    /// </summary>
    public static (Tensor x, Tensor y) Stack(IReadOnlyList<(Tensor x, int y)> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("collate: empty batch");
        var shape = samples[0].x.Shape.ToArray();
        int size = samples[0].x.Numel;
        var data = new float[samples.Count * size];
        var labels = new int[samples.Count];
        for (int b = 0; b < samples.Count; b++)
        {
            var (x, y) = samples[b];
            if (!x.Shape.AsSpan().SequenceEqual(shape))
                throw new ShapeException($"collate: sample {b} of the batch has shape {x.Shape}, but sample 0 has {Shape.Format(shape)}; all samples of a batch must have one shape (resize or crop them in a transform)");
            x.ToArray().CopyTo(data, b * size);
            labels[b] = y;
            x.Dispose();
        }
        return (Tensor.FromArray(data, [samples.Count, .. shape]), Tensor.FromArray(labels, samples.Count));
    }

    /// <summary>Fast path for an in-memory dataset: copies rows straight into the batch (no per-sample tensor).</summary>
    internal static (Tensor x, Tensor y) Rows(TensorDataset ds, int[] indices)
    {
        int size = ds.SampleSize;
        var data = new float[indices.Length * size];
        var labels = new int[indices.Length];
        for (int b = 0; b < indices.Length; b++)
        {
            ds.Row(indices[b]).CopyTo(data.AsSpan(b * size, size));
            labels[b] = ds.Labels[indices[b]];
        }
        return (Tensor.FromArray(data, [indices.Length, .. ds.SampleShape]), Tensor.FromArray(labels, indices.Length));
    }
}
