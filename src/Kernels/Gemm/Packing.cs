using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
namespace Engine.Kernels.Gemm;

// Packing of GEMM operands into the panel order the micro-kernel streams (BLIS).
//   A block [mc, kc] (element (i,k) at a[i*rsA + k*csA]) -> panels of MR rows: ap[panel][k][MR]
//   B block [kc, nc] (element (k,j) at b[k*rsB + j*csB]) -> panels of NR cols: bp[panel][k][NR]
// MR and NR are the tile's (ITile: 6 x 16 at AVX2, 12 x 32 at AVX-512); NR is a multiple of 8.
// Rows / columns past the edge are zero-filled, so the micro-kernel always runs a full MR x NR tile.
// Any strides work (transposed operands, broadcast stride 0): the packing absorbs them, with a
// contiguous fast path for the two common orders.
internal static unsafe class Packing
{
    /// <summary>An A block [mc, kc] into panels ap[panel][k][MR] (rows past mc zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(float* a, int rsA, int csA, int mc, int kc, float* ap, int MR)
    {
        for (int i0 = 0; i0 < mc; i0 += MR)
        {
            int m = Math.Min(MR, mc - i0);
            float* src = a + (long)i0 * rsA;
            Mem.Writes(ap, (long)kc * MR);
            CheckedStrided(src, m, rsA, kc, csA);
            if (m == MR && rsA == 1)
            {
                // A^T storage: the MR rows of one column k are adjacent.
                for (int k = 0; k < kc; k++, ap += MR)
                    new ReadOnlySpan<float>(src + (long)k * csA, MR).CopyTo(new Span<float>(ap, MR));
            }
            else if (m == MR && csA == 1 && MR == 6)
            {
                // Row-major A: read six rows side by side.
                float* r0 = src, r1 = src + rsA, r2 = src + 2L * rsA, r3 = src + 3L * rsA, r4 = src + 4L * rsA, r5 = src + 5L * rsA;
                for (int k = 0; k < kc; k++, ap += MR)
                {
                    ap[0] = r0[k]; ap[1] = r1[k]; ap[2] = r2[k]; ap[3] = r3[k]; ap[4] = r4[k]; ap[5] = r5[k];
                }
            }
            else if (m == MR && csA == 1)
            {
                // Row-major A, any MR: row by row, each written with stride MR.
                for (int i = 0; i < MR; i++)
                {
                    float* r = src + (long)i * rsA, d = ap + i;
                    for (int k = 0; k < kc; k++) d[k * MR] = r[k];
                }
                ap += (long)kc * MR;
            }
            else
            {
                for (int k = 0; k < kc; k++, ap += MR)
                {
                    int i = 0;
                    for (; i < m; i++) ap[i] = src[(long)i * rsA + (long)k * csA];
                    for (; i < MR; i++) ap[i] = 0f;
                }
            }
        }
    }

    /// <summary>One NR-column panel: bp[k][NR] for k &lt; kc, n valid columns (the rest zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackBPanel(float* src, int rsB, int csB, int kc, int n, float* bp, int NR)
    {
        Mem.Writes(bp, (long)kc * NR);
        CheckedStrided(src, kc, rsB, n, csB);
        if (n == NR && csB == 1)
        {
            for (int k = 0; k < kc; k++, bp += NR)
            {
                float* s = src + (long)k * rsB;
                for (int j = 0; j < NR; j += 8) Mem.Store(Mem.Load(s + j), bp + j);
            }
        }
        else if (rsB == 1 && n == NR && Avx.IsSupported)
        {
            // B^T storage, full panel: 8 k x 8 columns at a time through an in-register 8x8 transpose
            // (contiguous column loads -> row stores), the scalar loop below for the k tail.
            int k = 0;
            for (; k <= kc - 8; k += 8, bp += 8 * NR)
                for (int j = 0; j < NR; j += 8)
                    Transpose8x8Store(src + (long)j * csB + k, csB, bp + j, NR);
            for (; k < kc; k++, bp += NR)
                for (int j = 0; j < NR; j++) bp[j] = src[(long)j * csB + k];
        }
        else if (rsB == 1)
        {
            // B^T storage (e.g. x @ W^T): each column is contiguous in k; write it with stride NR.
            for (int j = 0; j < n; j++)
            {
                float* s = src + (long)j * csB; float* d = bp + j;
                for (int k = 0; k < kc; k++) d[k * NR] = s[k];
            }
            for (int j = n; j < NR; j++)
                for (int k = 0; k < kc; k++) bp[k * NR + j] = 0f;
        }
        else
        {
            for (int k = 0; k < kc; k++, bp += NR)
            {
                float* s = src + (long)k * rsB;
                int j = 0;
                for (; j < n; j++) bp[j] = s[(long)j * csB];
                for (; j < NR; j++) bp[j] = 0f;
            }
        }
    }

    /// <summary>Checked build: the rows x cols block with strides (rs, cs) from p lies in one buffer (strides >= 0).</summary>
    private static void CheckedStrided(float* p, int rows, int rs, int cols, int cs)
    {
        if (Checked.Enabled && rows > 0 && cols > 0) Mem.Reads(p, (long)(rows - 1) * rs + (long)(cols - 1) * cs + 1);
    }

    /// <summary>
    /// dst[k*ldd + j] = src[j*lds + k] for j, k &lt; 8: eight 8-float rows loaded, transposed in registers
    /// (unpack, shuffle, 128-bit lane permute: the standard AVX sequence), stored as eight rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8Store(float* src, int lds, float* dst, int ldd)
    {
        var r0 = Mem.Load(src); var r1 = Mem.Load(src + lds);
        var r2 = Mem.Load(src + 2L * lds); var r3 = Mem.Load(src + 3L * lds);
        var r4 = Mem.Load(src + 4L * lds); var r5 = Mem.Load(src + 5L * lds);
        var r6 = Mem.Load(src + 6L * lds); var r7 = Mem.Load(src + 7L * lds);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Mem.StoreAt(dst, Avx.Permute2x128(u0, u4, 0x20)); Mem.StoreAt(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Mem.StoreAt(dst + 2L * ldd, Avx.Permute2x128(u2, u6, 0x20)); Mem.StoreAt(dst + 3L * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Mem.StoreAt(dst + 4L * ldd, Avx.Permute2x128(u0, u4, 0x31)); Mem.StoreAt(dst + 5L * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Mem.StoreAt(dst + 6L * ldd, Avx.Permute2x128(u2, u6, 0x31)); Mem.StoreAt(dst + 7L * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }
}
