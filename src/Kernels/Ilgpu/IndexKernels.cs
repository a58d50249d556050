using ILGPU;

namespace Engine.Kernels.Ilgpu;

/// <summary>
/// Index kernels. IndexSelect / IndexAdd see x as [outer, n, inner] around the indexed dim (m indices);
/// Gather / ScatterAdd walk the index tensor's shape and address x / dst through strides, with the
/// indexed dim's stride applied to the index value. Adds use atomics: duplicate indices accumulate.
/// </summary>
internal static class IndexKernels
{
    /// <summary>y[o, k, j] = x[o, idx[k], j] (y dense [outer, m, inner]).</summary>
    public static void Select(Index1D i, ArrayView<float> x, ArrayView<int> idx, ArrayView<float> y, int n, int m, int inner)
    {
        int j = i % inner, k = i / inner % m, o = i / inner / m;
        y[i] = x[((long)o * n + idx[k]) * inner + j];
    }

    /// <summary>dst[o, idx[k], j] += src[o, k, j].</summary>
    public static void AddAt(Index1D i, ArrayView<float> src, ArrayView<int> idx, ArrayView<float> dst, int n, int m, int inner)
    {
        int j = i % inner, k = i / inner % m, o = i / inner / m;
        Atomic.Add(ref dst[((long)o * n + idx[k]) * inner + j], src[i]);
    }

    /// <summary>y[pos] = x[pos with pos[dim] = idx[pos]]: ox carries x's strides with dim's zeroed; sdim is x's stride on dim.</summary>
    public static void Gather(Index1D i, ArrayView<float> x, ArrayView<int> idx, ArrayView<float> y, Geo g, Operand ox, int sdim)
        => y[i] = x[ox.At(g, i) + idx[i] * sdim];

    /// <summary>dst[pos with pos[dim] = idx[pos]] += src[pos], for every pos of the index shape.</summary>
    public static void ScatterAdd(Index1D i, ArrayView<float> src, ArrayView<int> idx, ArrayView<float> dst, Geo g, Operand os, Operand od, int sdim)
        => Atomic.Add(ref dst[od.At(g, i) + idx[i] * sdim], src[os.At(g, i)]);
}
