using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Ilgpu;

/// <summary>
/// The GPU backend through ILGPU: one instance per accelerator (a CUDA or OpenCL GPU, or ILGPU's
/// CPU accelerator for tests). Storage is a pooled device buffer (<see cref="IlgpuStorage"/>);
/// every op is a kernel loaded once and cached; all work is queued in order on the accelerator's
/// default stream, and only downloads synchronize. Float16 is a storage type: ops convert to
/// float32 on the device, compute, and write float32.
/// </summary>
public sealed partial class IlgpuBackend : BackendBase, IBackend, IFusedKernels, IDisposable
{
    internal IlgpuBackend(Device device, Accelerator accelerator, IlgpuOptions? options = null)
    {
        Device = device;
        Accelerator = accelerator;
        Options = options ?? new IlgpuOptions();
        Pool = new IlgpuMemoryPool(accelerator, device);
        // One thread group of the explicitly grouped kernels: 256 threads where the device allows.
        GroupSize = Math.Min(256, accelerator.MaxNumThreadsPerGroup);
        // On ILGPU's CPU accelerator every thread of a group is an OS thread and a barrier is a
        // rendezvous of all of them: row reductions use groups of one warp there (same algorithm).
        RowGroupLimit = accelerator.AcceleratorType == AcceleratorType.CPU ? 32 : GroupSize;
    }

    public override Device Device { get; }
    public Accelerator Accelerator { get; }
    /// <summary>The device memory pool (live / pooled bytes, an optional cap).</summary>
    public IlgpuMemoryPool Pool { get; }
    internal int GroupSize { get; }
    internal int RowGroupLimit { get; }

    /// <summary>This backend's tuning knobs (im2col budget, split-K target): a setting of the instance, never a global.</summary>
    public IlgpuOptions Options { get; }

    /// <summary>
    /// A backend on the same device, accelerator, memory pool and compiled kernels with other options. Its results are
    /// tensors of the same device; the registered backend keeps its own options.
    /// </summary>
    public IlgpuBackend WithOptions(IlgpuOptions options) => new(this, options);

    private IlgpuBackend(IlgpuBackend parent, IlgpuOptions options)
    {
        Device = parent.Device; Accelerator = parent.Accelerator; Pool = parent.Pool; Options = options;
        GroupSize = parent.GroupSize; RowGroupLimit = parent.RowGroupLimit;
        _generic = parent._generic; _plain = parent._plain;
        _isView = true;
    }

    private readonly bool _isView;

    /// <summary>Blocks until every queued kernel and copy has finished (for timing).</summary>
    public void Synchronize() => Accelerator.Synchronize();

    /// <summary>Frees the pool and the accelerator (a backend made by <see cref="WithOptions"/> leaves them to its parent).</summary>
    public void Dispose()
    {
        if (_isView) return;
        Pool.Trim();
        Accelerator.Dispose();
    }

    // ---- kernel cache ----------------------------------------------------------------

    private readonly ConcurrentDictionary<(string, Type), Delegate> _generic = new();
    private readonly ConcurrentDictionary<string, Delegate> _plain = new();

    /// <summary>A kernel generic over an op struct, compiled once per (kernel, op type).</summary>
    internal T Kernel<T>(string name, Type op, Func<Accelerator, T> load) where T : Delegate =>
        (T)_generic.GetOrAdd((name, op), _ => load(Accelerator));

    /// <summary>A plain kernel, compiled on first use and cached.</summary>
    internal T Kernel<T>(string name, Func<Accelerator, T> load) where T : Delegate =>
        (T)_plain.GetOrAdd(name, _ => load(Accelerator));

    // ---- memory ----------------------------------------------------------------------

    public override Storage Allocate(DType dtype, int length, bool zero)
    {
        var s = new IlgpuStorage(this, dtype, length);
        if (zero && length > 0)
        {
            if (dtype == DType.Float16) s.HalfBits.MemSetToZero(); else if (dtype == DType.Int32) s.Ints.MemSetToZero(); else s.Floats.MemSetToZero();
        }
        return s;
    }

