namespace Engine;

/// <summary>Host memory: a pooled float[], Half[] or int[] of exactly <see cref="Storage.Length"/> elements.</summary>
public sealed class CpuStorage : Storage
{
    private readonly Array _data;

    internal CpuStorage(DType dtype, int length, bool zero) : this(Device.Cpu, dtype, length, zero) { }

    /// <summary>Host memory that belongs to another device than <see cref="Device.Cpu"/> (a host-memory backend of its own).</summary>
    internal CpuStorage(Device device, DType dtype, int length, bool zero)
        : base(device, dtype, length)
    {
        _data = dtype switch
        {
            DType.Float32 => CpuMemoryPool.Floats.Rent(length, zero),
            DType.Float16 => CpuMemoryPool.Halves.Rent(length, zero),
            DType.Int32 => CpuMemoryPool.Ints.Rent(length, zero),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
        };
    }

    /// <summary>Wraps an existing array without copying; it is never returned to the pool.</summary>
    internal CpuStorage(float[] data) : base(Device.Cpu, DType.Float32, data.Length) { _data = data; _wrapped = true; }
    internal CpuStorage(int[] data) : base(Device.Cpu, DType.Int32, data.Length) { _data = data; _wrapped = true; }
    internal CpuStorage(Half[] data) : base(Device.Cpu, DType.Float16, data.Length) { _data = data; _wrapped = true; }

    private readonly bool _wrapped;

    public float[] Floats => _data as float[] ?? throw new InvalidOperationException($"storage holds {DType}, not Float32");
    public Half[] Halves => _data as Half[] ?? throw new InvalidOperationException($"storage holds {DType}, not Float16");
    public int[] Ints => _data as int[] ?? throw new InvalidOperationException($"storage holds {DType}, not Int32");

    protected override void Free()
    {
        GC.SuppressFinalize(this);
        Return();
    }

    private void Return()
    {
        if (_wrapped) return;
        switch (_data)
        {
            case float[] f: CpuMemoryPool.Floats.Return(f); break;
            case Half[] h: CpuMemoryPool.Halves.Return(h); break;
            case int[] i: CpuMemoryPool.Ints.Return(i); break;
        }
    }

    // A tensor that was never disposed: only the pool's live-byte count is corrected. The array is
    // not recycled, because a kernel may still be reading or writing it through a reference taken
    // before its tensor became unreachable; the GC frees it when nothing holds it.
    ~CpuStorage()
    {
        if (IsDisposed || _wrapped) return;
        MarkFreedByFinalizer();
        switch (_data)
        {
            case float[] f: CpuMemoryPool.Floats.Forget(f.Length); break;
            case Half[] h: CpuMemoryPool.Halves.Forget(h.Length); break;
            case int[] i: CpuMemoryPool.Ints.Forget(i.Length); break;
        }
    }
}
