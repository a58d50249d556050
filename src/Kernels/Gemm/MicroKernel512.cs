using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels.Gemm;

// The AVX-512 register tile: C[MR=12, NR=32] (+)= Ap[12, kc] * Bp[kc, 32] from packed panels.
// 24 accumulators (12 rows x 2 zmm) + 2 B vectors + 1 broadcast A = 27 of the 32 zmm registers. Each k step: 2 loads
// of B, 12 broadcasts of A, 24 FMAs (12 cycles at two 512-bit FMAs a cycle). A 6 x 64 tile (4 B loads, 6 broadcasts)
// ran as fast alone, but wastes half a panel on the narrow B of the weight gradients (N = Cg*R*S = 27 for RGB input).
internal static unsafe class MicroKernel512
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* ap, float* bp, float* c, int ldc, int m, int n, bool accumulate)
    {
        Mem.Reads(ap, (long)kc * 12); Mem.Reads(bp, (long)kc * 32);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        // The C tile's rows are touched again only after the k loop: ask for them now (rows ldc apart: no hardware
        // prefetcher follows them).
        for (int i = 0; i < m; i++) { System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + (long)i * ldc); System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + (long)i * ldc + 31); }
        for (int k = 0; k < kc; k++, ap += 12, bp += 32)
        {
            var b0 = Vector512.Load(bp); var b1 = Vector512.Load(bp + 16);
            var a = Vector512.Create(ap[0]); c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(ap[1]); c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(ap[2]); c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(ap[3]); c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            a = Vector512.Create(ap[4]); c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(ap[5]); c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
            a = Vector512.Create(ap[6]); c60 = Vector512.FusedMultiplyAdd(a, b0, c60); c61 = Vector512.FusedMultiplyAdd(a, b1, c61);
            a = Vector512.Create(ap[7]); c70 = Vector512.FusedMultiplyAdd(a, b0, c70); c71 = Vector512.FusedMultiplyAdd(a, b1, c71);
            a = Vector512.Create(ap[8]); c80 = Vector512.FusedMultiplyAdd(a, b0, c80); c81 = Vector512.FusedMultiplyAdd(a, b1, c81);
            a = Vector512.Create(ap[9]); c90 = Vector512.FusedMultiplyAdd(a, b0, c90); c91 = Vector512.FusedMultiplyAdd(a, b1, c91);
            a = Vector512.Create(ap[10]); ca0 = Vector512.FusedMultiplyAdd(a, b0, ca0); ca1 = Vector512.FusedMultiplyAdd(a, b1, ca1);
            a = Vector512.Create(ap[11]); cb0 = Vector512.FusedMultiplyAdd(a, b0, cb0); cb1 = Vector512.FusedMultiplyAdd(a, b1, cb1);
        }
        if (n == 32)
        {
            // Full width: the valid rows take vector stores (M = 32, 64, 128 are not multiples of 12).
            Store(c, c00, c01, accumulate);
            if (m > 1) Store(c + ldc, c10, c11, accumulate);
            if (m > 2) Store(c + 2L * ldc, c20, c21, accumulate);
            if (m > 3) Store(c + 3L * ldc, c30, c31, accumulate);
            if (m > 4) Store(c + 4L * ldc, c40, c41, accumulate);
            if (m > 5) Store(c + 5L * ldc, c50, c51, accumulate);
            if (m > 6) Store(c + 6L * ldc, c60, c61, accumulate);
            if (m > 7) Store(c + 7L * ldc, c70, c71, accumulate);
            if (m > 8) Store(c + 8L * ldc, c80, c81, accumulate);
            if (m > 9) Store(c + 9L * ldc, c90, c91, accumulate);
            if (m > 10) Store(c + 10L * ldc, ca0, ca1, accumulate);
            if (m > 11) Store(c + 11L * ldc, cb0, cb1, accumulate);
            return;
        }
        // Edge tile (fewer than 32 columns): spill to a stack tile and copy the valid m x n corner.
        float* t = stackalloc float[12 * 32];
        c00.Store(t); c01.Store(t + 16); c10.Store(t + 32); c11.Store(t + 48); c20.Store(t + 64); c21.Store(t + 80);
        c30.Store(t + 96); c31.Store(t + 112); c40.Store(t + 128); c41.Store(t + 144); c50.Store(t + 160); c51.Store(t + 176);
        c60.Store(t + 192); c61.Store(t + 208); c70.Store(t + 224); c71.Store(t + 240); c80.Store(t + 256); c81.Store(t + 272);
        c90.Store(t + 288); c91.Store(t + 304); ca0.Store(t + 320); ca1.Store(t + 336); cb0.Store(t + 352); cb1.Store(t + 368);
        MicroKernel.CopyEdge(t, 32, c, ldc, m, n, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> lo, Vector512<float> hi, bool accumulate)
    {
        Checked.Write(c, 32);
        if (accumulate) { lo += Vector512.Load(c); hi += Vector512.Load(c + 16); }
        lo.Store(c); hi.Store(c + 16);
    }
}
