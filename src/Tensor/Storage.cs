namespace Engine;

/// <summary>
/// A flat buffer of elements on one device. Views share a storage; it is reference counted
/// by the tensors that use it and returns its memory to the device's pool when the last one
/// is disposed.
/// </summary>
public abstract class Storage
{
    private int _refs;

    protected Storage(Device device, DType dtype, int length)
    {
        Device = device; DType = dtype; Length = length;
    }

    public Device Device { get; }
    public DType DType { get; }
    /// <summary>Number of elements.</summary>
    public int Length { get; }
    public long Bytes => (long)Length * DType.Size();
    public bool IsDisposed { get; private set; }

    /// <summary>Bumped by every in-place write; autograd uses it to detect tensors modified after being saved.</summary>
    public int Version => _version;
    private int _version;
    public void BumpVersion() => Interlocked.Increment(ref _version);

    internal void AddRef() => Interlocked.Increment(ref _refs);

    internal void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0 && !IsDisposed)
        {
            IsDisposed = true;
            Free();
        }
    }

    /// <summary>Returns the memory to the pool. Called once, when the last tensor lets go.</summary>
    protected abstract void Free();

    protected void MarkFreedByFinalizer() => IsDisposed = true;

    public void ThrowIfDisposed(string what)
    {
        if (IsDisposed)
            throw new ObjectDisposedException(what, $"{what}: this tensor's memory was released (the tensor was disposed or its Tensor.Scope ended). Keep it with tensor.Keep() or create it outside the scope.");
    }
}
