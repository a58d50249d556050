using System.Diagnostics;

namespace Engine.Distributed.Tests;

/// <summary>Starts DdpProbe alone or under mpirun, always with the loopback-only flags and a bounded time.</summary>
internal static class Mpi
{
    /// <summary>Every mpirun of the tests: traffic stays on loopback (the launcher's control channel too).</summary>
    public static readonly string[] LoopbackFlags =
        ["--allow-run-as-root", "--mca", "pml", "ob1", "--mca", "btl", "self,vader,tcp",
         "--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo"];

    public static bool Required => Environment.GetEnvironmentVariable("ENGINE_REQUIRE_MPI") == "1";

    public static string? MpiRun { get; } = FindOnPath("mpirun");

    public static string? WhyUnavailable =>
        MpiRun == null ? "mpirun is not on the PATH: apt-get install openmpi-bin libopenmpi3 (set ENGINE_REQUIRE_MPI=1 to fail instead of skipping)" : null;

    public static string Probe => Path.Combine(AppContext.BaseDirectory, "DdpProbe.dll");

    /// <summary>Runs `mpirun -np n dotnet DdpProbe.dll args` (or the probe alone when n == 0); kills it after timeout.</summary>
    public static (int exitCode, string output, TimeSpan elapsed) Run(int n, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (n > 0)
        {
            psi.FileName = MpiRun ?? throw new InvalidOperationException(WhyUnavailable);
            foreach (var f in LoopbackFlags) psi.ArgumentList.Add(f);
            psi.ArgumentList.Add("-np"); psi.ArgumentList.Add(n.ToString());
            psi.ArgumentList.Add(DotnetHost);
        }
        else psi.FileName = DotnetHost;
        psi.ArgumentList.Add(Probe);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TERM"] = "dumb";
        // a singleton (no mpirun) starts its own helper: keep it on loopback as well
        psi.Environment["OMPI_MCA_pml"] = "ob1";
        psi.Environment["OMPI_MCA_btl"] = "self,vader,tcp";
        psi.Environment["OMPI_MCA_btl_tcp_if_include"] = "lo";
        psi.Environment["OMPI_MCA_oob_tcp_if_include"] = "lo";
        if (env != null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"{psi.FileName} {string.Join(' ', psi.ArgumentList)} did not finish within {timeout.TotalSeconds} s:\n{stdout.Result}\n{stderr.Result}");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result, clock.Elapsed);
    }

    private static string DotnetHost => Environment.ProcessPath is { } h && Path.GetFileNameWithoutExtension(h) == "dotnet" ? h : FindOnPath("dotnet") ?? "dotnet";

    private static string? FindOnPath(string exe) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, exe)).FirstOrDefault(File.Exists);

    /// <summary>The weights file DdpProbe's rank 0 writes: "name value" per line.</summary>
    public static (string name, float value)[] ReadWeights(string path) =>
        File.ReadAllLines(path).Select(l => l.Split(' ')).Select(p => (p[0], float.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture))).ToArray();
}

/// <summary>A test that launches mpirun: skipped with the reason where it is missing, unless ENGINE_REQUIRE_MPI=1.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (!Mpi.Required && Mpi.WhyUnavailable is { } why) Skip = why;
    }
}

/// <summary>The theory form of <see cref="MpiFactAttribute"/>.</summary>
public sealed class MpiTheoryAttribute : TheoryAttribute
{
    public MpiTheoryAttribute()
    {
        if (!Mpi.Required && Mpi.WhyUnavailable is { } why) Skip = why;
    }
}
