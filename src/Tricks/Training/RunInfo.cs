
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

    /// <summary>The width the CPU kernels run at (CpuSettings.Simd), and the widest the machine supports when that is more.</summary>
    public static string DetectSimd() =>
        CpuSettings.Simd == CpuSettings.BestSupported ? Name(CpuSettings.Simd) : $"{Name(CpuSettings.Simd)} (of {Name(CpuSettings.BestSupported)})";

    /// <summary>A width as engine info prints it: AVX-512 (16 floats), AVX2+FMA (8 floats), scalar.</summary>
    public static string Name(Engine.SimdLevel level) => level switch
    {
        Engine.SimdLevel.Avx512 => "AVX-512 (16 floats)",
        Engine.SimdLevel.Avx2 => "AVX2+FMA (8 floats)",
        _ => "scalar (1 float)",
    };
}
