using System.Globalization;

namespace Engine.Bench;

/// <summary>
/// The engine's half of bench/compare.sh. Prints one JSON line per workload, <c>{"name": ..., "ms": ...}</c> (--json),
/// after one line for the measured peak, <c>{"name": "peak", "gflops": ..., "simd": ...}</c> (the GEMM micro-kernel of
/// the width in use, alone on L1-resident panels, on every core), or a table with GFLOP/s and the share of that peak.
/// --only a,b runs a subset; --repeat n keeps the best of n medians (the machine is shared).
/// </summary>
public static class Compare
{
    public static int Run(string[] args)
    {
        bool json = args.Contains("--json");
        var only = Option(args, "--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries);
        int repeat = int.Parse(Option(args, "--repeat") ?? "1", CultureInfo.InvariantCulture);
        var picked = Workloads.All.Where(w => only == null || only.Contains(w.Name)).ToList();
        if (only != null && picked.Count != only.Length)
        {
            Console.Error.WriteLine($"compare: unknown workload in '{string.Join(',', only)}'; known: {string.Join(", ", Workloads.All.Select(w => w.Name))}");
            return 2;
        }
        double peak = Peak.Measure(CpuSettings.Simd, CpuSettings.Threads);
        if (json) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"name\": \"peak\", \"gflops\": {peak:F1}, \"simd\": \"{CpuSettings.Simd}\", \"threads\": {CpuSettings.Threads}}}"));
        else Console.WriteLine($"{"workload",-36} {"ms",9} {"GFLOP/s",8} {"% peak",7}   ({CpuSettings.Simd}, {CpuSettings.Threads} threads, measured peak {peak:F0} GFLOP/s)");
        foreach (var w in picked)
        {
            var step = w.Make();
            double ms = double.MaxValue;
            // An epoch is timed once, without warm-up: its first steps carry the JIT, a small part of 938.
            for (int r = 0; r < repeat; r++) ms = Math.Min(ms, w.Long ? Timing.OnceMs(step) : Timing.MedianMs(step));
            double gflops = w.Flops / (ms * 1e6);
            if (json) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"name\": \"{w.Name}\", \"ms\": {ms:F4}}}"));
            else Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{w.Name,-36} {ms,9:F3} {gflops,8:F1} {100 * gflops / peak,6:F1}%"));
        }
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
