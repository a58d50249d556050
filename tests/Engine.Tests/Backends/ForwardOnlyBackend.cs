using Engine.Kernels.Cpu;

namespace Engine.Tests.Backends;

/// <summary>
/// A backend with IBackend's forward primitives only, as a new device's first backend would have: no IFusedKernels, so
/// autograd composes conv and pooling gradients and the recurrent cells from primitives. It runs on host memory through
/// a CPU backend of its own device id (custom:7), so its tensors are a device apart from Device.Cpu.
/// </summary>
public sealed class ForwardOnlyBackend : IBackend
{
    private readonly CpuBackend _cpu;

    private ForwardOnlyBackend(Device device) => _cpu = new CpuBackend(device);

    /// <summary>The device, registered once for the process.</summary>
    public static Device Device { get; } = Register();

    private static Device Register()
    {
        var d = new Device(DeviceType.Custom, 7, "forward-only");
        BackendRegistry.Register(new ForwardOnlyBackend(d));
        return d;
    }

    Device IBackend.Device => _cpu.Device;
    public Storage Allocate(DType dtype, int length, bool zero) => _cpu.Allocate(dtype, length, zero);
    public Storage Upload(ReadOnlySpan<float> data) => _cpu.Upload(data);
    public Storage Upload(ReadOnlySpan<int> data) => _cpu.Upload(data);
    public Storage Upload(ReadOnlySpan<Half> data) => _cpu.Upload(data);
    public void Download(Tensor src, Span<float> dst) => _cpu.Download(src, dst);
    public void Download(Tensor src, Span<int> dst) => _cpu.Download(src, dst);
    public void Copy(Tensor src, Tensor dst) => _cpu.Copy(src, dst);
    public void Fill(Tensor dst, float value) => _cpu.Fill(dst, value);
    public Tensor Map<TOp>(Tensor x, TOp op) where TOp : struct, IUnaryOp => _cpu.Map(x, op);
    public Tensor Zip<TOp>(Tensor a, Tensor b, TOp op) where TOp : struct, IBinaryOp => _cpu.Zip(a, b, op);
    public void MapInPlace<TOp>(Tensor a, TOp op) where TOp : struct, IUnaryOp => _cpu.MapInPlace(a, op);
    public void ZipInPlace<TOp>(Tensor a, Tensor b, TOp op) where TOp : struct, IBinaryOp => _cpu.ZipInPlace(a, b, op);
    public Tensor Where(Tensor cond, Tensor a, Tensor b) => _cpu.Where(cond, a, b);
    public Tensor Reduce(ReduceKind kind, Tensor x, int[] dims, bool keepDim) => _cpu.Reduce(kind, x, dims, keepDim);
    public Tensor ArgReduce(bool max, Tensor x, int dim, bool keepDim) => _cpu.ArgReduce(max, x, dim, keepDim);
    public Tensor Softmax(Tensor x, int dim, bool log) => _cpu.Softmax(x, dim, log);
    public Tensor Matmul(Tensor a, Tensor b) => _cpu.Matmul(a, b);
    public Tensor IndexSelect(Tensor x, int dim, Tensor index) => _cpu.IndexSelect(x, dim, index);
    public void IndexAdd(Tensor dst, int dim, Tensor index, Tensor src) => _cpu.IndexAdd(dst, dim, index, src);
    public Tensor Gather(Tensor x, int dim, Tensor index) => _cpu.Gather(x, dim, index);
    public void ScatterAdd(Tensor dst, int dim, Tensor index, Tensor src) => _cpu.ScatterAdd(dst, dim, index, src);
    public Tensor Conv2d(Tensor x, Tensor w, Tensor? bias, Conv2dArgs args) => _cpu.Conv2d(x, w, bias, args);
    public Tensor MaxPool2d(Tensor x, Pool2dArgs args, out Tensor indices) => _cpu.MaxPool2d(x, args, out indices);
    public Tensor AvgPool2d(Tensor x, Pool2dArgs args) => _cpu.AvgPool2d(x, args);
}
