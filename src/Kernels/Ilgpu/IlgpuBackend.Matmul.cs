using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Ilgpu;

// Batched matrix product through the tiled GEMM kernel; any strides (transposed views are read in place).
public sealed partial class IlgpuBackend
{
    public Tensor Matmul(Tensor a, Tensor b)
    {
        if (a.Rank != 3 || b.Rank != 3 || a.Shape[0] != b.Shape[0] || a.Shape[2] != b.Shape[1])
            throw new ShapeException($"matmul kernel: expects [B,M,K] x [B,K,N], got {a.Shape} x {b.Shape}");
        var af = AsF32(a, "matmul"); var bf = AsF32(b, "matmul");
        int B = a.Shape[0], M = a.Shape[1], K = a.Shape[2], N = b.Shape[2];
        var y = New(Shape.Wrap([B, M, N]));
        Gemm(F(af), Desc(af.Layout), F(bf), Desc(bf.Layout), F(y), B, M, N, K);
        DisposeIfTemp(af, a); DisposeIfTemp(bf, b);
        return y;
    }

    internal static MatDesc Desc(Layout l) => new(l.Offset, l.Strides[0], l.Strides[1], l.Strides[2]);

    /// <summary>y (dense [B,M,N]) = a x b with the tiled kernel.</summary>
    internal void Gemm(ArrayView<float> a, MatDesc da, ArrayView<float> b, MatDesc db, ArrayView<float> y, int B, int M, int N, int K)
    {
        if ((long)B * M * N == 0) return;
        if (K == 0) { y.SubView(0, (long)B * M * N).MemSetToZero(); return; }
        if (GroupSize < GemmKernels.Threads) { GemmNaive(a, da, b, db, y, B, M, N, K); return; }
        var k = Kernel("gemm.tiled", acc => acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, MatDesc, MatDesc, int, int, int>(GemmKernels.Tiled));
        var grid = new Index3D((N + GemmKernels.Tile - 1) / GemmKernels.Tile, (M + GemmKernels.Tile - 1) / GemmKernels.Tile, B);
        k(new KernelConfig(grid, new Index3D(GemmKernels.Threads, 1, 1)), a, b, y, da, db, M, N, K);
    }

    /// <summary>The one-thread-per-output reference GEMM (tests compare the tiled kernel with it).</summary>
    internal void GemmNaive(ArrayView<float> a, MatDesc da, ArrayView<float> b, MatDesc db, ArrayView<float> y, int B, int M, int N, int K)
    {
        var k = Kernel("gemm.naive", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatDesc, MatDesc, int, int, int>(GemmKernels.Naive));
        k(B * M * N, a, b, y, da, db, M, N, K);
    }
}
