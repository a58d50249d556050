using ILGPU;

namespace Engine.Kernels.Ilgpu;

/// <summary>A strided matrix batch: element [b, i, j] at Off + b*SB + i*SR + j*SC (SB = 0 broadcasts the batch).</summary>
public struct MatDesc
{
    public int Off, SB, SR, SC;
    public MatDesc(int off, int sb, int sr, int sc) { Off = off; SB = sb; SR = sr; SC = sc; }
}

/// <summary>
/// GEMM kernels. Shape letters: B batch, M rows of a and y, K inner, N columns of b and y.
/// </summary>
internal static class GemmKernels
{
    /// <summary>Output tile of one thread group: 64 x 64; inner-dimension step 16.</summary>
    public const int Tile = 64, Step = 16, Threads = 256;
    // A tile is stored k-major with a row of 65 floats: threads that store consecutive k of one
    // row of a land in different banks (a stride of 64 would put all 16 in one bank).
    private const int APitch = Tile + 1;

    /// <summary>
    /// y[b] = a[b] x b[b], explicitly grouped: a 16x16 group of 256 threads computes a 64x64 tile of y;
    /// each thread owns a 4x4 block of it (rows ty + 16i, columns tx + 16j) held in 16 registers.
    /// Per step of 16 along K the group stages a 64x16 tile of a and a 16x64 tile of b in shared
    /// memory (4 loads per thread each, zero-padded at the edges), then does 16 x 16 FMAs per thread
    /// from shared memory. Grid: (ceil(N/64), ceil(M/64), B). y is dense [B, M, N].
    /// </summary>
    public static void Tiled(ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, MatDesc da, MatDesc db, int M, int N, int K)
    {
        var As = SharedMemory.Allocate<float>(Step * APitch);
        var Bs = SharedMemory.Allocate<float>(Step * Tile);
        int t = Group.IdxX, tx = t % 16, ty = t / 16;
        int n0 = Grid.IdxX * Tile, m0 = Grid.IdxY * Tile, bi = Grid.IdxZ;
        int aBase = da.Off + bi * da.SB, bBase = db.Off + bi * db.SB;

        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;

        for (int k0 = 0; k0 < K; k0 += Step)
        {
            for (int l = 0; l < 4; l++)
            {
                // a tile: element e -> row e/16, k e%16 (k fastest: coalesced for row-major a).
                int e = t + Threads * l, am = e >> 4, ak = e & 15;
                int gm = m0 + am, gk = k0 + ak;
                As[ak * APitch + am] = gm < M && gk < K ? a[aBase + gm * da.SR + gk * da.SC] : 0f;
                // b tile: element e -> k e/64, column e%64 (column fastest: coalesced for row-major b).
                int bk = e >> 6, bn = e & 63;
                int hk = k0 + bk, hn = n0 + bn;
                Bs[bk * Tile + bn] = hk < K && hn < N ? b[bBase + hk * db.SR + hn * db.SC] : 0f;
            }
            Group.Barrier();
            for (int kk = 0; kk < Step; kk++)
            {
                int ar = kk * APitch + ty, br = kk * Tile + tx;
                float a0 = As[ar], a1 = As[ar + 16], a2 = As[ar + 32], a3 = As[ar + 48];
                float b0 = Bs[br], b1 = Bs[br + 16], b2 = Bs[br + 32], b3 = Bs[br + 48];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }

        long yb = (long)bi * M * N;
        Store(y, yb, M, N, m0 + ty, n0 + tx, c00, c01, c02, c03);
        Store(y, yb, M, N, m0 + ty + 16, n0 + tx, c10, c11, c12, c13);
        Store(y, yb, M, N, m0 + ty + 32, n0 + tx, c20, c21, c22, c23);
        Store(y, yb, M, N, m0 + ty + 48, n0 + tx, c30, c31, c32, c33);
    }

    private static void Store(ArrayView<float> y, long yb, int M, int N, int m, int n, float v0, float v1, float v2, float v3)
    {
        if (m >= M) return;
        long r = yb + (long)m * N;
        if (n < N) y[r + n] = v0;
        if (n + 16 < N) y[r + n + 16] = v1;
        if (n + 32 < N) y[r + n + 32] = v2;
        if (n + 48 < N) y[r + n + 48] = v3;
    }

    /// <summary>The naive reference: one thread per output element, a plain dot product (auto-grouped; index = (b*M + i)*N + j).</summary>
    public static void Naive(Index1D idx, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, MatDesc da, MatDesc db, int M, int N, int K)
    {
        int j = idx % N, i = idx / N % M, bi = idx / N / M;
        float s = 0;
        for (int k = 0; k < K; k++)
            s += a[da.Off + bi * da.SB + i * da.SR + k * da.SC] * b[db.Off + bi * db.SB + k * db.SR + j * db.SC];
        y[idx] = s;
    }
}
