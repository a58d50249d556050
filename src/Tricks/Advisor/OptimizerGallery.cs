namespace Engine.Training;

/// <summary>One optimizer's run on one test function: the path (x, y) and f at every step (index 0 = the start).</summary>
public sealed record Trajectory(string Optimizer, string Function, double Lr, double[] X, double[] Y, double[] Loss, bool Diverged)
{
    public int Steps => X.Length - 1;
    public double FinalLoss => Loss[^1];
}

/// <summary>
/// The optimizer gallery (after pytorch_optimizer's): SGD, SGD with momentum, Adam, AdamW, AdaBound,
/// AMSBound and RMSprop run from the same start on <see cref="TestFunction.Rosenbrock"/> and
/// <see cref="TestFunction.Rastrigin"/>. Computes the paths only; <see cref="GalleryPlot"/> draws them.
/// </summary>
/// <remarks>
/// The point is a tensor p [2] with RequiresGrad, updated by the engine's real optimizers. Its
/// gradient comes from autograd where the function is built from engine ops (Rosenbrock), else
/// from the analytic gradient (Rastrigin: the engine has no cosine op). Learning rates are per
/// function, chosen by hand so that each optimizer shows its typical behaviour (not tuned to win).
/// A run stops early, marked diverged, when f or p stops being finite or leaves 1e6.
/// </remarks>
public static class OptimizerGallery
{
    /// <summary>An optimizer of the gallery: its name and how to build it on the parameter list with a learning rate.</summary>
    public sealed record Entry(string Name, Func<IEnumerable<Tensor>, double, Optimizer> Make, double RosenbrockLr, double RastriginLr)
    {
        public double LrFor(TestFunction f) => f.Name == TestFunction.Rosenbrock.Name ? RosenbrockLr : RastriginLr;
    }

    public static IReadOnlyList<Entry> Optimizers { get; } =
    [
        new("SGD", (ps, lr) => new SGD(ps, lr), 1e-3, 3e-3),
        new("SGD-momentum", (ps, lr) => new SGD(ps, lr, momentum: 0.9), 1e-3, 3e-3),
        new("Adam", (ps, lr) => new Adam(ps, lr), 0.3, 0.3),
        new("AdamW", (ps, lr) => new AdamW(ps, lr, weightDecay: 1e-2), 0.3, 0.3),
        new("AdaBound", (ps, lr) => new AdaBound(ps, lr, finalLr: 1e-3), 0.3, 0.3),
        new("AMSBound", (ps, lr) => new AMSBound(ps, lr, finalLr: 1e-3), 0.3, 0.3),
        new("RMSprop", (ps, lr) => new RMSprop(ps, lr), 0.1, 0.3),
    ];

    /// <summary>Steps per run.</summary>
    public const int DefaultSteps = 500;

    /// <summary>|p| or f beyond this ends a run as diverged.</summary>
    public const double DivergenceLimit = 1e6;

    /// <summary>Runs one optimizer on one function for steps steps from the function's start.</summary>
    public static Trajectory Run(TestFunction f, Entry entry, int steps = DefaultSteps, double? lr = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        double rate = lr ?? entry.LrFor(f);
        var xs = new List<double>(steps + 1) { f.Start.X };
        var ys = new List<double>(steps + 1) { f.Start.Y };
        var loss = new List<double>(steps + 1) { f.Value(f.Start.X, f.Start.Y) };
        bool diverged = false;
        using var p = Tensor.FromArray([(float)f.Start.X, (float)f.Start.Y], 2).RequiresGrad_();
        p.Keep();
        var opt = entry.Make([p], rate);
        for (int t = 0; t < steps; t++)
        {
            using (TensorScope.Begin())
            {
                opt.ZeroGrad();
                if (f.Loss is { } graph) graph(p).Backward();
                else
                {
                    var v = p.ToArray();
                    var (dx, dy) = f.Gradient(v[0], v[1]);
                    p.Grad = Tensor.FromArray([(float)dx, (float)dy], 2);
                }
                opt.Step();
            }
            var q = p.ToArray();
            double x = q[0], y = q[1], fv = f.Value(x, y);
            if (!double.IsFinite(fv) || Math.Abs(x) > DivergenceLimit || Math.Abs(y) > DivergenceLimit || fv > DivergenceLimit) { diverged = true; break; }
            xs.Add(x); ys.Add(y); loss.Add(fv);
        }
        return new Trajectory(entry.Name, f.Name, rate, [.. xs], [.. ys], [.. loss], diverged);
    }

    /// <summary>Every optimizer on every function.</summary>
    public static List<Trajectory> RunAll(int steps = DefaultSteps) =>
        TestFunction.All.SelectMany(f => Optimizers.Select(o => Run(f, o, steps))).ToList();
}