    // Host <-> device copies go through the span overloads of ILGPU, which pin the host memory for the length of the
    // copy. The `ref T` overloads take the address of an UNPINNED managed array (Unsafe.AsPointer): a GC that moves
    // the array mid-copy (any other thread allocating) makes the copy read or write the array's old place in the GC
    // heap. That was the test host's crash and the ILGPU GEMM result that came back all zeros (issue 14).

    public Storage Upload(ReadOnlySpan<float> data)
    {
        var s = new IlgpuStorage(this, DType.Float32, data.Length);
        if (data.Length > 0) s.Floats.CopyFromCPU(Accelerator.DefaultStream, data);
        return s;
    }

    public Storage Upload(ReadOnlySpan<int> data)
    {
        var s = new IlgpuStorage(this, DType.Int32, data.Length);
        if (data.Length > 0) s.Ints.CopyFromCPU(Accelerator.DefaultStream, data);
        return s;
    }

    public Storage Upload(ReadOnlySpan<System.Half> data)
    {
        // System.Half and ILGPU.Half are both IEEE binary16: the bits copy as they are.
        var s = new IlgpuStorage(this, DType.Float16, data.Length);
        var bits = MemoryMarshal.Cast<System.Half, ushort>(data);
        if (data.Length > 0) s.HalfBits.CopyFromCPU(Accelerator.DefaultStream, bits);
        return s;
    }

    public void Download(Tensor src, Span<float> dst)
    {
        CheckDevice(src, "download");
        if (src.DType == DType.Int32) throw new InvalidOperationException($"download: {src.Describe()} is Int32; read it as int");
        if (dst.Length < src.Numel) throw new ArgumentException($"download: destination holds {dst.Length} values, tensor {src.Describe()} has {src.Numel}");
        var c = ContiguousF32(src, "download");
        if (c.Numel > 0) F(c).SubView(c.Layout.Offset, c.Numel).CopyToCPU(Accelerator.DefaultStream, dst[..c.Numel]);
        Accelerator.Synchronize();
        DisposeIfTemp(c, src);
    }

    public void Download(Tensor src, Span<int> dst)
    {
        CheckDevice(src, "download");
        if (src.DType != DType.Int32) throw new InvalidOperationException($"download: expected an Int32 tensor, got {src.Describe()}");
        if (dst.Length < src.Numel) throw new ArgumentException($"download: destination holds {dst.Length} values, tensor {src.Describe()} has {src.Numel}");
        var c = src.IsContiguous ? src : Convert(src, DType.Int32);
        if (c.Numel > 0) I(c).SubView(c.Layout.Offset, c.Numel).CopyToCPU(Accelerator.DefaultStream, dst[..c.Numel]);
        Accelerator.Synchronize();
        DisposeIfTemp(c, src);
    }

    // ---- helpers ---------------------------------------------------------------------

    internal static ArrayView<float> F(Tensor t) => ((IlgpuStorage)t.Storage).Floats;
    internal static ArrayView<int> I(Tensor t) => ((IlgpuStorage)t.Storage).Ints;
    /// <summary>Float16 storage as raw IEEE half bits.</summary>
    internal static ArrayView<ushort> H(Tensor t) => ((IlgpuStorage)t.Storage).HalfBits;

    /// <summary>A contiguous Int32 tensor with t's values (t itself when already so).</summary>
    internal Tensor ContiguousI32(Tensor t, string op)
    {
        CheckDevice(t, op);
        if (t.DType != DType.Int32) throw new ArgumentException($"{op}: index must be an Int32 tensor, got {t.Describe()}");
        return t.IsContiguous ? t : Convert(t, DType.Int32);
    }

    /// <summary>Contiguous float32 data starting at the tensor's offset.</summary>
    internal static ArrayView<float> Data(Tensor contiguous) => F(contiguous).SubView(contiguous.Layout.Offset, contiguous.Numel);
}
