using System.Runtime.CompilerServices;

namespace Engine.Kernels.Conv;

/// <summary>Pinned per-thread scratch arrays (im2col columns, padded planes, flipped and packed weights), grown on demand and reused across calls.</summary>
internal static unsafe class Scratch
{
    public const int Col = 0, Plane = 1, Plane2 = 2, Flipped = 3, PackedWeights = 4;
    [ThreadStatic] private static float[]?[]? t_slots;

    /// <summary>A pinned array of at least n floats for this thread and slot; contents are garbage.</summary>
    public static float[] Get(int slot, long n)
    {
        var slots = t_slots ??= new float[PackedWeights + 1][];
        var a = slots[slot];
        if (a == null || a.Length < n)
        {
            if (n > Array.MaxLength) throw new OutOfMemoryException($"scratch buffer of {n} floats: more than one array can hold");
            var old = a;
            slots[slot] = a = GC.AllocateUninitializedArray<float>((int)Math.Max(n, 256), pinned: true);
            // The checked build tracks the slot's array: a caller still using the old one is reported.
            if (old != null) Checked.Unregister(Unsafe.AsPointer(ref old[0]));
            Checked.Register(Unsafe.AsPointer(ref a[0]), (long)a.Length * sizeof(float), $"scratch slot {slot}");
        }
        return a;
    }
}
