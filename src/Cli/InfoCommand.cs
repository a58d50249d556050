using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Cli;

/// <summary>`engine info`: what the engine sees of this machine.</summary>
public static class InfoCommand
{
    public static int Run(TextWriter stdout)
    {
        stdout.WriteLine($"engine {typeof(Tensor).Assembly.GetName().Version}");
        stdout.WriteLine($".NET {Environment.Version} on {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        stdout.WriteLine($"cores: {Environment.ProcessorCount}");
        stdout.WriteLine($"SIMD: {SimdLevel()}");
        stdout.WriteLine($"devices: {Device.Best()}");
        return 0;
    }

    public static string SimdLevel() =>
        Avx512F.IsSupported ? "AVX-512F" : Avx2.IsSupported && Fma.IsSupported ? "AVX2+FMA" : Vector256.IsHardwareAccelerated ? "Vector256" : Vector128.IsHardwareAccelerated ? "Vector128" : "scalar";
}
