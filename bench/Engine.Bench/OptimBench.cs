using System.Diagnostics;
using System.Globalization;

namespace Engine.Bench;

/// <summary>
/// `optim [--only a,b] [--size N] [--count K] [--steps S]`: the update time of every optimizer of the zoo on K weight
/// matrices [N, N] plus K bias vectors [N] (default 10 x 1000 x 1000 + 10 x 1000: 10.01M parameters), with fixed random
/// gradients. Each optimizer takes 2 untimed steps (state allocation, SOAP's first eigendecomposition), then S timed
/// steps (default 10, so SOAP's every-10-steps QR refresh is inside); prints the median and the mean step.
/// Closure optimizers (L-BFGS, SAM, ASAM, Sophia) get the gradients of a quadratic, ½ Σ θ², from their closure, so an
/// evaluation costs about one elementwise copy, and their steps include re-setting the random gradients (one more
/// copy); L-BFGS runs with history 10 and 5 iterations per step (its default history of 100 would hold 8 GB here).
/// Each optimizer runs in its own process (the memory pool and the heap that earlier optimizers left behind
/// slowed later ones by up to 10x in one process).
/// </summary>
public static class OptimBench
{
    public static int Run(string[] args)
    {
        int size = int.Parse(Option(args, "--size") ?? "1000", CultureInfo.InvariantCulture);
        int count = int.Parse(Option(args, "--count") ?? "10", CultureInfo.InvariantCulture);
        int steps = int.Parse(Option(args, "--steps") ?? "10", CultureInfo.InvariantCulture);
        var only = Option(args, "--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries);
        var names = OptimizerZoo.Names.Where(n => only == null || only.Contains(n)).ToList();
        if (only != null && names.Count != only.Length)
        {
            Console.Error.WriteLine($"optim: unknown optimizer in '{string.Join(',', only)}'; known: {string.Join(", ", OptimizerZoo.Names)}");
            return 2;
        }
        long n = (long)count * size * size + (long)count * size;
        bool child = args.Contains("--child");
        if (!child)
            Console.WriteLine($"optimizer update time: {count} x [{size},{size}] + {count} x [{size}] = {n / 1e6:F2}M parameters, float32, {Environment.ProcessorCount} cores, " +
                          $"{(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "Vector512" : "Vector256")} hardware; {steps} timed steps after 2");
        if (!child) Console.WriteLine($"{"optimizer",-20} {"median ms",10} {"mean ms",10} {"ns/param",9} {"state MB",9}");
        if (!child)
        {
            foreach (var name in names)
            {
                var self = Environment.ProcessPath!;
                var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
                // `dotnet Engine.Bench.dll` runs as the dotnet host: pass the assembly on
                if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(typeof(OptimBench).Assembly.Location);
                foreach (var a in new[] { "optim", "--child", "--only", name, "--size", size.ToString(CultureInfo.InvariantCulture),
                                          "--count", count.ToString(CultureInfo.InvariantCulture), "--steps", steps.ToString(CultureInfo.InvariantCulture) })
                    psi.ArgumentList.Add(a);
                using var proc = Process.Start(psi)!;
                Console.Write(proc.StandardOutput.ReadToEnd());
                proc.WaitForExit();
                if (proc.ExitCode != 0) { Console.Error.WriteLine($"optim: {name} failed (exit {proc.ExitCode})"); return proc.ExitCode; }
            }
            return 0;
        }
        foreach (var name in names)
        {
            var ps = new List<Tensor>();
            var grads = new List<Tensor>();
            var gen = new Generator(42);
            for (int i = 0; i < count; i++)
            {
                ps.Add(Tensor.Randn(new Shape(size, size), gen).Mul(0.02f).RequiresGrad_().Keep());
                ps.Add(Tensor.Zeros(size).RequiresGrad_().Keep());
            }
            foreach (var p in ps) grads.Add(Tensor.Randn(p.Shape, gen).Mul(1e-3f).Keep());
            var opt = name == "lbfgs"
                ? new LBFGS(ps, lr: 1e-3, maxIter: 5, historySize: 10)
                : OptimizerZoo.Get(name).Create([new ParamGroup(ps)]);
            void SetGrads() { for (int i = 0; i < ps.Count; i++) ps[i].Grad = grads[i].Clone(); }
            // the quadratic's closure: gradient θ (copied in place of the random one), loss ½ Σ θ²
            float Closure()
            {
                using (Tensor.NoGrad()) for (int i = 0; i < ps.Count; i++) ps[i].Grad = ps[i].Detach().Clone();
                return 0.5f * ps.Sum(p => p.Detach().Square().Sum().Item());
            }
            // the gradients stay in place across plain steps; a closure's evaluation replaces them, so those steps
            // set them again (one copy of the parameters, included in their time)
            bool closure = opt.ClosureKind != ClosureKind.None;
            SetGrads();
            void Step()
            {
                using var _ = Tensor.Scope();
                if (closure) { SetGrads(); opt.Step(Closure); }
                else opt.Step();
            }
            Step(); Step();
            var times = new List<double>();
            for (int s = 0; s < steps; s++)
            {
                long t0 = Stopwatch.GetTimestamp();
                Step();
                times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            double mean = times.Average();
            times.Sort();
            double median = times[times.Count / 2];
            double stateMb = StateBytes(opt, ps) / 1e6;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-20} {median,10:F1} {mean,10:F1} {median * 1e6 / n,9:F2} {stateMb,9:F0}"));
            foreach (var p in ps) { p.ZeroGrad(); p.Dispose(); }
            foreach (var g in grads) g.Dispose();
            GC.Collect();
        }
        return 0;
    }

    private static long StateBytes(Optimizer opt, IEnumerable<Tensor> ps)
    {
        var sd = opt.StateDict();
        long bytes = sd.Tensors.Values.Sum(t => (long)t.Numel * 4);
        foreach (var t in sd.Tensors.Values) t.Dispose();
        return bytes;
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
