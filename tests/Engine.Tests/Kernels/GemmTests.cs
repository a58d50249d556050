using Engine.Kernels.Cpu;
using Engine.Kernels.Gemm;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Engine.Tests.Kernels;

// The packed SGEMM against the double-precision triple loop (CpuBackend.MatmulNaive).
public class GemmTests
{
    /// <summary>C = A*B with A, B stored row-major or transposed, optionally accumulating into a prefilled C with a wider ldc.</summary>
    private static unsafe void Check(int M, int K, int N, bool transA, bool transB, bool accumulate, int seed)
    {
        var a = KernelAssert.Random(M * K, seed); var b = KernelAssert.Random(K * N, seed + 1);
        var want = CpuBackend.MatmulNaive(a, b, M, K, N);
        // Stored copies in the requested order: A^T is [K,M] row-major, B^T is [N,K] row-major.
        var aS = transA ? Transpose(a, M, K) : a; var bS = transB ? Transpose(b, K, N) : b;
        int ldc = N + 3;
        var c = new float[M * ldc];
        var prior = KernelAssert.Random(M * ldc, seed + 2);
        if (accumulate) prior.CopyTo(c, 0);
        fixed (float* pa = aS, pb = bS, pc = c)
        {
            using var ra = Engine.Kernels.Checked.Region(pa, aS.Length, "test A"); using var rb = Engine.Kernels.Checked.Region(pb, bS.Length, "test B");
            using var rc = Engine.Kernels.Checked.Region(pc, c.Length, "test C");
            Sgemm.Run(M, N, K, pa, transA ? 1 : K, transA ? M : 1, pb, transB ? 1 : N, transB ? K : 1, pc, ldc, accumulate);
        }
        var got = new float[M * N];
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                got[i * N + j] = c[i * ldc + j] - (accumulate ? prior[i * ldc + j] : 0f);
        KernelAssert.Close(want, got, 1e-4f * MathF.Sqrt(K + 1), $"sgemm {M}x{K}x{N} transA={transA} transB={transB} acc={accumulate}");
        // Padding columns between N and ldc are never written.
        for (int i = 0; i < M; i++)
            for (int j = N; j < ldc; j++)
                Assert.Equal(accumulate ? prior[i * ldc + j] : 0f, c[i * ldc + j]);
    }

    private static float[] Transpose(float[] x, int r, int c)
    {
        var t = new float[x.Length];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) t[j * r + i] = x[i * c + j];
        return t;
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(1, 37, 300)]    // 1 x N
    [InlineData(300, 37, 1)]    // N x 1
    [InlineData(6, 256, 16)]    // exactly one tile and one KC block
    [InlineData(7, 257, 17)]    // one past every block edge
    [InlineData(145, 513, 33)]  // past MCMax and two KC blocks
    [InlineData(64, 0, 5)]      // empty inner dimension: C = 0
    [InlineData(130, 70, 260)]  // parallel path
    [InlineData(100, 600, 300)] // parallel, few rows: A packed once and shared by column tasks, three KC blocks
    [InlineData(290, 300, 100)] // parallel, two row blocks, columns split, partial last K block
    public void MatchesNaive(int M, int K, int N)
    {
        foreach (var ta in new[] { false, true })
            foreach (var tb in new[] { false, true })
            {
                Check(M, K, N, ta, tb, false, M * 7 + K);
                Check(M, K, N, ta, tb, true, M * 7 + K + 1);
            }
    }

    /// <summary>
    /// Every packing buffer holds its n floats from the first 64-byte boundary. A buffer allocated for m floats (m + 16
    /// long) was reused for up to m + 16 floats and written up to 15 floats past its end whenever its data did not start
    /// on a cache line (issue 14: the corrupted pinned heap that crashed the test host). The sizes grow by one float so
    /// that every request lands in the reuse window of the one before.
    /// </summary>
    [Fact]
    public unsafe void PackingBuffersHoldTheirFloatsAfterAlignment()
    {
        for (long n = 1000; n < 1400; n++)
        {
            var buf = Sgemm.Buffer(Engine.Kernels.Conv.Scratch.GemmAAll, n);
            fixed (float* p = buf)
            {
                long offset = Sgemm.Align64(p) - p;
                Assert.True(offset + n <= buf.Length, $"n {n}: aligned start {offset} + {n} floats > length {buf.Length}");
            }
        }
    }

    /// <summary>
    /// The same reuse window through the GEMM itself, on a fresh thread (fresh per-thread buffers): B packs of K*16 floats
    /// for K = 64, 65, 66, ... (1024, 1040, 1056, ...), so that every other pack reuses a buffer of exactly its size, over
    /// some twenty buffers with their own alignments. In the checked build the packing's stores past a buffer fail here.
    /// </summary>
    [Fact]
    public void GemmsThatReuseAPackingBufferStayInsideIt()
    {
        Exception? error = null;
        var t = new Thread(() =>
        {
            try
            {
                for (int k = 64; k < 104; k++)
                    Check(1, k, 16, false, false, false, k);
            }
            catch (Exception e) { error = e; }
        });
        t.Start(); t.Join();
        if (error != null) throw new Xunit.Sdk.XunitException($"GEMM on a fresh thread failed: {error}");
    }

    [Property(MaxTest = 60)]
    public Property RandomSizes() =>
        Prop.ForAll(Gen.Choose(1, 70).ToArbitrary(), Gen.Choose(1, 300).ToArbitrary(), Gen.Choose(8, 8 * 70 + 7).ToArbitrary(), (m, k, nf) =>
            {
                int n = nf / 8, flags = nf % 8; // columns and (transA, transB, accumulate) bits in one draw
                Check(m, k, n, (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, m * 31 + k * 7 + n);
            });

    [Fact]
    public void BackendMatmulHandlesTransposedStridedAndBroadcastBatches()
    {
        // a: [3,5,9] viewed through a permute (k-major storage); b: one [9,20] matrix broadcast over the batch (stride 0),
        // itself a transposed view.
        var aStore = Tensor.FromArray(KernelAssert.Random(3 * 9 * 5, 11), 3, 9, 5);
        var a = aStore.Transpose(1, 2);
        var bStore = Tensor.FromArray(KernelAssert.Random(20 * 9, 12), 20, 9);
        var b = bStore.T.Unsqueeze(0).Expand(3, 9, 20);
        var y = a.Matmul(b).ToArray();
        var av = a.Contiguous().ToArray(); var bv = bStore.T.Contiguous().ToArray();
        for (int i = 0; i < 3; i++)
        {
            var want = CpuBackend.MatmulNaive(av[(i * 45)..((i + 1) * 45)], bv, 5, 9, 20);
            KernelAssert.Close(want, y[(i * 100)..((i + 1) * 100)], 1e-5f, $"batch {i}");
        }
    }

    [Fact]
    public void BackendMatmulLargeBatchOfSmallMatrices()
    {
        // 40 products of [33,50]x[50,47]: the batch-parallel path.
        var a = Tensor.FromArray(KernelAssert.Random(40 * 33 * 50, 3), 40, 33, 50);
        var b = Tensor.FromArray(KernelAssert.Random(40 * 50 * 47, 4), 40, 50, 47);
        var y = a.Matmul(b).ToArray(); var av = a.ToArray(); var bv = b.ToArray();
        for (int i = 0; i < 40; i++)
            KernelAssert.Close(CpuBackend.MatmulNaive(av[(i * 1650)..((i + 1) * 1650)], bv[(i * 2350)..((i + 1) * 2350)], 33, 50, 47),
                y[(i * 1551)..((i + 1) * 1551)], 1e-5f, $"batch {i}");
    }
}
