using System.Diagnostics;
using System.Globalization;
using Engine;

// alignment [--reps N] [--device cpu|gpu]: forward+backward of Linear and Conv2d layers at an unaligned
// size and at the aligned size next to it (500 vs 512 features, 3 vs 4 channels, batch 30 vs 32),
// timed in alternation, best-of-N wall time each, and the ratios:
//   speedup   = t(unaligned) / t(aligned)            > 1: the aligned layer is faster outright
//               (from the best times, and the median of the per-round ratios)
//   per-FLOP  = speedup * flops(aligned) / flops(unaligned)   > 1: aligned does more work per second
// The rule of thumb says "pad to the aligned size": it pays when speedup > 1, and the kernels are
// alignment-sensitive when per-FLOP > 1 even if the extra work eats the gain.
int reps = 7;
string deviceName = "cpu";
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--reps" && i + 1 < args.Length) reps = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--device" && i + 1 < args.Length) deviceName = args[++i];
    else { Console.Error.WriteLine($"alignment: unknown argument '{args[i]}' (expected --reps N, --device cpu|gpu)"); return 2; }
}
var device = deviceName == "gpu" ? Device.Best() : Device.Cpu;
Console.WriteLine($"alignment benchmark on {device}, {Environment.ProcessorCount} cores, best of {reps}; forward+backward per call");
Console.WriteLine();
Console.WriteLine("| case | unaligned | aligned | best t unaligned (ms) | best t aligned (ms) | speedup (best) | speedup (median) | per-FLOP (best) |");
Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|");

// Linear(f, f) on x [batch, f] (input gradient too, as for a hidden layer): 3 GEMMs of 2*b*f*f flops.
Pair("Linear features", "500", "512", () => Linear(128, 500), () => Linear(128, 512), 128.0 * 500 * 500, 128.0 * 512 * 512);
Pair("Linear features", "1000", "1024", () => Linear(128, 1000), () => Linear(128, 1024), 128.0 * 1000 * 1000, 128.0 * 1024 * 1024);
Pair("Linear batch", "30", "32", () => Linear(30, 512), () => Linear(32, 512), 30.0 * 512 * 512, 32.0 * 512 * 512);
// First conv layer: x [32, c, 32, 32] -> 64 channels, 3x3, pad 1 (no input gradient: it is the data).
Pair("Conv2d in channels", "3", "4", () => Conv(32, 3, 64, needInputGrad: false), () => Conv(32, 4, 64, needInputGrad: false), 3.0, 4.0);
// A hidden conv: x [b, 64, 16, 16] -> 64, 3x3, pad 1, with input gradient.
Pair("Conv2d batch", "30", "32", () => Conv(30, 64, 64, needInputGrad: true, hw: 16), () => Conv(32, 64, 64, needInputGrad: true, hw: 16), 30.0, 32.0);
// Hidden conv channels 30 vs 32 (multiple of 4) and 500 vs 512 features already above.
Pair("Conv2d channels", "30", "32", () => Conv(32, 30, 30, needInputGrad: true, hw: 16), () => Conv(32, 32, 32, needInputGrad: true, hw: 16), 30.0 * 30, 32.0 * 32);
return 0;

void Pair(string what, string a, string b, Func<Action> makeA, Func<Action> makeB, double flopsA, double flopsB)
{
    var (ta, tb, median) = Interleaved(makeA(), makeB());
    double speedup = ta / tb, perFlop = speedup * flopsB / flopsA;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | {a} | {b} | {ta:F3} | {tb:F3} | {speedup:F2} | {median:F2} | {perFlop:F2} |"));
}

// The machine is shared, so its load changes from second to second. A and B are therefore timed in
// alternation (A, B, A, B, ...: both see the same conditions), reps rounds, each timing a batch of
// calls of at least ~20 ms; after two warm-up calls each (JIT, pool, PGO). Returns the best time of
// each in ms, and the median over rounds of the per-round ratio t(A)/t(B).
(double BestA, double BestB, double MedianRatio) Interleaved(Action a, Action b)
{
    a(); a(); b(); b();
    int innerA = Inner(a), innerB = Inner(b);
    double bestA = double.MaxValue, bestB = double.MaxValue;
    var ratios = new List<double>();
    for (int r = 0; r < reps; r++)
    {
        double ta = Time(a, innerA), tb = Time(b, innerB);
        bestA = Math.Min(bestA, ta); bestB = Math.Min(bestB, tb);
        ratios.Add(ta / tb);
    }
    ratios.Sort();
    return (bestA, bestB, ratios[ratios.Count / 2]);
}

static int Inner(Action call) => Math.Max(1, (int)(20 / Math.Max(Time(call, 1), 1e-3)));

static double Time(Action call, int inner)
{
    var sw = Stopwatch.StartNew();
    for (int k = 0; k < inner; k++) call();
    return sw.Elapsed.TotalMilliseconds / inner;
}

Action Linear(int batch, int features)
{
    var layer = new Linear(features, features).To(device);
    var x = Tensor.Randn(batch, features).To(device).Keep();
    x.RequiresGrad = true;
    return () =>
    {
        using var scope = TensorScope.Begin();
        layer.ZeroGrad(); x.ZeroGrad();
        layer.Forward(x).Sum().Backward();
        Sync(layer.Weight.Grad!);
    };
}

Action Conv(int batch, int cin, int cout, bool needInputGrad, int hw = 32)
{
    var layer = new Conv2d(cin, cout, 3, padding: 1).To(device);
    var x = Tensor.Randn(batch, cin, hw, hw).To(device).Keep();
    x.RequiresGrad = needInputGrad;
    return () =>
    {
        using var scope = TensorScope.Begin();
        layer.ZeroGrad(); x.ZeroGrad();
        layer.Forward(x).Sum().Backward();
        Sync(layer.Weight.Grad!);
    };
}

// Reading one value waits for an asynchronous device to finish.
static void Sync(Tensor t) => t.Reshape(-1).Narrow(0, 0, 1).ToArray();
