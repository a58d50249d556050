using System.Runtime.CompilerServices;

namespace Engine.Kernels.Conv;

/// <summary>
/// Pinned per-thread scratch arrays of the CPU kernels (im2col columns, padded planes, flipped and packed weights,
/// partial sums, the GEMM's packing buffers), grown on demand and reused across calls, so that a warm training loop
/// allocates nothing. They never shrink by themselves: <see cref="Trim"/> makes the next use of each slot, on every
/// thread, allocate afresh at the size that call needs (the old array goes to the GC), and <see cref="HeldBytes"/>
/// says what they hold. One slot per use: a kernel never asks for a slot that a caller up its stack holds.
/// </summary>
internal static unsafe class Scratch
{
    public const int Col = 0, Plane = 1, Plane2 = 2, Flipped = 3, PackedWeights = 4, Partials = 5, FlippedTaps = 6,
        GemmA = 7, GemmB = 8, GemmAAll = 9;
    private const int Slots = 10;

    [ThreadStatic] private static float[]?[]? t_slots;
    [ThreadStatic] private static int[]? t_generations;
    [ThreadStatic] private static double[]? t_doubles;
    [ThreadStatic] private static int t_doublesGeneration;
    private static int _generation;

    // Every array handed out, weakly: HeldBytes counts those still alive (a dropped or an exited thread's array
    // leaves the count once the GC takes it).
    private static readonly List<WeakReference<Array>> Issued = new();
    private static readonly Lock Gate = new();

    /// <summary>A pinned array of at least n floats for this thread and slot; contents are garbage.</summary>
    public static float[] Get(int slot, long n)
    {
        var slots = t_slots ??= new float[Slots][];
        var gens = t_generations ??= new int[Slots];
        var a = slots[slot];
        int gen = Volatile.Read(ref _generation);
        if (a == null || a.Length < n || gens[slot] != gen)
        {
            if (n > Array.MaxLength) throw new OutOfMemoryException($"scratch buffer of {n} floats: more than one array can hold");
            var old = a;
            slots[slot] = a = GC.AllocateUninitializedArray<float>((int)Math.Max(n, 256), pinned: true);
            gens[slot] = gen;
            Track(a);
            // The checked build tracks the slot's array: a caller still using the old one is reported.
            if (old != null) Checked.Unregister(Unsafe.AsPointer(ref old[0]));
            Checked.Register(Unsafe.AsPointer(ref a[0]), (long)a.Length * sizeof(float), $"scratch slot {slot}");
        }
        return a;
    }

    /// <summary>A per-thread array of at least n doubles, zeroed over [0, n) (partial sums in double).</summary>
    public static double[] Doubles(long n)
    {
        int gen = Volatile.Read(ref _generation);
        var d = t_doubles;
        if (d == null || d.Length < n || t_doublesGeneration != gen)
        {
            if (n > Array.MaxLength) throw new OutOfMemoryException($"scratch buffer of {n} doubles: more than one array can hold");
            t_doubles = d = new double[Math.Max(n, 64)];
            t_doublesGeneration = gen;
            Track(d);
            return d;
        }
        Array.Clear(d, 0, (int)n);
        return d;
    }

    private static void Track(Array a)
    {
        lock (Gate)
        {
            Issued.RemoveAll(w => !w.TryGetTarget(out _));
            Issued.Add(new WeakReference<Array>(a));
        }
    }

    /// <summary>Bytes held by scratch arrays that are still alive, on every thread.</summary>
    public static long HeldBytes
    {
        get
        {
            long total = 0;
            lock (Gate)
                foreach (var w in Issued)
                    if (w.TryGetTarget(out var a)) total += (long)a.Length * (a is double[] ? sizeof(double) : sizeof(float));
            return total;
        }
    }

    /// <summary>Every thread's next use of each slot allocates afresh at the size it needs; the old arrays go to the GC.</summary>
    public static void Trim() => Interlocked.Increment(ref _generation);
}
