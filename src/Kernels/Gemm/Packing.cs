using System.Runtime.CompilerServices;
namespace Engine.Kernels.Gemm;

// Packing of GEMM operands into the panel order the micro-kernel streams (BLIS).
//   A block [mc, kc] (element (i,k) at a[i*rsA + k*csA]) -> panels of MR rows: ap[panel][k][MR]
//   B block [kc, nc] (element (k,j) at b[k*rsB + j*csB]) -> panels of NR cols: bp[panel][k][NR]
// Rows / columns past the edge are zero-filled, so the micro-kernel always runs a full MR x NR tile.
// Any strides work (transposed operands, broadcast stride 0): the packing absorbs them, with a
// contiguous fast path for the two common orders.
internal static unsafe class Packing
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(float* a, int rsA, int csA, int mc, int kc, float* ap)
    {
        const int MR = Sgemm.MR;
        for (int i0 = 0; i0 < mc; i0 += MR)
        {
            int m = Math.Min(MR, mc - i0);
            float* src = a + (long)i0 * rsA;
            if (m == MR && rsA == 1)
            {
                // A^T storage: the MR rows of one column k are adjacent.
                for (int k = 0; k < kc; k++, ap += MR)
                {
                    float* s = src + (long)k * csA;
                    ap[0] = s[0]; ap[1] = s[1]; ap[2] = s[2]; ap[3] = s[3]; ap[4] = s[4]; ap[5] = s[5];
                }
            }
            else if (m == MR && csA == 1)
            {
                // Row-major A: read six rows side by side.
                float* r0 = src, r1 = src + rsA, r2 = src + 2L * rsA, r3 = src + 3L * rsA, r4 = src + 4L * rsA, r5 = src + 5L * rsA;
                for (int k = 0; k < kc; k++, ap += MR)
                {
                    ap[0] = r0[k]; ap[1] = r1[k]; ap[2] = r2[k]; ap[3] = r3[k]; ap[4] = r4[k]; ap[5] = r5[k];
                }
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

    public static void PackB(float* b, int rsB, int csB, int kc, int nc, float* bp)
    {
        const int NR = Sgemm.NR;
        for (int j0 = 0; j0 < nc; j0 += NR)
            PackBPanel(b + (long)j0 * csB, rsB, csB, kc, Math.Min(NR, nc - j0), bp + (long)j0 * kc);
    }

    /// <summary>One NR-column panel: bp[k][NR] for k &lt; kc, n valid columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackBPanel(float* src, int rsB, int csB, int kc, int n, float* bp)
    {
        const int NR = Sgemm.NR;
        if (n == NR && csB == 1)
        {
            for (int k = 0; k < kc; k++, bp += NR)
            {
                float* s = src + (long)k * rsB;
                System.Runtime.Intrinsics.Vector256.Store(System.Runtime.Intrinsics.Vector256.Load(s), bp);
                System.Runtime.Intrinsics.Vector256.Store(System.Runtime.Intrinsics.Vector256.Load(s + 8), bp + 8);
            }
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
}
