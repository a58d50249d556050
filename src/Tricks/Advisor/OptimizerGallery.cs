namespace Engine.Training;

/// <summary>One optimizer's run on one test function: the path (x, y) and f at every step (index 0 = the start).</summary>
public sealed record Trajectory(string Optimizer, string Function, double Lr, double[] X, double[] Y, double[] Loss, bool Diverged)
{
    public int Steps => X.Length - 1;
    /// <summary>f at the end; +∞ for a run that diverged (so it ranks last).</summary>
    public double FinalLoss => Diverged ? double.PositiveInfinity : Loss[^1];
}

/// <summary>
/// The optimizer gallery (after pytorch_optimizer's visualizations): every optimizer of <see cref="OptimizerZoo"/>
/// (and SGD with momentum 0.9) from the same start on <see cref="TestFunction.Rosenbrock"/> and
/// <see cref="TestFunction.Rastrigin"/>, each at the learning rate of a small search (<see cref="LrGrid"/>: the
/// lowest final f wins). Computes the paths only; the CLI draws them (GalleryGrid, GalleryFigures).
/// </summary>
/// <remarks>
/// The point is a tensor p [1, 2] with RequiresGrad (a 1×2 matrix, so that Muon orthogonalizes and SOAP
/// preconditions it rather than falling back to AdamW/Adam), updated by the engine's real optimizers with their
/// default settings and no weight decay. Its gradient comes from autograd where the function is built from
/// engine ops (Rosenbrock), else from the analytic gradient (Rastrigin). Optimizers that take a closure get one
/// that re-evaluates f and its gradient; Sophia's, which wants a sampled-label loss, gets f too (there are no
/// labels here), so its "Hessian" is the squared gradient. The path is the evaluation point
/// (<see cref="Optimizer.Eval"/>: the average for schedule-free). A run stops early, marked diverged, when f or p
/// stops being finite or leaves 1e6.
/// </remarks>
public static class OptimizerGallery
{
    /// <summary>An optimizer of the gallery: its name and how to build it on the parameter list with a learning rate.</summary>
    public sealed record Entry(string Name, Func<IEnumerable<Tensor>, double, Optimizer> Make, double DefaultLr);

    private static Entry FromZoo(ZooEntry e) =>
        new(e.Name, (ps, lr) => e.Create([new ParamGroup(ps)], new ZooSettings(lr, WeightDecay: 0)), e.Lr);

    public static IReadOnlyList<Entry> Optimizers { get; } =
        OptimizerZoo.All.SelectMany(e => e.Name == "sgd"
            ? new[] { FromZoo(e), new Entry("sgd-momentum", (ps, lr) => new SGD(ps, lr, momentum: 0.9), 0.1) }
            : [FromZoo(e)]).ToList();

    /// <summary>The learning rates tried for every optimizer: 1e-4 to 10 in half decades.</summary>
    public static IReadOnlyList<double> LrGrid { get; } = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3, 10];

    /// <summary>Steps per run.</summary>
    public const int DefaultSteps = 500;

    /// <summary>|p| or f beyond this ends a run as diverged.</summary>
    public const double DivergenceLimit = 1e6;

    public static Entry Get(string name) =>
        Optimizers.FirstOrDefault(o => o.Name == name) ?? throw new ArgumentException($"gallery: no optimizer '{name}' (have {string.Join(", ", Optimizers.Select(o => o.Name))})");

    /// <summary>Runs one optimizer on one function for steps steps from the function's start, at lr (default: the optimizer's).</summary>
    public static Trajectory Run(TestFunction f, Entry entry, int steps = DefaultSteps, double? lr = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        double rate = lr ?? entry.DefaultLr;
        var xs = new List<double>(steps + 1) { f.Start.X };
        var ys = new List<double>(steps + 1) { f.Start.Y };
        var loss = new List<double>(steps + 1) { f.Value(f.Start.X, f.Start.Y) };
        bool diverged = false;
        using var p = Tensor.FromArray([(float)f.Start.X, (float)f.Start.Y], 1, 2).RequiresGrad_();
        p.Keep();
        var opt = entry.Make([p], rate);
        // f at p with its gradient in p.Grad (the closure, and the first evaluation of every step)
        float Evaluate()
        {
            if (f.Loss is { } graph)
            {
                var l = graph(p.Reshape(2));
                l.Backward();
                return l.Item();
            }
            var v = p.ToArray();
            var (dx, dy) = f.Gradient(v[0], v[1]);
            p.Grad = Tensor.FromArray([(float)dx, (float)dy], 1, 2);
            return (float)f.Value(v[0], v[1]);
        }
        try
        {
            for (int t = 0; t < steps; t++)
            {
                using (TensorScope.Begin())
                {
                    opt.ZeroGrad();
                    Evaluate();
                    if (opt.ClosureKind == ClosureKind.None) opt.Step();
                    else opt.Step(Evaluate);
                }
                opt.Eval();
                var q = p.ToArray();
                opt.Train();
                double x = q[0], y = q[1], fv = f.Value(x, y);
                if (!double.IsFinite(fv) || Math.Abs(x) > DivergenceLimit || Math.Abs(y) > DivergenceLimit || fv > DivergenceLimit) { diverged = true; break; }
                xs.Add(x); ys.Add(y); loss.Add(fv);
            }
        }
        catch (ArithmeticException) { diverged = true; }      // a closure that returned NaN, an eigensolver fed Inf
        return new Trajectory(entry.Name, f.Name, rate, [.. xs], [.. ys], [.. loss], diverged);
    }

    /// <summary>The run at the learning rate of <see cref="LrGrid"/> with the lowest final f (ties: the smaller rate), and every run of the search.</summary>
    public static (Trajectory Best, IReadOnlyList<Trajectory> Tried) Tune(TestFunction f, Entry entry, int steps = DefaultSteps)
    {
        var tried = LrGrid.Select(lr => Run(f, entry, steps, lr)).ToList();
        return (Best(tried), tried);
    }

    private static Trajectory Best(IEnumerable<Trajectory> runs) =>
        runs.OrderBy(r => r.FinalLoss).ThenBy(r => r.Lr).First();

    /// <summary>Every optimizer on every function, each at its tuned learning rate (runs in parallel; the result does not depend on it).</summary>
    public static List<Trajectory> RunAll(int steps = DefaultSteps, IReadOnlyList<Entry>? optimizers = null)
    {
        var entries = optimizers ?? Optimizers;
        var jobs = (from f in TestFunction.All from e in entries from lr in LrGrid select (f, e, lr)).ToArray();
        var results = new Trajectory[jobs.Length];
        Parallel.For(0, jobs.Length, i => results[i] = Run(jobs[i].f, jobs[i].e, steps, jobs[i].lr));
        return (from f in TestFunction.All
                from e in entries
                select Best(results.Where(r => r.Function == f.Name && r.Optimizer == e.Name))).ToList();
    }

    /// <summary>The runs of one function from best to worst final f.</summary>
    public static List<Trajectory> Ranking(IEnumerable<Trajectory> runs, TestFunction f) =>
        runs.Where(r => r.Function == f.Name).OrderBy(r => r.FinalLoss).ThenBy(r => r.Optimizer, StringComparer.Ordinal).ToList();
}
