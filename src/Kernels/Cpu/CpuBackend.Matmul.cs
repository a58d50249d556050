using System.Runtime.CompilerServices;

namespace Engine.Kernels.Cpu;

// Batched matrix product. Shape letters: B batch, M rows of a, K inner, N columns of b.
public sealed partial class CpuBackend
{
    public Tensor Matmul(Tensor a, Tensor b)
    {
        ShapeChecks.BatchedMatmul(a, b);
        var af = AsF32(a, "matmul"); var bf = AsF32(b, "matmul");
        int B = a.Shape[0], M = a.Shape[1], K = a.Shape[2], N = b.Shape[2];
        var y = New(Shape.Wrap([B, M, N]));
        MatmulPacked(F(af), af.Layout, F(bf), bf.Layout, F(y), B, M, K, N);
        DisposeIfTemp(af, a); DisposeIfTemp(bf, b);
        return y;
    }

    /// <summary>
    /// y[b] = a[b] @ b[b] through the packed GEMM; any strides (transposed, batch stride 0) go to the packing.
    /// Small matrices in a big batch: one batch item per core, each GEMM on one thread.
    /// Otherwise the batch runs in order and each GEMM uses every core.
    /// </summary>
    internal static unsafe void MatmulPacked(float[] av, Layout al, float[] bv, Layout bl, float[] y, int B, int M, int K, int N)
    {
        int sa0 = al.Strides[0], sa1 = al.Strides[1], sa2 = al.Strides[2];
        int sb0 = bl.Strides[0], sb1 = bl.Strides[1], sb2 = bl.Strides[2];
        int ao = al.Offset, bo = bl.Offset;
        long work = (long)M * N * K;
        if (B > 1 && work < 4 * Gemm.Sgemm.ParallelThreshold && (long)B * work >= Gemm.Sgemm.ParallelThreshold)
        {
            Par.For(B, long.MaxValue, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (b0, b1) =>
            {
                fixed (float* pa = av, pb = bv, pc = y)
                {
                    using var ra = Checked.Region(pa, av.Length, "matmul a"); using var rb = Checked.Region(pb, bv.Length, "matmul b");
                    using var rc = Checked.Region(pc, y.Length, "matmul y");
                    for (int i = b0; i < b1; i++)
                        Gemm.Sgemm.Run(M, N, K, pa + ao + (long)i * sa0, sa1, sa2, pb + bo + (long)i * sb0, sb1, sb2, pc + (long)i * M * N, N, false, parallel: false);
                }
            });
            return;
        }
        fixed (float* pa = av, pb = bv, pc = y)
        {
            using var ra = Checked.Region(pa, av.Length, "matmul a"); using var rb = Checked.Region(pb, bv.Length, "matmul b");
            using var rc = Checked.Region(pc, y.Length, "matmul y");
            for (int i = 0; i < B; i++)
                Gemm.Sgemm.Run(M, N, K, pa + ao + (long)i * sa0, sa1, sa2, pb + bo + (long)i * sb0, sb1, sb2, pc + (long)i * M * N, N, false);
        }
    }

    /// <summary>The textbook triple loop in double precision: the reference every fast GEMM is tested against.</summary>
    public static float[] MatmulNaive(float[] a, float[] b, int M, int K, int N)
    {
        var y = new float[M * N];
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
            {
                double s = 0;
                for (int k = 0; k < K; k++) s += (double)a[i * K + k] * b[k * N + j];
                y[i * N + j] = (float)s;
            }
        return y;
    }
}
