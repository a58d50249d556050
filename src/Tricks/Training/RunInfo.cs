using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Training;

/// <summary>
/// What a result needs to be traced: engine version, seed, hyperparameters, the machine's SIMD
/// level, cores and runtime. Trainers store it in their history.
/// </summary>
public sealed record RunInfo(string EngineVersion, long? Seed, string SimdLevel, int Cores, string Runtime, string Os, bool Deterministic, IReadOnlyDictionary<string, string> Hyperparameters)
{
    public static RunInfo Capture(IReadOnlyDictionary<string, string>? hyperparameters = null, bool deterministic = false) => new(
        typeof(Tensor).Assembly.GetName().Version?.ToString() ?? "unknown",
        Engine.Seed.Current,
        DetectSimd(),
        Environment.ProcessorCount,
        $".NET {Environment.Version}",
        System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        deterministic,
        hyperparameters ?? new Dictionary<string, string>());

    public static string DetectSimd() =>
        Avx512F.IsSupported ? "AVX-512F" : Avx2.IsSupported && Fma.IsSupported ? "AVX2+FMA" : Vector256.IsHardwareAccelerated ? "Vector256" : Vector128.IsHardwareAccelerated ? "Vector128" : "scalar";
}
