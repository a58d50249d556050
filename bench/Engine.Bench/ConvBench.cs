using BenchmarkDotNet.Attributes;
using Engine.Kernels.Cpu;

namespace Engine.Bench;

/// <summary>
/// Conv2d kernels (forward, input gradient, weight gradient) on the compare workloads' shapes, fast path against ConvNaive.
/// dotnet run -c Release --project bench/Engine.Bench -- --filter *ConvBench*
/// </summary>
public class ConvBench
{
    /// <summary>"N,C,K,HW,groups".</summary>
    [Params("32,3,32,32,1", "32,64,64,16,1", "32,64,64,32,64")] public string Geometry = "";
    private Tensor _x = null!, _w = null!, _b = null!, _dy = null!;
    private Conv2dArgs _args;
    private readonly CpuBackend _be = CpuBackend.Instance;

    [GlobalSetup]
    public void Setup()
    {
        var g = Geometry.Split(',').Select(int.Parse).ToArray();
        int n = g[0], c = g[1], k = g[2], hw = g[3], groups = g[4];
        _x = Tensor.Randn(n, c, hw, hw); _w = Tensor.Randn(k, c / groups, 3, 3); _b = Tensor.Randn(k);
        _dy = Tensor.Randn(n, k, hw, hw);
        _args = new Conv2dArgs(PadH: 1, PadW: 1, Groups: groups);
    }

    [Benchmark] public void Forward() => _be.Conv2d(_x, _w, _b, _args).Dispose();
    [Benchmark] public void BackwardInput() => _be.Conv2dBackwardInput(_dy, _w, _x.Shape, _args).Dispose();
    [Benchmark] public void BackwardWeight() => _be.Conv2dBackwardWeight(_dy, _x, _w.Shape, _args).Dispose();
    [Benchmark] public void ForwardNaive() => ConvNaive.Forward(_be, _x, _w, _b, _args).Dispose();
}
