using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Spectre.Console;

namespace Engine.Cli;

/// <summary>`engine info`: what the engine sees of this machine.</summary>
public static class InfoCommand
{
    public static int Run(TextWriter stdout)
    {
        var table = new Table().Title("engine info").AddColumn("item").AddColumn("value");
        void Row(string k, string v) => table.AddRow(Markup.Escape(k), Markup.Escape(v));
        Row("engine", typeof(Tensor).Assembly.GetName().Version?.ToString() ?? "?");
        Row("runtime", $".NET {Environment.Version} on {System.Runtime.InteropServices.RuntimeInformation.OSDescription} ({System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture})");
        Row("cores", Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Row("threads (thread pool min)", ThreadPoolMin());
        Row("SIMD", SimdLevel());
        Row("vector width", $"{System.Numerics.Vector<float>.Count} floats ({System.Numerics.Vector<float>.Count * 32} bits)");
        Row("best device (--device auto)", TrainSetup.ResolveDevice("auto").ToString());
        Row("devices", string.Join(", ", Devices()));
        foreach (var gpu in GpuLines()) Row("GPU", gpu);
        Row("Spectre.Console", Version(typeof(AnsiConsole)));
        Row("ScottPlot", Version(typeof(ScottPlot.Plot)));
        TrainCommand.Render(stdout, table);
        return 0;
    }

    /// <summary>The package version (informational version without the source hash), else the assembly version.</summary>
    private static string Version(Type t)
    {
        var info = System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(t.Assembly)?.InformationalVersion;
        return info?.Split('+')[0] ?? t.Assembly.GetName().Version?.ToString() ?? "?";
    }

    private static string ThreadPoolMin()
    {
        ThreadPool.GetMinThreads(out int worker, out _);
        return worker.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>CUDA and OpenCL devices as ILGPU sees them; a broken driver is reported, not thrown.</summary>
    private static IEnumerable<string> GpuLines()
    {
        List<string> lines;
        try { lines = Engine.Kernels.Ilgpu.IlgpuDevices.Describe().ToList(); }
        catch (Exception e) { lines = [$"GPU probe failed: {e.Message}"]; }
        return lines;
    }

    private static IEnumerable<string> Devices()
    {
        yield return Device.Cpu.ToString();
        var best = TrainSetup.ResolveDevice("auto");
        if (best != Device.Cpu) yield return best.ToString();
    }

    public static string SimdLevel() =>
        Avx512F.IsSupported ? "AVX-512F" : Avx2.IsSupported && Fma.IsSupported ? "AVX2+FMA" : Vector256.IsHardwareAccelerated ? "Vector256" : Vector128.IsHardwareAccelerated ? "Vector128" : "scalar";
}
