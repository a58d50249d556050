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
    /// <summary>Output tile of one thread group: 64 x 64; inner-dimension step 16; 64 threads (8 x 8).</summary>
    public const int Tile = 64, Step = 16, Threads = 64;
    // A tile is stored k-major with a row of 65 floats: threads that store consecutive k of one
    // row of a land in different banks (a stride of 64 would put all 16 in one bank).
    private const int APitch = Tile + 1;

    /// <summary>
    /// y[b] = a[b] x b[b], explicitly grouped: an 8x8 group of 64 threads computes a 64x64 tile of y;
    /// each thread owns an 8x8 block of it (rows ty + 8i, columns tx + 8j) held in 64 registers, so
    /// every value read from shared memory feeds 8 FMAs. Per step of 16 along K the group stages a
    /// 64x16 tile of a and a 16x64 tile of b in shared memory (16 loads per thread each, zero-padded
    /// at the edges), then each thread does 16 x 64 FMAs. Grid: (ceil(N/64), ceil(M/64), B); y is
    /// dense [B, M, N]. (The accumulator lines are written out: ILGPU keeps named locals in registers,
    /// while a local array could live in local memory.)
    /// </summary>
    /// <remarks>
    /// Split-K: with kSplit &gt; 1 grid z runs over (batch, part) pairs and part p covers k in
    /// [p*kLen, (p+1)*kLen); y is then [B*kSplit, M, N] partial products, summed by <see cref="SumSplits"/>.
    /// This keeps the GPU busy when M x N is a few tiles but K is huge (a conv weight gradient:
    /// M x N = K x C*R*S, K = N*P*Q).
    /// </remarks>
    public static void Tiled(ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, MatDesc da, MatDesc db, int M, int N, int K, int kSplit, int kLen)
    {
        var As = SharedMemory.Allocate<float>(Step * APitch);
        var Bs = SharedMemory.Allocate<float>(Step * Tile);
        int t = Group.IdxX, tx = t & 7, ty = t >> 3;
        int n0 = Grid.IdxX * Tile, m0 = Grid.IdxY * Tile, z = Grid.IdxZ, bi = z / kSplit, part = z % kSplit;
        int aBase = da.Off + bi * da.SB, bBase = db.Off + bi * db.SB;
        int kBegin = part * kLen, kEnd = kBegin + kLen < K ? kBegin + kLen : K;

        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
        float c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
        float c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
        float c40 = 0, c41 = 0, c42 = 0, c43 = 0, c44 = 0, c45 = 0, c46 = 0, c47 = 0;
        float c50 = 0, c51 = 0, c52 = 0, c53 = 0, c54 = 0, c55 = 0, c56 = 0, c57 = 0;
        float c60 = 0, c61 = 0, c62 = 0, c63 = 0, c64 = 0, c65 = 0, c66 = 0, c67 = 0;
        float c70 = 0, c71 = 0, c72 = 0, c73 = 0, c74 = 0, c75 = 0, c76 = 0, c77 = 0;

        for (int k0 = kBegin; k0 < kEnd; k0 += Step)
        {
            for (int l = 0; l < 16; l++)
            {
                // a tile: element e -> row e/16, k e%16 (k fastest: coalesced for row-major a).
                int e = t + Threads * l, am = e >> 4, ak = e & 15;
                int gm = m0 + am, gk = k0 + ak;
                As[ak * APitch + am] = gm < M && gk < kEnd ? a[aBase + gm * da.SR + gk * da.SC] : 0f;
                // b tile: element e -> k e/64, column e%64 (column fastest: coalesced for row-major b).
                int bk = e >> 6, bn = e & 63;
                int hk = k0 + bk, hn = n0 + bn;
                Bs[bk * Tile + bn] = hk < kEnd && hn < N ? b[bBase + hk * db.SR + hn * db.SC] : 0f;
            }
            Group.Barrier();
            for (int kk = 0; kk < Step; kk++)
            {
                int ar = kk * APitch + ty, br = kk * Tile + tx;
                float a0 = As[ar], a1 = As[ar + 8], a2 = As[ar + 16], a3 = As[ar + 24], a4 = As[ar + 32], a5 = As[ar + 40], a6 = As[ar + 48], a7 = As[ar + 56];
                float b0 = Bs[br], b1 = Bs[br + 8], b2 = Bs[br + 16], b3 = Bs[br + 24], b4 = Bs[br + 32], b5 = Bs[br + 40], b6 = Bs[br + 48], b7 = Bs[br + 56];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3; c24 += a2 * b4; c25 += a2 * b5; c26 += a2 * b6; c27 += a2 * b7;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3; c34 += a3 * b4; c35 += a3 * b5; c36 += a3 * b6; c37 += a3 * b7;
                c40 += a4 * b0; c41 += a4 * b1; c42 += a4 * b2; c43 += a4 * b3; c44 += a4 * b4; c45 += a4 * b5; c46 += a4 * b6; c47 += a4 * b7;
                c50 += a5 * b0; c51 += a5 * b1; c52 += a5 * b2; c53 += a5 * b3; c54 += a5 * b4; c55 += a5 * b5; c56 += a5 * b6; c57 += a5 * b7;
                c60 += a6 * b0; c61 += a6 * b1; c62 += a6 * b2; c63 += a6 * b3; c64 += a6 * b4; c65 += a6 * b5; c66 += a6 * b6; c67 += a6 * b7;
                c70 += a7 * b0; c71 += a7 * b1; c72 += a7 * b2; c73 += a7 * b3; c74 += a7 * b4; c75 += a7 * b5; c76 += a7 * b6; c77 += a7 * b7;
            }
            Group.Barrier();
        }

        long yb = (long)z * M * N;
        Store(y, yb, M, N, m0 + ty + 0, n0 + tx, c00, c01, c02, c03, c04, c05, c06, c07);
        Store(y, yb, M, N, m0 + ty + 8, n0 + tx, c10, c11, c12, c13, c14, c15, c16, c17);
        Store(y, yb, M, N, m0 + ty + 16, n0 + tx, c20, c21, c22, c23, c24, c25, c26, c27);
        Store(y, yb, M, N, m0 + ty + 24, n0 + tx, c30, c31, c32, c33, c34, c35, c36, c37);
        Store(y, yb, M, N, m0 + ty + 32, n0 + tx, c40, c41, c42, c43, c44, c45, c46, c47);
        Store(y, yb, M, N, m0 + ty + 40, n0 + tx, c50, c51, c52, c53, c54, c55, c56, c57);
        Store(y, yb, M, N, m0 + ty + 48, n0 + tx, c60, c61, c62, c63, c64, c65, c66, c67);
        Store(y, yb, M, N, m0 + ty + 56, n0 + tx, c70, c71, c72, c73, c74, c75, c76, c77);
    }

    private static void Store(ArrayView<float> y, long yb, int M, int N, int m, int n,
        float v0, float v1, float v2, float v3, float v4, float v5, float v6, float v7)
    {
        if (m >= M) return;
        long r = yb + (long)m * N;
        if (n < N) y[r + n] = v0;
        if (n + 8 < N) y[r + n + 8] = v1;
        if (n + 16 < N) y[r + n + 16] = v2;
        if (n + 24 < N) y[r + n + 24] = v3;
        if (n + 32 < N) y[r + n + 32] = v4;
        if (n + 40 < N) y[r + n + 40] = v5;
        if (n + 48 < N) y[r + n + 48] = v6;
        if (n + 56 < N) y[r + n + 56] = v7;
    }

    /// <summary>y[b, j] = sum over p of partial[b*kSplit + p, j] (j over M*N): the second half of split-K.</summary>
    public static void SumSplits(Index1D i, ArrayView<float> partial, ArrayView<float> y, int kSplit, int mn)
    {
        int j = i % mn, b = i / mn;
        float s = 0;
        for (int p = 0; p < kSplit; p++) s += partial[((long)b * kSplit + p) * mn + j];
        y[i] = s;
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
