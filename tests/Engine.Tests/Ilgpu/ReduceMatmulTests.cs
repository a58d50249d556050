using Engine.Kernels.Ilgpu;
using static Engine.Tests.Ilgpu.IlgpuTestKit;

namespace Engine.Tests.Ilgpu;

// Reductions, softmax and GEMM on ILGPU's CPU accelerator against the CPU backend.
// Tolerances: sums 1e-4 abs + 1e-4 rel (tree order differs from the CPU's); max/min/argmax exact;
// matmul 1e-4 * sqrt(K) abs + 1e-4 rel with N(0,1) inputs (float rounding grows like sqrt(K)).
[Collection("ilgpu")]
public class ReduceMatmulTests
{
    [Theory]
    [InlineData(ReduceKind.Sum)]
    [InlineData(ReduceKind.Max)]
    [InlineData(ReduceKind.Min)]
    public void ReduceOverSeveralDimsMatchesCpu(ReduceKind kind)
    {
        var p = Pair(20, 3, 5, 4, 6);
        foreach (var (dims, keep) in new[] { (new[] { 1 }, false), (new[] { 0, 2 }, true), (new[] { 1, 3 }, false), (new[] { 0, 1, 2, 3 }, false), (new[] { 3 }, true) })
            Close(Cpu.Reduce(kind, p.cpu, dims, keep), Gpu.Reduce(kind, p.gpu, dims, keep), 1e-4f, 1e-4f, $"{kind} over [{string.Join(",", dims)}]");
        // A long row (more than one group's worth of elements per thread) and a transposed input.
        var l = Pair(21, 2, 1000);
        Close(Cpu.Reduce(kind, l.cpu, [1], false), Gpu.Reduce(kind, l.gpu, [1], false), 1e-3f, 1e-4f);
        var t = View(Pair(22, 7, 9), x => x.Transpose(0, 1));
        Close(Cpu.Reduce(kind, t.cpu, [1], false), Gpu.Reduce(kind, t.gpu, [1], false), 1e-4f, 1e-4f);
    }

    [Fact]
    public void MaxPropagatesNaN()
    {
        foreach (var n in new[] { 4, 100 })   // the thread-per-row and the grouped kernels
        {
            var v = Enumerable.Range(0, n).Select(i => (float)i).ToArray(); v[1] = float.NaN;
            var t = Tensor.FromArray(v, [1, n], Dev);
            Assert.True(float.IsNaN(Gpu.Reduce(ReduceKind.Max, t, [1], false).Item()));
            Assert.Equal(1, Gpu.ArgReduce(true, t, 1, false).ToIntArray()[0]);
        }
    }

    [Fact]
    public void ArgReduceMatchesCpuWithTiesFirst()
    {
        var p = Pair(23, 4, 300);
        foreach (var max in new[] { true, false })
            foreach (var dim in new[] { 0, 1 })
                Close(Cpu.ArgReduce(max, p.cpu, dim, dim == 1), Gpu.ArgReduce(max, p.gpu, dim, dim == 1));
        var ties = IntPair([0], 1);
        var tt = (Tensor.FromArray([2f, 5, 5, 1, 5], 5), Tensor.FromArray([2f, 5, 5, 1, 5], [5], Dev));
        Assert.Equal(1, Gpu.ArgReduce(true, tt.Item2, 0, false).ToIntArray()[0]);
        Assert.Equal(3, Gpu.ArgReduce(false, tt.Item2, 0, false).ToIntArray()[0]);
        Assert.Equal(ties.cpu.ToIntArray(), ties.gpu.ToIntArray());
    }

    [Fact]
    public void SoftmaxAndLogSoftmaxMatchCpuOnEveryDim()
    {
        var p = Pair(24, 3, 7, 5);
        foreach (var log in new[] { false, true })
            for (int d = 0; d < 3; d++)
                Close(Cpu.Softmax(p.cpu, d, log), Gpu.Softmax(p.gpu, d, log), 1e-5f, 1e-4f, $"dim {d} log {log}");
        var wide = Pair(32, 3, 100);      // rows longer than RowKernels.MaxRow: the grouped kernel
        foreach (var log in new[] { false, true })
            Close(Cpu.Softmax(wide.cpu, 1, log), Gpu.Softmax(wide.gpu, 1, log), 1e-5f, 1e-4f, $"wide log {log}");
        var inf = Tensor.FromArray([float.NegativeInfinity, float.NegativeInfinity, 0f, 1f], [2, 2], Dev);
        var cinf = Tensor.FromArray([float.NegativeInfinity, float.NegativeInfinity, 0f, 1f], 2, 2);
        Close(Cpu.Softmax(cinf, 1, true), Gpu.Softmax(inf, 1, true));
    }

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(1, 65, 70, 63)]      // odd sizes straddling the 64 tile
    [InlineData(3, 17, 5, 129)]
    [InlineData(2, 128, 33, 64)]
    [InlineData(2, 20, 1500, 30)]    // few tiles, deep K: split-K (partial products, then a sum)
    public void MatmulMatchesCpuOnOddSizes(int B, int M, int K, int N)
    {
        if (K >= 1000) Assert.True(Gpu.SplitK(B, K) > 1, "this case should take the split-K path");
        var a = Pair(25, B, M, K); var b = Pair(26, B, K, N);
        Close(Cpu.Matmul(a.cpu, b.cpu), Gpu.Matmul(a.gpu, b.gpu), 1e-4f * MathF.Sqrt(K), 1e-4f);
    }

    [Fact]
    public void MatmulReadsTransposedAndBatchBroadcastOperands()
    {
        var at = View(Pair(27, 2, 40, 30), l => l.Transpose(1, 2));          // [2,30,40], column-major
        var bb = View(Pair(28, 1, 40, 50), l => l.Expand(new Shape(2, 40, 50)));   // batch stride 0
        Close(Cpu.Matmul(at.cpu, bb.cpu), Gpu.Matmul(at.gpu, bb.gpu), 1e-4f, 1e-4f);
        var bt = View(Pair(29, 2, 50, 40), l => l.Transpose(1, 2));
        Close(Cpu.Matmul(at.cpu, bt.cpu), Gpu.Matmul(at.gpu, bt.gpu), 1e-4f, 1e-4f);
    }

    [Fact]
    public void TiledGemmMatchesTheNaiveKernel()
    {
        var be = (IlgpuBackend)Gpu;
        int B = 2, M = 70, K = 45, N = 81;
        var a = Pair(30, B, M, K).gpu; var b = Pair(31, B, K, N).gpu;
        var fast = Tensor.Zeros(new Shape(B, M, N), Dev); var naive = Tensor.Zeros(new Shape(B, M, N), Dev);
        be.Gemm(IlgpuBackend.F(a), IlgpuBackend.Desc(a.Layout), IlgpuBackend.F(b), IlgpuBackend.Desc(b.Layout), IlgpuBackend.F(fast), B, M, N, K);
        be.GemmNaive(IlgpuBackend.F(a), IlgpuBackend.Desc(a.Layout), IlgpuBackend.F(b), IlgpuBackend.Desc(b.Layout), IlgpuBackend.F(naive), B, M, N, K);
        Close(naive.ToArray(), fast.ToArray(), 1e-4f, 1e-4f);
        // And both against the double-precision triple loop of the CPU backend.
        var host = global::Engine.Kernels.Cpu.CpuBackend.MatmulNaive(a.ToArray()[..(M * K)], b.ToArray()[..(K * N)], M, K, N);
        Close(host, fast.ToArray()[..(M * N)], 1e-4f, 1e-4f);
    }
}
