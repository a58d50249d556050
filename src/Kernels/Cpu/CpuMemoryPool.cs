using System.Collections.Concurrent;

namespace Engine;

/// <summary>
/// Exact-size array pool for host tensors. A training loop asks for the same sizes every
/// step, so after the first step every temporary is served from here and nothing is allocated.
/// </summary>
public sealed class CpuMemoryPool<T> where T : unmanaged
{
    private readonly ConcurrentDictionary<int, ConcurrentBag<T[]>> _free = new();
    private long _liveBytes, _pooledBytes, _allocatedBytes;
    private static readonly int ElemSize = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    /// <summary>Pooled bytes above which returned arrays are dropped to the GC instead.</summary>
    public long MaxPooledBytes { get; set; } = 2L << 30;

    /// <summary>Bytes handed out and not yet returned.</summary>
    public long LiveBytes => Interlocked.Read(ref _liveBytes);
    /// <summary>Bytes sitting in the pool, ready for reuse.</summary>
    public long PooledBytes => Interlocked.Read(ref _pooledBytes);
    /// <summary>Bytes ever allocated fresh from the GC (grows only when the pool misses).</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    public T[] Rent(int length, bool zero)
    {
        long bytes = (long)length * ElemSize;
        Interlocked.Add(ref _liveBytes, bytes);
        if (length > 0 && _free.TryGetValue(length, out var bag) && bag.TryTake(out var arr))
        {
            Interlocked.Add(ref _pooledBytes, -bytes);
            if (zero) Array.Clear(arr);
            return arr;
        }
        Interlocked.Add(ref _allocatedBytes, bytes);
        return length == 0 ? [] : GC.AllocateUninitializedArray<T>(length) is var a && zero ? Cleared(a) : a;
    }

    private static T[] Cleared(T[] a) { Array.Clear(a); return a; }

    public void Return(T[] arr)
    {
        long bytes = (long)arr.Length * ElemSize;
        Interlocked.Add(ref _liveBytes, -bytes);
        if (arr.Length == 0 || PooledBytes + bytes > MaxPooledBytes) return;
        _free.GetOrAdd(arr.Length, _ => new ConcurrentBag<T[]>()).Add(arr);
        Interlocked.Add(ref _pooledBytes, bytes);
    }

    /// <summary>Counts an array of this length as no longer live without taking it back (its owner was finalized).</summary>
    public void Forget(int length) => Interlocked.Add(ref _liveBytes, -(long)length * ElemSize);

    /// <summary>Drops every pooled array (for tests and memory pressure).</summary>
    public void Trim()
    {
        foreach (var (len, bag) in _free)
            while (bag.TryTake(out _)) Interlocked.Add(ref _pooledBytes, -(long)len * ElemSize);
    }
}

public static class CpuMemoryPool
{
    public static CpuMemoryPool<float> Floats { get; } = new();
    public static CpuMemoryPool<Half> Halves { get; } = new();
    public static CpuMemoryPool<int> Ints { get; } = new();

    public static long LiveBytes => Floats.LiveBytes + Halves.LiveBytes + Ints.LiveBytes;
    public static long PooledBytes => Floats.PooledBytes + Halves.PooledBytes + Ints.PooledBytes;
    public static long AllocatedBytes => Floats.AllocatedBytes + Halves.AllocatedBytes + Ints.AllocatedBytes;
}
