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
        Row("SIMD (kernels)", Engine.Training.RunInfo.DetectSimd() + "; set with ENGINE_SIMD=avx512|avx2|scalar");
        Row("SIMD (machine)", MachineSimd());
        Row("threads (kernels)", CpuSettings.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture) + "; set with ENGINE_THREADS");
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

    /// <summary>The instruction sets the CPU reports and what .NET accelerates.</summary>
    public static string MachineSimd()
    {
        var sets = new List<string>();
        if (Avx512F.IsSupported) sets.Add("AVX-512F");
        if (Avx512BW.IsSupported) sets.Add("BW");
        if (Avx512DQ.IsSupported) sets.Add("DQ");
        if (Avx512Vbmi.IsSupported) sets.Add("VBMI");
        if (Avx2.IsSupported) sets.Add("AVX2");
        if (Fma.IsSupported) sets.Add("FMA");
        string accel = Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : Vector128.IsHardwareAccelerated ? "Vector128" : "none";
        return $"{(sets.Count == 0 ? "no vector extensions" : string.Join(" ", sets))}; .NET accelerates {accel}";
    }
}
