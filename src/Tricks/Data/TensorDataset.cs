namespace Engine.Data;

/// <summary>
/// An in-memory dataset: N samples of one shape (e.g. [C,H,W] images or [F] feature rows) in one
/// row-major float array, and N integer labels. Indexing copies sample i into a new tensor.
/// </summary>
public sealed class TensorDataset : IDataset<(Tensor x, int y)>
{
    /// <summary>data holds N * prod(sampleShape) values; labels holds N labels.</summary>
    public TensorDataset(float[] data, int[] labels, params int[] sampleShape)
    {
        if (sampleShape.Length == 0) throw new ArgumentException("TensorDataset: sample shape must have at least one dim");
        int size = 1;
        foreach (int d in sampleShape)
        {
            if (d <= 0) throw new ArgumentException($"TensorDataset: sample shape {Shape.Format(sampleShape)} has a non-positive dim");
            size *= d;
        }
        if ((long)labels.Length * size != data.Length)
            throw new ShapeException($"TensorDataset: {labels.Length} labels of sample shape {Shape.Format(sampleShape)} need {(long)labels.Length * size} values, got {data.Length}");
        Data = data; Labels = labels; SampleShape = sampleShape; SampleSize = size;
    }

    /// <summary>From tensors x [N, ...] (float) and y [N] (Int32 or integral floats); the data are copied.</summary>
    public static TensorDataset FromTensors(Tensor x, Tensor y)
    {
        if (x.Rank < 2) throw new ShapeException($"TensorDataset: x must be [N, ...], got {x.Shape}");
        if (y.Rank != 1 || y.Size(0) != x.Size(0))
            throw new ShapeException($"TensorDataset: y must be [N] with N = {x.Size(0)} (the first dim of x {x.Shape}), got {y.Shape}");
        return new TensorDataset(x.ToArray(), y.ToIntArray(), x.Shape.ToArray()[1..]);
    }

    /// <summary>Fashion-MNIST images [1,28,28] and labels.</summary>
    public static TensorDataset From(FashionMnist.Split split) => new(split.Images, split.Labels, 1, split.Rows, split.Cols);

    public float[] Data { get; }
    public int[] Labels { get; }
    public int[] SampleShape { get; }
    public int SampleSize { get; }
    public int Count => Labels.Length;

    /// <summary>The values of sample i (no copy).</summary>
    public ReadOnlySpan<float> Row(int i)
    {
        Dataset.CheckIndex(i, Count, "TensorDataset");
        return Data.AsSpan(i * SampleSize, SampleSize);
    }

    public (Tensor x, int y) this[int index]
    {
        get
        {
            Dataset.CheckIndex(index, Count, "TensorDataset");
            return (Tensor.FromArray(Data.AsSpan(index * SampleSize, SampleSize).ToArray(), SampleShape), Labels[index]);
        }
    }

    /// <summary>A new dataset with the samples at the given indices (copied), e.g. a resampled set.</summary>
    public TensorDataset Select(int[] indices)
    {
        var d = new float[indices.Length * SampleSize];
        var l = new int[indices.Length];
        for (int k = 0; k < indices.Length; k++)
        {
            Row(indices[k]).CopyTo(d.AsSpan(k * SampleSize, SampleSize));
            l[k] = Labels[indices[k]];
        }
        return new TensorDataset(d, l, SampleShape);
    }
}
