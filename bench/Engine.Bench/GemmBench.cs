using BenchmarkDotNet.Attributes;
using Engine.Kernels.Cpu;

namespace Engine.Bench;

/// <summary>
/// The packed SGEMM against the old row-axpy kernel, square sizes and the linear layer's transposed-weight shape.
/// dotnet run -c Release --project bench/Engine.Bench -- --filter *GemmBench*
/// </summary>
[MemoryDiagnoser]
public class GemmBench
{
    [Params(256, 512, 1024)] public int N;
    private Tensor _a = null!, _b = null!, _w = null!;
    private float[] _y = null!;

    [GlobalSetup]
    public void Setup()
    {
        _a = Tensor.Randn(1, N, N); _b = Tensor.Randn(1, N, N); _w = Tensor.Randn(N, N);
        _y = new float[N * N];
    }

    [Benchmark(Baseline = true)]
    public void RowAxpyBaseline() => RowAxpy.Run(CpuBackend.F(_a), CpuBackend.F(_b), _y, N, N, N);

    [Benchmark]
    public void Packed() => CpuBackend.MatmulPacked(CpuBackend.F(_a), _a.Layout, CpuBackend.F(_b), _b.Layout, _y, 1, N, N, N);

    /// <summary>x @ W^T: B read through a transposed view, absorbed by the packing.</summary>
    [Benchmark]
    public void PackedTransposedB()
    {
        var wt = _w.T.Unsqueeze(0);
        CpuBackend.MatmulPacked(CpuBackend.F(_a), _a.Layout, CpuBackend.F(wt), wt.Layout, _y, 1, N, N, N);
    }
}
