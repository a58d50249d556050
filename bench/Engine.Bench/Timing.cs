using System.Diagnostics;

namespace Engine.Bench;

/// <summary>
/// The timing rule shared with bench/compare_torch.py: a few warm-up calls (JIT tiers, pools, caches),
/// then calls until about one second has passed (at least 5, at most 200), and the median call time.
/// The median, not the mean: the machine is shared and the slow tail is other people's work.
/// </summary>
internal static class Timing
{
    public static double MedianMs(Action step, double budgetMs = 1000, int warmup = 3)
    {
        for (int i = 0; i < warmup; i++) step();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < 5 || (total.Elapsed.TotalMilliseconds < budgetMs && times.Count < 200))
        {
            long t0 = Stopwatch.GetTimestamp();
            step();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>One call, timed: for workloads long enough (an epoch) that warm-up is a small part of them.</summary>
    public static double OnceMs(Action step)
    {
        long t0 = Stopwatch.GetTimestamp();
        step();
        return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }
}
