using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Engine.Kernels;

/// <summary>
/// The checked build (<c>-c Checked</c>, which defines ENGINE_CHECKED): every pointer kernel asserts that each read and
/// write stays inside one live buffer. Buffers are registered where they are pinned (a tensor's array in a
/// <c>fixed</c>, a pinned scratch array when it is allocated) and unregistered when the pin ends; a vector load that
/// starts in one buffer and ends past its end fails even when the next buffer follows it in memory. In every other
/// build the checks are compiled away (<see cref="ConditionalAttribute"/>) and <see cref="Region"/> is an empty struct.
/// CI runs the kernel tests in this build (docs/testing.md).
/// </summary>
internal static unsafe class Checked
{
#if ENGINE_CHECKED
    public const bool Enabled = true;

    // Registered [start, end) byte ranges, kept sorted by start. A lock is fine: this build only runs tests.
    private static readonly List<(nint Start, nint End, string What)> Regions = new();
    private static readonly Lock Gate = new();
    private static int _generation;

    // The last region a thread hit, valid while the generation is unchanged (most accesses hit the same buffer).
    [ThreadStatic] private static nint t_lo, t_hi;
    [ThreadStatic] private static int t_gen;
#else
    public const bool Enabled = false;
#endif

    /// <summary>A registered buffer for the length of a pin: <c>using var _ = Checked.Region(p, n, "what");</c>.</summary>
    public readonly struct Pin : IDisposable
    {
#if ENGINE_CHECKED
        private readonly nint _start;
        internal Pin(nint start) => _start = start;
        public void Dispose() { if (_start != 0) Unregister((void*)_start); }
#else
        public void Dispose() { }
#endif
    }

    /// <summary>Registers n floats at p until the returned pin is disposed (nothing in an unchecked build).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Pin Region(float* p, long n, string what)
    {
#if ENGINE_CHECKED
        if (p == null || n <= 0) return default;
        Register(p, n * sizeof(float), what);
        return new Pin((nint)p);
#else
        return default;
#endif
    }

    /// <summary>Registers bytes at p (a pinned scratch array for as long as it stays in its slot).</summary>
    [Conditional("ENGINE_CHECKED")]
    public static void Register(void* p, long bytes, string what)
    {
#if ENGINE_CHECKED
        if (p == null || bytes <= 0) return;
        lock (Gate)
        {
            nint s = (nint)p, e = s + (nint)bytes;
            int i = 0;
            while (i < Regions.Count && Regions[i].Start < s) i++;
            // The same array pinned twice (two tensors on one storage, nested fixed) is registered twice and stays
            // registered until both pins end.
            Regions.Insert(i, (s, e, what));
            _generation++;
        }
#endif
    }

    /// <summary>Removes the registration made at p (the newest one, when it is registered twice).</summary>
    [Conditional("ENGINE_CHECKED")]
    public static void Unregister(void* p)
    {
#if ENGINE_CHECKED
        lock (Gate)
        {
            int i = Regions.FindIndex(r => r.Start == (nint)p);
            if (i < 0) throw new InvalidOperationException($"checked build: unregistering {(nint)p:x}, which is not registered");
            Regions.RemoveAt(i);
            _generation++;
        }
#endif
    }

    /// <summary>Asserts that n floats from p (a read) lie inside one registered buffer.</summary>
    [Conditional("ENGINE_CHECKED")]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Read(float* p, long n) => Inside((nint)p, n * sizeof(float), "read");

    /// <summary>Asserts that n floats from p (a write) lie inside one registered buffer.</summary>
    [Conditional("ENGINE_CHECKED")]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(float* p, long n) => Inside((nint)p, n * sizeof(float), "write");

    /// <summary>Asserts that n ints from p (a write) lie inside one registered buffer.</summary>
    [Conditional("ENGINE_CHECKED")]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(int* p, long n) => Inside((nint)p, n * sizeof(int), "write");

    /// <summary>Asserts that the strided run o, o+s, ..., o+(n-1)s lies inside the array (the elementwise driver's unchecked vector loads).</summary>
    [Conditional("ENGINE_CHECKED")]
    public static void Run(float[] a, int o, int s, int n, string what)
    {
        if (n <= 0) return;
        long last = o + (long)(n - 1) * s;
        if (o < 0 || last < 0 || o >= a.Length || last >= a.Length)
            throw new InvalidOperationException($"checked build: {what} reads elements {o} .. {last} (stride {s}) of an array of {a.Length}");
    }

    [Conditional("ENGINE_CHECKED")]
    private static void Inside(nint p, long bytes, string kind)
    {
#if ENGINE_CHECKED
        nint e = p + (nint)bytes;
        if (t_gen == Volatile.Read(ref _generation) && p >= t_lo && e <= t_hi) return;
        lock (Gate)
        {
            foreach (var r in Regions)
                if (p >= r.Start && e <= r.End) { t_lo = r.Start; t_hi = r.End; t_gen = _generation; return; }
            string near = "";
            foreach (var r in Regions)
                if (p < r.End + 4096 && e > r.Start - 4096)
                    near += $" [{r.What}: {r.Start:x} .. {r.End:x}, {(long)(r.End - r.Start)} bytes]";
            throw new InvalidOperationException(
                $"checked build: a {kind} of {bytes} bytes at {p:x} .. {e:x} is outside every live buffer;{(near.Length > 0 ? " near:" + near : " no buffer near it")}");
        }
#endif
    }
}
