namespace Engine.Tests.Optim;

/// <summary>
/// AdaBound and AMSBound against the paper's update (Luo et al. 2019, Algorithm 2 with the release's
/// bias correction and bound functions) written out per element in double, on scripted gradients.
/// </summary>
public class AdaBoundNaiveTests
{
    /// <summary>The naive reference: one element at a time, everything in double.</summary>
    private sealed class Naive(double lr, double b1, double b2, double finalLr, double gamma, double eps, double wd, bool ams, int n)
    {
        private readonly double[] _m = new double[n], _v = new double[n], _vmax = new double[n];
        private int _t;
        public double Lr = lr;
        private readonly double _lr0 = lr;

        public void Step(double[] theta, double[] grad)
        {
            _t++;
            double eta = Lr * Math.Sqrt(1 - Math.Pow(b2, _t)) / (1 - Math.Pow(b1, _t));
            double f = finalLr * Lr / _lr0;
            double lo = f * (1 - 1 / (gamma * _t + 1)), hi = f * (1 + 1 / (gamma * _t));
            for (int i = 0; i < n; i++)
            {
                double g = grad[i] + wd * theta[i];
                _m[i] = b1 * _m[i] + (1 - b1) * g;
                _v[i] = b2 * _v[i] + (1 - b2) * g * g;
                _vmax[i] = Math.Max(_vmax[i], _v[i]);
                double v = ams ? _vmax[i] : _v[i];
                double step = Math.Clamp(eta / (Math.Sqrt(v) + eps), lo, hi);
                theta[i] -= step * _m[i];
            }
        }
    }

    /// <summary>Gradients that change sign and size, so both bounds and the AMS max come into play.</summary>
    private static double[] Grad(int step, int n) =>
        Enumerable.Range(0, n).Select(i => Math.Sin(1.7 * step + 0.9 * i) * (i % 3 == 0 ? 5.0 : 0.02) + (step % 4 == 0 ? 1.0 : 0.0)).ToArray();

    [Theory]
    [InlineData(false, 0.0, 0.1)]
    [InlineData(true, 0.0, 0.1)]
    [InlineData(false, 0.01, 0.5)]
    [InlineData(true, 0.05, 0.01)]
    public void MatchesTheNaiveUpdate(bool amsbound, double wd, double gamma)
    {
        const int n = 13, steps = 25;
        var theta = Enumerable.Range(0, n).Select(i => Math.Cos(i) * 0.5).ToArray();
        var p = Tensor.FromArray(theta.Select(x => (float)x).ToArray(), n).RequiresGrad_().Keep();
        var opt = amsbound
            ? (Optimizer)new AMSBound([p], lr: 0.01, beta1: 0.9, beta2: 0.7, finalLr: 0.1, gamma: gamma, weightDecay: wd)
            : new AdaBound([p], lr: 0.01, beta1: 0.9, beta2: 0.7, finalLr: 0.1, gamma: gamma, weightDecay: wd);
        var naive = new Naive(0.01, 0.9, 0.7, 0.1, gamma, 1e-8, wd, amsbound, n);
        var sched = new StepLR(opt, stepSize: 10, gamma: 0.5);   // the bounds follow the schedule (final lr scales with lr / lr₀)

        for (int t = 1; t <= steps; t++)
        {
            var g = Grad(t, n);
            p.Grad = Tensor.FromArray(g.Select(x => (float)x).ToArray(), n);
            opt.Step();
            naive.Step(theta, g);
            OptimFixtures.Close(theta, p.ToArray().Select(x => (double)x).ToArray(), 1e-5, 1e-6, $"AdaBound(amsbound={amsbound}) step {t}");
            sched.Step();
            naive.Lr = opt.ParamGroups[0].Lr;
        }
    }

    [Fact]
    public void LateStepsAreSgdWithTheFinalLearningRate()
    {
        // With γ = 0.5, after 2000 steps both bounds are within 0.1% of final_lr, so θ moves by ≈ final_lr · m.
        var p = Tensor.FromArray([1f, -2f, 3f], 3).RequiresGrad_().Keep();
        var opt = new AdaBound([p], lr: 1e-3, finalLr: 0.05, gamma: 0.5);
        for (int i = 0; i < 2000; i++) { p.Grad = Tensor.FromArray([0.3f, -0.3f, 0.3f], 3); opt.Step(); }
        var before = p.ToArray();
        p.Grad = Tensor.FromArray([0.3f, -0.3f, 0.3f], 3);
        opt.Step();
        var after = p.ToArray();
        for (int i = 0; i < 3; i++)
            Assert.Equal(-0.05 * 0.3 * (i == 1 ? -1 : 1), after[i] - before[i], 4);
    }
}
