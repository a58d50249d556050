using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Ilgpu;

// Batched matrix product through the tiled GEMM kernel; any strides (transposed views are read in place).
public sealed partial class IlgpuBackend
{
    public Tensor Matmul(Tensor a, Tensor b)
    {
        ShapeChecks.BatchedMatmul(a, b);
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
        var k = Kernel("gemm.tiled", acc => acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, MatDesc, MatDesc, int, int, int, int, int>(GemmKernels.Tiled));
        int tilesN = (N + GemmKernels.Tile - 1) / GemmKernels.Tile, tilesM = (M + GemmKernels.Tile - 1) / GemmKernels.Tile;
        int split = SplitK(B * tilesM * tilesN, K);
        var config = (Index3D z) => new KernelConfig(new Index3D(tilesN, tilesM, z.X), new Index3D(GemmKernels.Threads, 1, 1));
        if (split == 1) { k(config(new Index3D(B, 1, 1)), a, b, y, da, db, M, N, K, 1, K); return; }
        // Split-K: each of `split` groups per tile covers a range of K (a multiple of the step), then a sum.
        int kLen = (K / split + GemmKernels.Step - 1) / GemmKernels.Step * GemmKernels.Step;
        split = (K + kLen - 1) / kLen;
        using var partial = New(Shape.Wrap([B * split, M, N]));
        k(config(new Index3D(B * split, 1, 1)), a, b, F(partial), da, db, M, N, K, split, kLen);
        var sum = Kernel("gemm.sum_splits", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(GemmKernels.SumSplits));
        sum(B * M * N, F(partial), y, split, M * N);
    }

    /// <summary>How many parts to cut K into: enough groups to reach Options.SplitKTarget, each part at least 256 deep.</summary>
    internal int SplitK(int groups, int K)
    {
        int target = Options.SplitKTarget;
        if (groups >= target || K < 512) return 1;
        return Math.Clamp(Math.Min(target / groups, K / 256), 1, 64);
    }

    /// <summary>The one-thread-per-output reference GEMM (tests compare the tiled kernel with it).</summary>
    internal void GemmNaive(ArrayView<float> a, MatDesc da, ArrayView<float> b, MatDesc db, ArrayView<float> y, int B, int M, int N, int K)
    {
        var k = Kernel("gemm.naive", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatDesc, MatDesc, int, int, int>(GemmKernels.Naive));
        k(B * M * N, a, b, y, da, db, M, N, K);
    }
}
