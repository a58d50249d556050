using System.Globalization;

namespace Engine.Bench;

/// <summary>
/// In-process A/B of a change: the old and the new way of one workload, alternating, ROUNDS rounds (--rounds n,
/// default 5), best median per side, and the ratio old / new. On a shared machine two processes run minutes apart see
/// different loads; alternating in one process, the best of several medians is the least disturbed.
///   dotnet bench/Engine.Bench/bin/Release/net10.0/Engine.Bench.dll ab [--only lstm] [--rounds n]
/// </summary>
internal static class AbBench
{
    private sealed record Pair(string Name, string Old, Func<Action> MakeOld, string New, Func<Action> MakeNew);

    private static readonly Pair[] Pairs =
    [
        new("lstm", "per-step graph", () => Lstm(fused: false), "Tensor.LstmSequence", () => Lstm(fused: true)),
    ];

    public static int Run(string[] args)
    {
        int i = Array.IndexOf(args, "--rounds");
        int rounds = i >= 0 ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : 5;
        int o = Array.IndexOf(args, "--only");
        var only = o >= 0 ? args[o + 1].Split(',') : null;
        foreach (var p in Pairs.Where(p => only == null || only.Contains(p.Name)))
        {
            var (a, b) = (p.MakeOld(), p.MakeNew());
            double ta = double.MaxValue, tb = double.MaxValue;
            for (int r = 0; r < rounds; r++)
            {
                ta = Math.Min(ta, Timing.MedianMs(a, 500));
                tb = Math.Min(tb, Timing.MedianMs(b, 500));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{p.Name,-10} old ({p.Old}) {ta,9:F3} ms   new ({p.New}) {tb,9:F3} ms   old/new {ta / tb,5:F2}"));
        }
        return 0;
    }

    private static Tensor Param(params int[] shape) => (Tensor.Randn(shape) * 0.05f).RequiresGrad_();

    // The compare workload's LSTM (seq 32, batch 32, input 128, hidden 256, fwd + bwd), the recurrence either as the
    // per-step graph (Matmul + add + LstmCell per step) or as one LstmSequence node.
    private static Action Lstm(bool fused)
    {
        const int S = 32, B = 32, I = 128, H = 256;
        var x = Param(S, B, I); var wih = Param(4 * H, I); var whh = Param(4 * H, H); var bias = Param(4 * H);
        return () =>
        {
            using var scope = Tensor.Scope();
            x.ZeroGrad(); wih.ZeroGrad(); whh.ZeroGrad(); bias.ZeroGrad();
            var xp = (x.Reshape(S * B, I).Matmul(wih.T) + bias).Reshape(S, B, 4 * H);
            Tensor hs;
            if (fused) (hs, _) = Tensor.LstmSequence(xp, whh, Tensor.Zeros(B, H), Tensor.Zeros(B, H));
            else
            {
                var h = Tensor.Zeros(B, H); var c = Tensor.Zeros(B, H);
                var outs = new List<Tensor>(S);
                for (int t = 0; t < S; t++)
                {
                    (h, c) = Tensor.LstmCell(xp.Select(0, t) + h.Matmul(whh.T), c);
                    outs.Add(h);
                }
                hs = Tensor.Stack(outs);
            }
            hs.Sum().Backward();
        };
    }
}
