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
        for (int b = 1; b < samples.Count; b++)
            if (!samples[b].x.Shape.AsSpan().SequenceEqual(shape))
                throw new ShapeException($"collate: sample {b} of the batch has shape {samples[b].x.Shape}, but sample 0 has {Shape.Format(shape)}; all samples of a batch must have one shape (resize or crop them in a transform)");
        var (bx, data) = HostFloats([samples.Count, .. shape]);
        var (by, labels) = HostInts(samples.Count);
        for (int b = 0; b < samples.Count; b++)
        {
            var (x, y) = samples[b];
            x.CopyTo(data.AsSpan(b * size, size));
            labels[b] = y;
            x.Dispose();
        }
        return (bx, by);
    }

    /// <summary>Fast path for an in-memory dataset: copies rows straight into the batch (no per-sample tensor).</summary>
    internal static (Tensor x, Tensor y) Rows(TensorDataset ds, int[] indices)
    {
        int size = ds.SampleSize;
        var (x, data) = HostFloats([indices.Length, .. ds.SampleShape]);
        var (y, labels) = HostInts(indices.Length);
        for (int b = 0; b < indices.Length; b++)
        {
            ds.Row(indices[b]).CopyTo(data.AsSpan(b * size, size));
            labels[b] = ds.Labels[indices[b]];
        }
        return (x, y);
    }

    // A batch's tensors are written in place in pooled host memory: a batch of fresh arrays per step (200 KB for 64
    // Fashion-MNIST images, on the large-object heap) would be garbage that only a full collection frees, and the
    // process would grow step by step until one came.
    private static (Tensor t, float[] data) HostFloats(int[] shape)
    {
        var s = new Shape(shape);
        var storage = (CpuStorage)Device.Cpu.Backend.Allocate(DType.Float32, s.Numel, zero: false);
        return (Tensor.Create(storage, Layout.Contiguous(s)), storage.Floats);
    }

    private static (Tensor t, int[] data) HostInts(int n)
    {
        var storage = (CpuStorage)Device.Cpu.Backend.Allocate(DType.Int32, n, zero: false);
        return (Tensor.Create(storage, Layout.Contiguous(new Shape([n]))), storage.Ints);
    }
}
