namespace Engine.Tests.TestUtil;

/// <summary>
/// Reference implementations by plain index arithmetic, to test the fast (coalesced, vectorized) kernels against.
/// </summary>
public static class Naive
{
    /// <summary>Every element of t, row-major, read one by one at Offset + sum(i_k * stride_k) from its CPU storage.</summary>
    public static float[] Read(Tensor t)
    {
        var s = (CpuStorage)t.Storage;
        var idx = new int[t.Rank];
        var o = new float[t.Numel];
        for (int flat = 0; flat < o.Length; flat++)
        {
            int off = t.Layout.OffsetOf(idx);
            o[flat] = t.DType switch
            {
                DType.Float32 => s.Floats[off],
                DType.Float16 => (float)s.Halves[off],
                _ => s.Ints[off],
            };
            Next(idx, t.Shape);
        }
        return o;
    }

    /// <summary>Advances a row-major multi-index.</summary>
    public static void Next(int[] idx, Shape shape)
    {
        for (int d = idx.Length - 1; d >= 0; d--)
        {
            if (++idx[d] < shape[d]) return;
            idx[d] = 0;
        }
    }

    /// <summary>Row-major flat index of idx in shape, where dims of size 1 in shape (broadcast) read index 0, and missing leading dims are dropped.</summary>
    public static int BroadcastFlat(int[] idx, Shape shape)
    {
        int lead = idx.Length - shape.Rank, flat = 0;
        for (int d = 0; d < shape.Rank; d++) flat = flat * shape[d] + (shape[d] == 1 ? 0 : idx[d + lead]);
        return flat;
    }

    /// <summary>op applied elementwise with NumPy broadcasting, by explicit index arithmetic.</summary>
    public static float[] Zip(float[] a, Shape sa, float[] b, Shape sb, Shape outShape, Func<float, float, float> op)
    {
        var o = new float[outShape.Numel];
        var idx = new int[outShape.Rank];
        for (int i = 0; i < o.Length; i++)
        {
            o[i] = op(a[BroadcastFlat(idx, sa)], b[BroadcastFlat(idx, sb)]);
            Next(idx, outShape);
        }
        return o;
    }
}
