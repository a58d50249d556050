using System.Numerics.Tensors;

namespace Engine.Bench;

/// <summary>
/// The unblocked i-k-j product, y[i,:] += a[i,k] * b[k,:] row by row (TensorPrimitives.MultiplyAdd along rows of b,
/// rows of y split over the cores): the baseline the packed GEMM is measured against in GemmBench. Contiguous
/// row-major operands only.
/// </summary>
internal static class RowAxpy
{
    public static void Run(float[] a, float[] b, float[] y, int M, int K, int N) =>
        Parallel.For(0, M, i =>
        {
            var dst = new Span<float>(y, i * N, N);
            dst.Clear();
            for (int k = 0; k < K; k++)
            {
                float aik = a[i * K + k];
                if (aik != 0) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(b, k * N, N), aik, dst, dst);
            }
        });
}
