using System.Diagnostics;

namespace Engine.Cli;

/// <summary>`engine bench`: runs bench/compare.sh (engine vs PyTorch) from the repository; prints how to run it otherwise.</summary>
public static class BenchCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var script = FindScript();
        if (script == null)
        {
            stdout.WriteLine("engine bench: bench/compare.sh was not found above the current folder.");
            stdout.WriteLine("Run it from a checkout of the repository:  cd <repo> && bash bench/compare.sh");
            stdout.WriteLine("or the micro-benchmarks directly:          dotnet run -c Release --project bench/Engine.Bench");
            return 1;
        }
        stdout.WriteLine($"engine bench: running {script} {string.Join(' ', args)}");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(Path.GetDirectoryName(script))! };
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new IOException($"could not start bash for {script}");
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (stdout) stdout.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (stdout) stderr.WriteLine(e.Data); };
        p.BeginOutputReadLine(); p.BeginErrorReadLine();
        p.WaitForExit();
        return p.ExitCode;
    }

    /// <summary>bench/compare.sh in the current folder or any folder above it.</summary>
    public static string? FindScript()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir != null; dir = dir.Parent)
        {
            var f = Path.Combine(dir.FullName, "bench", "compare.sh");
            if (File.Exists(f)) return f;
        }
        return null;
    }
}
