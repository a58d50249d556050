namespace Engine;

/// <summary>
/// L-BFGS (Liu and Nocedal, "On the Limited Memory BFGS Method for Large Scale Optimization", Math.
/// Programming 1989), as torch.optim.LBFGS (after minFunc): every <see cref="Step(Func{float})"/> runs up to
/// max_iter quasi-Newton iterations on one closure, with a fixed step or a strong-Wolfe line search.
/// All parameters are seen as one flat vector x; s and y are the last history_size steps and gradient changes:
/// <code>
/// iteration 1 ever:  d = -g,  t = min(1, 1 / |g|₁) η
/// later:             y = g - g_prev,  s = t d;  if yᵀs &gt; 1e-10: push (s, y), ρ = 1 / yᵀs, H₀ = yᵀs / yᵀy
///                    q = -g;  for i newest..oldest: αᵢ = ρᵢ sᵢᵀq,  q = q - αᵢ yᵢ
///                    r = H₀ q; for i oldest..newest: βᵢ = ρᵢ yᵢᵀr, r = r + (αᵢ - βᵢ) sᵢ;   d = r,  t = η
/// gᵀd &gt; -tolerance_change: stop  (d is no descent direction)
/// x = x + t d   (t from the strong-Wolfe search when line_search_fn = "strong_wolfe")
/// stop when max_iter or max_eval is reached, |g|∞ ≤ tolerance_grad, |t d|∞ ≤ tolerance_change
/// or |f - f_prev| &lt; tolerance_change
/// </code>
/// </summary>
/// <remarks>
/// Defaults as PyTorch: lr 1, max_iter 20, max_eval = max_iter·5/4, tolerance_grad 1e-7, tolerance_change 1e-9,
/// history_size 100, no line search. One parameter group only (as PyTorch). Needs a closure
/// (<see cref="ClosureKind.Loss"/>); like PyTorch's, it evaluates the closure once at the start of every step.
/// Its memory is (2 history_size + 2) times the parameters'. The state lives with the first parameter
/// (<c>state.0.*</c>): the flat direction <c>d</c>, <c>prev_flat_grad</c>, the history ring
/// <c>old_dirs.K</c>/<c>old_stps.K</c>/<c>ro.K</c> and its <c>history_start</c>/<c>history_count</c>, and
/// <c>t</c>, <c>H_diag</c>, <c>prev_loss</c>, <c>n_iter</c>, <c>func_evals</c>.
/// </remarks>
public sealed class LBFGS : Optimizer
{
    public LBFGS(IEnumerable<Tensor> parameters, double lr = 1, int maxIter = 20, int? maxEval = null, double toleranceGrad = 1e-7,
                 double toleranceChange = 1e-9, int historySize = 100, string? lineSearchFn = null)
        : base([new ParamGroup(parameters)], new Dictionary<string, double>
        {
            ["lr"] = lr, ["max_iter"] = maxIter, ["max_eval"] = maxEval ?? maxIter * 5 / 4, ["tolerance_grad"] = toleranceGrad,
            ["tolerance_change"] = toleranceChange, ["history_size"] = historySize, ["weight_decay"] = 0,
            ["strong_wolfe"] = lineSearchFn switch
            {
                null => 0,
                "strong_wolfe" => 1,
                _ => throw new ArgumentException($"LBFGS: line_search_fn must be null or \"strong_wolfe\", got \"{lineSearchFn}\"", nameof(lineSearchFn)),
            },
        })
    { }

    public override ClosureKind ClosureKind => ClosureKind.Loss;

    /// <summary>All of L-BFGS's buffers are flat vectors over every parameter.</summary>
    protected override bool IsParamShaped(string buffer) => false;

