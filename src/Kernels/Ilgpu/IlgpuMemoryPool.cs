using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Engine.Kernels.Ilgpu;

/// <summary>
/// Exact-size pool of device buffers for one accelerator. Every buffer is a dense array of 32-bit
/// words (a Float16 tensor of n elements takes ceil(n/2) words) so that one pool serves every dtype.
/// A training loop asks for the same sizes each step, so after the first step every temporary is
/// served from here and the driver is never called. Kernels run in order on the accelerator's
/// default stream, so a buffer returned while a kernel that reads it is still queued is only
/// reused by work queued after that kernel.
/// </summary>
public sealed class IlgpuMemoryPool
{
    private readonly Accelerator _acc;
    private readonly Device _device;
    private readonly Dictionary<long, Stack<MemoryBuffer1D<int, Stride1D.Dense>>> _free = new();
    // Buffers handed out, held here so that ILGPU's own finalizer never frees a buffer whose tensor
    // was merely dropped: the storage's finalizer then returns it (finalization order is not defined).
    private readonly HashSet<MemoryBuffer1D<int, Stride1D.Dense>> _live = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _gate = new();
    private long _liveBytes, _pooledBytes, _allocatedBytes, _driverAllocations;

    internal IlgpuMemoryPool(Accelerator acc, Device device) { _acc = acc; _device = device; }

    /// <summary>Pooled bytes above which returned buffers are freed to the driver instead.</summary>
    public long MaxPooledBytes { get; set; } = 4L << 30;

    /// <summary>
    /// Optional cap on live + pooled bytes (like PyTorch's per-process memory fraction); null means the
    /// device's own limit. Requests beyond it fail with the same out-of-memory error as the device.
    /// </summary>
    public long? LimitBytes { get; set; }

    /// <summary>Bytes held by live tensors.</summary>
    public long LiveBytes { get { lock (_gate) return _liveBytes; } }
    /// <summary>Bytes sitting in the pool, ready for reuse.</summary>
    public long PooledBytes { get { lock (_gate) return _pooledBytes; } }
    /// <summary>Bytes ever allocated from the driver (grows only when the pool misses).</summary>
    public long AllocatedBytes { get { lock (_gate) return _allocatedBytes; } }
    /// <summary>Number of driver allocations so far (flat across training steps once warm).</summary>
    public long DriverAllocations { get { lock (_gate) return _driverAllocations; } }

    internal MemoryBuffer1D<int, Stride1D.Dense> Rent(long words, DType dtype, int length)
    {
        words = Math.Max(words, 1);
        long bytes = words * 4;
        lock (_gate)
        {
            if (_free.TryGetValue(words, out var stack) && stack.Count > 0)
            {
                _pooledBytes -= bytes; _liveBytes += bytes;
                var reused = stack.Pop();
                _live.Add(reused);
                return reused;
            }
        }
        if (LimitBytes is long limit && LiveBytes + PooledBytes + bytes > limit)
        {
            Trim();
            if (LiveBytes + bytes > limit) throw OutOfMemory(bytes, dtype, length, null);
        }
        MemoryBuffer1D<int, Stride1D.Dense> buf;
        try { buf = _acc.Allocate1D<int>(words); }
        catch (Exception e) when (e is not ArgumentException)
        {
            // The pool may hold what the request needs in other sizes: give it back and retry once.
            Trim();
            try { buf = _acc.Allocate1D<int>(words); }
            catch (Exception e2) when (e2 is not ArgumentException) { throw OutOfMemory(bytes, dtype, length, e2); }
        }
        lock (_gate) { _liveBytes += bytes; _allocatedBytes += bytes; _driverAllocations++; _live.Add(buf); }
        return buf;
    }

    internal void Return(MemoryBuffer1D<int, Stride1D.Dense> buf)
    {
        long bytes = buf.Length * 4;
        lock (_gate)
        {
            if (!_live.Remove(buf)) return;     // returned twice: ignore
            _liveBytes -= bytes;
            if (_pooledBytes + bytes <= MaxPooledBytes)
            {
                if (!_free.TryGetValue(buf.Length, out var stack)) _free[buf.Length] = stack = new();
                stack.Push(buf);
                _pooledBytes += bytes;
                return;
            }
        }
        buf.Dispose();
    }

    /// <summary>
    /// Forgets a buffer whose storage was finalized without being disposed: it is neither pooled nor
    /// freed here (a kernel launched on it may still be running); the GC and ILGPU free it once nothing
    /// references it. Only the live count changes.
    /// </summary>
    internal void Forget(MemoryBuffer1D<int, Stride1D.Dense> buf)
    {
        lock (_gate)
            if (_live.Remove(buf)) _liveBytes -= buf.Length * 4;
    }

    /// <summary>Frees every pooled buffer to the driver (for memory pressure and tests).</summary>
    public void Trim()
    {
        List<MemoryBuffer1D<int, Stride1D.Dense>> drop = new();
        lock (_gate)
        {
            foreach (var stack in _free.Values) while (stack.Count > 0) drop.Add(stack.Pop());
            _pooledBytes = 0;
        }
        foreach (var b in drop) b.Dispose();
    }

    /// <summary>Free device memory in bytes as the driver reports it (CUDA), else the device size less what this pool holds.</summary>
    public long FreeBytes
    {
        get
        {
            if (_acc is CudaAccelerator cuda)
                try { return cuda.GetFreeMemory(); } catch (Exception) { /* fall through to the estimate */ }
            long total = LimitBytes ?? _acc.MemorySize;
            return Math.Max(0, total - LiveBytes - PooledBytes);
        }
    }

    private OutOfMemoryException OutOfMemory(long bytes, DType dtype, int length, Exception? inner) =>
        new($"{_device} ({_acc.Name}): out of memory allocating {Mb(bytes)} for a {dtype} tensor of {length} elements; " +
            $"{Mb(FreeBytes)} free of {Mb(LimitBytes ?? _acc.MemorySize)}, {Mb(LiveBytes)} held by live tensors, {Mb(PooledBytes)} pooled. " +
            "Dispose tensors you no longer need (or wrap the step in Tensor.Scope()), or use a smaller batch.", inner);

    private static string Mb(long bytes) => $"{bytes / (1024.0 * 1024.0):F1} MiB";
}
