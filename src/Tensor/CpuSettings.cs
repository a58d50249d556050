using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine;

/// <summary>The vector width the CPU kernels run at.</summary>
public enum SimdLevel
{
    /// <summary>One lane: plain scalar code (any CPU).</summary>
    Scalar,
    /// <summary>256-bit vectors: AVX2 with FMA, 8 floats.</summary>
    Avx2,
    /// <summary>512-bit vectors: AVX-512F (with BW/VL/DQ as .NET requires for Vector512 acceleration), 16 floats.</summary>
    Avx512,
}

/// <summary>
/// Process-wide settings of the CPU backend (PyTorch's <c>torch.set_num_threads</c> and ATen's CPU capability).
/// </summary>
/// <remarks>
/// Results do not depend on <see cref="Threads"/>: every reduction and every weight-gradient sum is split into a number of
/// chunks fixed by the shape, and the chunks are combined in a fixed order, so 1, 2 or 64 threads give the same bits.
/// Elementwise results do not depend on <see cref="Simd"/> either (the same IEEE operations at every width); GEMMs,
/// convolutions and reductions sum in another order at another width, so they agree to float rounding.
/// </remarks>
public static class CpuSettings
{
    // Initialized in this order (BestSupported before the setting read from the environment).
    /// <summary>The widest level this CPU and runtime accelerate (Vector512 needs AVX-512F/BW/VL/DQ; AVX2 needs FMA too).</summary>
    public static readonly SimdLevel BestSupported =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? SimdLevel.Avx512
        : Avx2.IsSupported && Fma.IsSupported && Vector256.IsHardwareAccelerated ? SimdLevel.Avx2
        : SimdLevel.Scalar;

    private static int _threads = FromEnvironment("ENGINE_THREADS", Environment.ProcessorCount);
    private static int _simd = (int)SimdFromEnvironment();

    /// <summary>
    /// Worker threads a kernel may use (default: the environment variable ENGINE_THREADS, else
    /// <see cref="Environment.ProcessorCount"/>). Setting it takes effect at the next kernel call.
    /// </summary>
    public static int Threads
    {
        get => Volatile.Read(ref _threads);
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), $"CpuSettings.Threads must be at least 1, got {value}");
            Volatile.Write(ref _threads, value);
        }
    }


    /// <summary>
    /// The width the CPU kernels use (default: ENGINE_SIMD=avx512|avx2|scalar, else <see cref="BestSupported"/>).
    /// A width the machine lacks is refused. Setting it takes effect at the next kernel call.
    /// TensorPrimitives, which the engine also calls for a few reductions, picks its own width; the runtime's
    /// DOTNET_EnableAVX512F=0 narrows that one too.
    /// </summary>
    public static SimdLevel Simd
    {
        get => Scoped.Value is int scoped ? (SimdLevel)scoped : (SimdLevel)Volatile.Read(ref _simd);
        set
        {
            if (value > BestSupported)
                throw new NotSupportedException($"CpuSettings.Simd = {value}: this CPU and runtime support up to {BestSupported}");
            Volatile.Write(ref _simd, (int)value);
        }
    }

    private static readonly AsyncLocal<int?> Scoped = new();

    /// <summary>
    /// Runs the kernels of this flow (this thread, and the tasks and parallel loops it starts) at the given width until
    /// disposed, without changing the process-wide setting: <c>using (CpuSettings.UseSimd(SimdLevel.Avx2)) { ... }</c>.
    /// </summary>
    public static IDisposable UseSimd(SimdLevel level)
    {
        if (level > BestSupported)
            throw new NotSupportedException($"CpuSettings.UseSimd({level}): this CPU and runtime support up to {BestSupported}");
        var previous = Scoped.Value;
        Scoped.Value = (int)level;
        return new Restore(previous);
    }

    private sealed class Restore(int? previous) : IDisposable
    {
        private bool _done;
        public void Dispose() { if (_done) return; _done = true; Scoped.Value = previous; }
    }

    /// <summary>Every level this machine supports, narrowest first (for tests that compare them).</summary>
    public static IReadOnlyList<SimdLevel> SupportedLevels =>
        Enum.GetValues<SimdLevel>().Where(l => l <= BestSupported).ToArray();

    /// <summary>Floats per vector at <see cref="Simd"/> (16, 8 or 1).</summary>
    public static int Lanes => Simd switch { SimdLevel.Avx512 => 16, SimdLevel.Avx2 => 8, _ => 1 };

    private static SimdLevel SimdFromEnvironment()
    {
        var s = Environment.GetEnvironmentVariable("ENGINE_SIMD");
        if (string.IsNullOrWhiteSpace(s)) return BestSupported;
        SimdLevel want = s.Trim().ToLowerInvariant() switch
        {
            "avx512" or "avx-512" => SimdLevel.Avx512,
            "avx2" => SimdLevel.Avx2,
            "scalar" => SimdLevel.Scalar,
            _ => throw new InvalidOperationException($"environment variable ENGINE_SIMD='{s}': expected avx512, avx2 or scalar"),
        };
        if (want > BestSupported)
            throw new InvalidOperationException($"environment variable ENGINE_SIMD='{s}': this CPU and runtime support up to {BestSupported.ToString().ToLowerInvariant()}");
        return want;
    }

    private static int FromEnvironment(string name, int fallback)
    {
        var s = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrWhiteSpace(s)) return fallback;
        if (!int.TryParse(s, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int n) || n < 1)
            throw new InvalidOperationException($"environment variable {name}='{s}': expected a whole number of threads >= 1");
        return n;
    }
}