    public override void AddParamGroup(ParamGroup group)
    {
        if (ParamGroups.Count > 0) throw new ArgumentException("LBFGS supports one parameter group only (as PyTorch's): put every parameter in one group");
        base.AddParamGroup(group);
    }

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        Require(group, index, "max_iter", v => v >= 1 && v == Math.Floor(v), "a positive integer");
        Require(group, index, "max_eval", v => v >= 1 && v == Math.Floor(v), "a positive integer");
        Require(group, index, "history_size", v => v >= 1 && v == Math.Floor(v), "a positive integer");
        Require(group, index, "weight_decay", v => v == 0, "0 (L-BFGS has no weight decay; add it to the loss)");
    }

    private IReadOnlyList<Tensor> Params => ParamGroups[0].Params;

    public override float Step(Func<float> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        var group = ParamGroups[0];
        double lr = group.Lr, tolGrad = group["tolerance_grad"], tolChange = group["tolerance_change"];
        int maxIter = (int)group["max_iter"], maxEval = (int)group["max_eval"], historySize = (int)group["history_size"];
        bool wolfe = group.Flag("strong_wolfe");
        var state = State(Params[0]);
        using var scope = Tensor.Scope();
        state.Step++;
        // The flat gradient and direction outlive the iteration that made them; every other temporary dies with its
        // iteration's scope (a step of 20 iterations would otherwise hold ~100 flat vectors at once).
        var owned = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        Tensor Own(Tensor t) { if (owned.Add(t)) t.Keep(); return t; }
        Tensor Replace(Tensor? old, Tensor next) { Own(next); if (old != null && !ReferenceEquals(old, next) && owned.Remove(old)) old.Dispose(); return next; }

        // f(x) and ∇f(x) at the start
        float origLoss = Evaluate(closure);
        double loss = origLoss;
        int currentEvals = 1;
        state.SetValue("func_evals", state.Value("func_evals", 0) + 1);
        var g = Own(FlatGrad());
        if (AbsMax(g) <= tolGrad) { g.Dispose(); return origLoss; }      // already optimal

        var d = state.Has("d") ? state["d"] : null;
        double t = state.Value("t", lr), hDiag = state.Value("H_diag", 1), prevLoss = state.Value("prev_loss", loss);
        int nIter = 0;
        while (nIter < maxIter)
        {
            using var iteration = Tensor.Scope();
            nIter++;
            long globalIter = (long)state.Value("n_iter", 0) + 1;
            state.SetValue("n_iter", globalIter);

            // ---- the direction: steepest descent on the very first iteration, else the two-loop recursion ----
            if (globalIter == 1)
            {
                d = Replace(d, g.Neg());
                ClearHistory(state);
                hDiag = 1;
            }
            else
            {
                var y = g - state["prev_flat_grad"];
                var s = d!.Mul((float)t);
                double ys = Dot(y, s);
                if (ys > 1e-10)
                {
                    // curvature condition holds: remember (s, y), ρ = 1/yᵀs; H₀ = yᵀs / yᵀy scales the initial inverse Hessian
                    Push(state, y, s, 1 / ys, historySize);
                    hDiag = ys / Dot(y, y);
                }
                d = Replace(d, TwoLoop(state, g, hDiag));
            }
            if (state.Has("prev_flat_grad")) state["prev_flat_grad"].Copy_(g);
            else state.SetCopy("prev_flat_grad", g);
            prevLoss = loss;

            // ---- the step length: a cautious first step, then the learning rate ----
            t = globalIter == 1 ? Math.Min(1, 1 / AbsSum(g)) * lr : lr;
            double gtd = Dot(g, d);
            if (gtd > -tolChange) break;                   // d is (almost) orthogonal to the gradient: no progress possible

            int lsEvals = 0;
            bool optCond = false;
            if (wolfe)
            {
                var x0 = Params.Select(p => p.Detach().Clone()).ToList();
                (double F, Tensor G) Objective(double step)
                {
                    AddToParams(step, d);
                    double f = Evaluate(closure);
                    var fg = FlatGrad();
                    SetParams(x0);
                    return (f, fg);
                }
                (loss, var found, t, lsEvals) = StrongWolfe.Search(Objective, t, d, loss, g, gtd, tolChange);
                g = Replace(g, found);
                AddToParams(t, d);
                optCond = AbsMax(g) <= tolGrad;
            }
            else
            {
                // fixed step x = x + t d; re-evaluate unless this is the last iteration (the next step will)
                AddToParams(t, d);
                if (nIter != maxIter)
                {
                    loss = Evaluate(closure);
                    g = Replace(g, FlatGrad());
                    optCond = AbsMax(g) <= tolGrad;
                    lsEvals = 1;
                }
            }
            currentEvals += lsEvals;
            state.SetValue("func_evals", state.Value("func_evals", 0) + lsEvals);

            // ---- stopping rules ----
            if (nIter == maxIter || currentEvals >= maxEval || optCond) break;
            if (AbsMax(d) * Math.Abs(t) <= tolChange) break;           // |t d|∞: the step has become negligible
            if (Math.Abs(loss - prevLoss) < tolChange) break;
        }
        if (d != null && !(state.Has("d") && ReferenceEquals(state["d"], d))) { owned.Remove(d); state.Set("d", d); }
        foreach (var o in owned) o.Dispose();
        state.SetValue("t", t);
        state.SetValue("H_diag", hDiag);
        state.SetValue("prev_loss", prevLoss);
        return origLoss;
    }

    /// <summary>L-BFGS's direction -H g from the history (oldest first), in one buffer as PyTorch's.</summary>
    private static Tensor TwoLoop(ParamState state, Tensor g, double hDiag)
    {
        int n = (int)state.Value("history_count", 0);
        var alpha = new double[n];
        var q = g.Neg();
        for (int i = n - 1; i >= 0; i--)
        {
            alpha[i] = Dot(Stp(state, i), q) * Ro(state, i);
            q.Add_(Dir(state, i), (float)-alpha[i]);
        }
        var r = q.Mul_((float)hDiag);
        for (int i = 0; i < n; i++)
        {
            double beta = Dot(Dir(state, i), r) * Ro(state, i);
            r.Add_(Stp(state, i), (float)(alpha[i] - beta));
        }
        return r;
    }

    // ---- the history: a ring of history_size slots; index i counts from the oldest entry ----

    private static int Slot(ParamState state, int i) =>
        (int)((state.Value("history_start", 0) + i) % state.Value("history_size", 1));

    private static Tensor Dir(ParamState state, int i) => state[$"old_dirs.{Slot(state, i)}"];
    private static Tensor Stp(ParamState state, int i) => state[$"old_stps.{Slot(state, i)}"];
    private static double Ro(ParamState state, int i) => state.Value($"ro.{Slot(state, i)}", 0);

    private static void Push(ParamState state, Tensor y, Tensor s, double ro, int size)
    {
        state.SetValue("history_size", size);
        int count = (int)state.Value("history_count", 0), start = (int)state.Value("history_start", 0);
        int slot;
        if (count == size) { slot = start; state.SetValue("history_start", (start + 1) % size); }   // full: drop the oldest
        else { slot = (start + count) % size; state.SetValue("history_count", count + 1); }
        Write(state, $"old_dirs.{slot}", y);
        Write(state, $"old_stps.{slot}", s);
        state.SetValue($"ro.{slot}", ro);
    }

    private static void Write(ParamState state, string name, Tensor value)
    {
        if (state.Has(name)) state[name].Copy_(value);
        else state.SetCopy(name, value);
    }

    private static void ClearHistory(ParamState state)
    {
        state.SetValue("history_count", 0);
        state.SetValue("history_start", 0);
    }

    // ---- the parameters as one flat vector ----

    private Tensor FlatGrad()
    {
        using var _ = Tensor.NoGrad();
        return Tensor.Cat(Params.Select(p => (p.Grad ?? Tensor.Zeros(p.Shape, p.Device)).Reshape(-1)).ToList());
    }

    /// <summary>x = x + step · d, d flat over every parameter.</summary>
    private void AddToParams(double step, Tensor d)
    {
        using var _ = Tensor.NoGrad();
        int offset = 0;
        foreach (var p in Params)
        {
            p.Add_(d.Narrow(0, offset, p.Numel).View(p.Shape.ToArray()), (float)step);
            offset += p.Numel;
        }
    }

    private void SetParams(IReadOnlyList<Tensor> values)
    {
        using var _ = Tensor.NoGrad();
        for (int i = 0; i < Params.Count; i++) Params[i].Copy_(values[i]);
    }

    // scalar reductions in their own scope: the flat-sized temporary goes back to the pool at once
    private static double Dot(Tensor a, Tensor b) { using var s = Tensor.Scope(); using var _ = Tensor.NoGrad(); return (a * b).Sum().Item(); }
    private static double AbsMax(Tensor a) { using var s = Tensor.Scope(); using var _ = Tensor.NoGrad(); return a.Abs().Max().Item(); }
    private static double AbsSum(Tensor a) { using var s = Tensor.Scope(); using var _ = Tensor.NoGrad(); return a.Abs().Sum().Item(); }
}
