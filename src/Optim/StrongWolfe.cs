namespace Engine;

/// <summary>
/// The strong-Wolfe line search of <see cref="LBFGS"/> (PyTorch's port of minFunc's and torch7's lswolfe.lua):
/// find a step t along d with sufficient decrease f(x + t d) ≤ f + c₁ t gᵀd and small slope
/// |∇f(x + t d)ᵀd| ≤ -c₂ gᵀd, first by growing t until a bracket holds such a point, then by shrinking the
/// bracket with cubic interpolation ("zoom").
/// </summary>
internal static class StrongWolfe
{
    /// <summary>
    /// objective(t) evaluates f and its flat gradient at x + t d (and leaves x as it was). Returns the point
    /// found: its f, gradient, step and the number of evaluations used.
    /// </summary>
    public static (double F, Tensor G, double T, int Evals) Search(Func<double, (double F, Tensor G)> objective, double t, Tensor d,
        double f, Tensor g, double gtd, double toleranceChange, double c1 = 1e-4, double c2 = 0.9, int maxLs = 25)
    {
        double dNorm;
        using (Tensor.NoGrad()) dNorm = d.Abs().Max().Item();
        var (fNew, gNew) = objective(t);
        int evals = 1;
        double gtdNew = Dot(gNew, d);

        // ---- bracketing: grow t until [t_prev, t] holds a point that satisfies both conditions ----
        double tPrev = 0, fPrev = f, gtdPrev = gtd;
        Tensor gPrev = g;
        bool done = false;
        int iter = 0;
        double[] bracket, bracketF, bracketGtd;
        Tensor[] bracketG;
        while (true)
        {
            if (iter >= maxLs)
            {
                bracket = [0, t]; bracketF = [f, fNew]; bracketG = [g, gNew]; bracketGtd = [gtd, gtdNew];
                break;
            }
            if (fNew > f + c1 * t * gtd || (iter > 1 && fNew >= fPrev))
            {
                bracket = [tPrev, t]; bracketF = [fPrev, fNew]; bracketG = [gPrev, gNew]; bracketGtd = [gtdPrev, gtdNew];
                break;
            }
            if (Math.Abs(gtdNew) <= -c2 * gtd)
            {
                bracket = [t]; bracketF = [fNew]; bracketG = [gNew]; bracketGtd = [gtdNew];
                done = true;
                break;
            }
            if (gtdNew >= 0)
            {
                bracket = [tPrev, t]; bracketF = [fPrev, fNew]; bracketG = [gPrev, gNew]; bracketGtd = [gtdPrev, gtdNew];
                break;
            }
            // extrapolate: the cubic's minimizer, kept in [t + 0.01 (t - t_prev), 10 t]
            double minStep = t + 0.01 * (t - tPrev), maxStep = t * 10, tmp = t;
            t = CubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, (minStep, maxStep));
            tPrev = tmp; fPrev = fNew; gPrev = gNew; gtdPrev = gtdNew;
            (fNew, gNew) = objective(t);
            evals++;
            gtdNew = Dot(gNew, d);
            iter++;
        }

        // ---- zoom: shrink the bracket around a point that satisfies both conditions ----
        bool insufficientProgress = false;
        int low = 0, high = 1;
        if (bracket.Length == 2 && bracketF[0] > bracketF[1]) (low, high) = (1, 0);
        while (!done && iter < maxLs)
        {
            if (Math.Abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;    // bracket too small
            t = CubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1], null);

            // too close to an end of the bracket twice in a row (or outside it): move 10% of its width inside
            double bMax = Math.Max(bracket[0], bracket[1]), bMin = Math.Min(bracket[0], bracket[1]);
            double eps = 0.1 * (bMax - bMin);
            if (Math.Min(bMax - t, t - bMin) < eps)
            {
                if (insufficientProgress || t >= bMax || t <= bMin)
                {
                    t = Math.Abs(t - bMax) < Math.Abs(t - bMin) ? bMax - eps : bMin + eps;
                    insufficientProgress = false;
                }
                else insufficientProgress = true;
            }
            else insufficientProgress = false;

            (fNew, gNew) = objective(t);
            evals++;
            gtdNew = Dot(gNew, d);
            iter++;

            if (fNew > f + c1 * t * gtd || fNew >= bracketF[low])
            {
                // no sufficient decrease, or not below the low end: t becomes the high end
                bracket[high] = t; bracketF[high] = fNew; bracketG[high] = gNew; bracketGtd[high] = gtdNew;
                (low, high) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0);
            }
            else
            {
                if (Math.Abs(gtdNew) <= -c2 * gtd) done = true;                          // strong Wolfe holds
                else if (gtdNew * (bracket[high] - bracket[low]) >= 0)
                {
                    // the old low end becomes the high end
                    bracket[high] = bracket[low]; bracketF[high] = bracketF[low]; bracketG[high] = bracketG[low]; bracketGtd[high] = bracketGtd[low];
                }
                bracket[low] = t; bracketF[low] = fNew; bracketG[low] = gNew; bracketGtd[low] = gtdNew;
            }
        }
        if (bracket.Length == 1) low = 0;
        return (bracketF[low], bracketG[low], bracket[low], evals);
    }

    /// <summary>
    /// The minimizer of the cubic through (x₁, f₁) and (x₂, f₂) with slopes g₁, g₂, clamped into bounds (default:
    /// between x₁ and x₂); the middle of the bounds when the cubic has no minimum:
    /// d₁ = g₁ + g₂ - 3 (f₁ - f₂)/(x₁ - x₂),  d₂ = sqrt(d₁² - g₁g₂),  x = x₂ - (x₂ - x₁)(g₂ + d₂ - d₁)/(g₂ - g₁ + 2 d₂).
    /// </summary>
    internal static double CubicInterpolate(double x1, double f1, double g1, double x2, double f2, double g2, (double Min, double Max)? bounds)
    {
        var (lo, hi) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1));
        double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
        double d2Square = d1 * d1 - g1 * g2;
        if (d2Square < 0) return (lo + hi) / 2;
        double d2 = Math.Sqrt(d2Square);
        double minPos = x1 <= x2
            ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
            : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
        return Math.Min(Math.Max(minPos, lo), hi);
    }

    private static double Dot(Tensor a, Tensor b) { using var s = Tensor.Scope(); using var _ = Tensor.NoGrad(); return (a * b).Sum().Item(); }
}
