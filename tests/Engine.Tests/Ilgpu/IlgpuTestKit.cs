using Engine.Kernels.Ilgpu;

namespace Engine.Tests.Ilgpu;

/// <summary>
/// One ILGPU CPU accelerator shared by every test (creating one costs seconds), and helpers that
/// build the same inputs on the CPU backend and on the device and compare the results.
/// </summary>
public static class IlgpuTestKit
{
    private static readonly Lazy<Device> Lazy = new(Device.IlgpuCpu);
    public static Device Dev => Lazy.Value;
    /// <summary>The device's backend (its forward primitives and its hand-written gradients and cells).</summary>
    public static IlgpuBackend Gpu => (IlgpuBackend)Dev.Backend;
    public static Engine.Kernels.Cpu.CpuBackend Cpu => Engine.Kernels.Cpu.CpuBackend.Instance;

    /// <summary>Random normal values (fixed seed per call site via the seed argument).</summary>
    public static float[] Values(int n, int seed, float scale = 1f)
    {
        var g = new Generator(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)g.NextGaussian() * scale;
        return v;
    }

    /// <summary>The same random tensor on the CPU and on the device.</summary>
    public static (Tensor cpu, Tensor gpu) Pair(int seed, params int[] shape)
    {
        var s = new Shape(shape);
        var v = Values(s.Numel, seed);
        return (Tensor.FromArray(v, shape, Device.Cpu), Tensor.FromArray(v, shape, Dev));
    }

    public static (Tensor cpu, Tensor gpu) IntPair(int[] values, params int[] shape) =>
        (Tensor.Create(Cpu.Upload(values), Layout.Contiguous(new Shape(shape))), Tensor.Create(Gpu.Upload(values), Layout.Contiguous(new Shape(shape))));

    /// <summary>The same view (permute, slice, expand) applied to both tensors of a pair.</summary>
    public static (Tensor cpu, Tensor gpu) View((Tensor cpu, Tensor gpu) p, Func<Layout, Layout> f) =>
        (Tensor.Create(p.cpu.Storage, f(p.cpu.Layout)), Tensor.Create(p.gpu.Storage, f(p.gpu.Layout)));

    /// <summary>|expected - actual| &lt;= atol + rtol * |expected| elementwise, with shapes equal; names the first bad element.</summary>
    public static void Close(Tensor expected, Tensor actual, float atol = 1e-5f, float rtol = 1e-4f, string what = "")
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.DType, actual.DType);
        Assert.Equal(Dev, actual.Device);
        if (expected.DType == DType.Int32) { Assert.Equal(expected.ToIntArray(), actual.ToIntArray()); return; }
        Close(expected.ToArray(), actual.ToArray(), atol, rtol, what);
    }

    public static void Close(float[] e, float[] a, float atol = 1e-5f, float rtol = 1e-4f, string what = "")
    {
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++)
        {
            bool ok = float.IsNaN(e[i]) ? float.IsNaN(a[i]) : e[i] == a[i] || MathF.Abs(e[i] - a[i]) <= atol + rtol * MathF.Abs(e[i]);
            if (!ok) Assert.Fail($"{what} element {i}: expected {e[i]:G9}, got {a[i]:G9} (atol {atol}, rtol {rtol})");
        }
    }
}

/// <summary>A fact that runs only where a CUDA device exists; elsewhere it is reported as skipped.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute() { if (IlgpuDevices.Count(DeviceType.Cuda) == 0) Skip = "no CUDA device on this machine"; }
}

/// <summary>A fact that runs only where an OpenCL GPU exists.</summary>
public sealed class OpenCLFactAttribute : FactAttribute
{
    public OpenCLFactAttribute() { if (IlgpuDevices.Count(DeviceType.OpenCL) == 0) Skip = "no OpenCL GPU on this machine"; }
}
