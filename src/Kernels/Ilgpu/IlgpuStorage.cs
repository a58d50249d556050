using ILGPU;
using ILGPU.Runtime;
using Half = ILGPU.Half;

namespace Engine.Kernels.Ilgpu;

/// <summary>
/// Device memory: a pooled buffer of 32-bit words seen as float, ILGPU.Half or int.
/// Returned to its <see cref="IlgpuMemoryPool"/> when the last tensor using it is disposed
/// (or, for tensors never disposed, by the finalizer).
/// </summary>
public sealed class IlgpuStorage : Storage
{
    private readonly IlgpuMemoryPool _pool;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _buffer;

    internal IlgpuStorage(IlgpuBackend backend, DType dtype, int length)
        : base(backend.Device, dtype, length)
    {
        _pool = backend.Pool;
        long words = dtype == DType.Float16 ? ((long)length + 1) / 2 : length;
        _buffer = _pool.Rent(words, dtype, length);
    }

    /// <summary>The elements as float32 (dtype must be Float32).</summary>
    public ArrayView<float> Floats => DType == DType.Float32 ? Words.Cast<float>() : throw Wrong(DType.Float32);
    /// <summary>The elements as IEEE half (dtype must be Float16).</summary>
    public ArrayView<Half> Halves => DType == DType.Float16 ? _buffer.View.AsContiguous().Cast<Half>().SubView(0, Length) : throw Wrong(DType.Float16);
    /// <summary>The elements as raw binary16 bits (dtype must be Float16); the engine's conversion kernels use these.</summary>
    public ArrayView<ushort> HalfBits => DType == DType.Float16 ? _buffer.View.AsContiguous().Cast<ushort>().SubView(0, Length) : throw Wrong(DType.Float16);
    /// <summary>The elements as int32 (dtype must be Int32).</summary>
    public ArrayView<int> Ints => DType == DType.Int32 ? Words : throw Wrong(DType.Int32);

    private ArrayView<int> Words => _buffer.View.AsContiguous().SubView(0, Length);

    private InvalidOperationException Wrong(DType want) => new($"device storage holds {DType}, not {want}");

    protected override void Free()
    {
        GC.SuppressFinalize(this);
        _pool.Return(_buffer);
    }

    ~IlgpuStorage()
    {
        // _buffer is null when the constructor threw (out of memory): nothing to return.
        if (IsDisposed || _buffer is null) return;
        MarkFreedByFinalizer();
        _pool.Forget(_buffer);
    }
}
