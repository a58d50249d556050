using Engine.Training;

namespace Engine.Tests.Advisor;

public class OptimizerGalleryTests
{
    private static OptimizerGallery.Entry Entry(string name) => OptimizerGallery.Get(name);

    [Fact]
    public void Adam_follows_a_finite_path_that_lowers_rosenbrock()
    {
        var r = OptimizerGallery.Run(TestFunction.Rosenbrock, Entry("adam"), steps: 300, lr: 0.3);
        Assert.False(r.Diverged);
        Assert.Equal(301, r.X.Length);
        Assert.All(r.X.Concat(r.Y).Concat(r.Loss), v => Assert.True(double.IsFinite(v)));
        Assert.Equal((-2.0, 2.0), (r.X[0], r.Y[0]));
        Assert.True(r.FinalLoss < r.Loss[0] / 100, $"Adam: f went from {r.Loss[0]} to {r.FinalLoss}");
    }

    [Fact]
    public void The_gallery_has_every_optimizer_of_the_zoo()
    {
        Assert.Equal(OptimizerZoo.Names.Order(), OptimizerGallery.Optimizers.Select(o => o.Name).Where(n => n != "sgd-momentum").Order());
    }

    [Fact]
    public void Tuning_picks_the_learning_rate_with_the_lowest_final_value()
    {
        var (best, tried) = OptimizerGallery.Tune(TestFunction.Rosenbrock, Entry("adam"), steps: 50);
        Assert.Equal(OptimizerGallery.LrGrid, tried.Select(t => t.Lr));
        Assert.Equal(tried.Min(t => t.FinalLoss), best.FinalLoss);
        Assert.True(best.FinalLoss < tried.First(t => t.Lr == 1e-4).FinalLoss, "the search should beat the smallest rate on Rosenbrock");
        // a diverged run ranks last
        Assert.Equal(double.PositiveInfinity, new Trajectory("x", "f", 1, [0], [0], [1], Diverged: true).FinalLoss);
    }

    [Fact]
    public void Every_optimizer_runs_on_every_function_from_the_same_start()
    {
        var runs = OptimizerGallery.RunAll(steps: 20);
        Assert.Equal(OptimizerGallery.Optimizers.Count * TestFunction.All.Count, runs.Count);
        foreach (var f in TestFunction.All)
            Assert.All(runs.Where(r => r.Function == f.Name), r => Assert.Equal((f.Start.X, f.Start.Y), (r.X[0], r.Y[0])));
        // the optimizers really differ: not every path ends at the same point
        Assert.True(runs.Where(r => r.Function == "rosenbrock").Select(r => (Math.Round(r.X[^1], 4), Math.Round(r.Y[^1], 4))).Distinct().Count() > 3);
    }

    [Theory]
    [InlineData(-2.0, 2.0)]
    [InlineData(0.3, -0.7)]
    [InlineData(1.0, 1.0)]
    public void Rosenbrock_autograd_gradient_matches_the_analytic_one(double x, double y)
    {
        using var scope = TensorScope.Begin();
        var f = TestFunction.Rosenbrock;
        var p = Tensor.FromArray([(float)x, (float)y], 2).RequiresGrad_();
        var loss = f.Loss!(p);
        Assert.Equal(f.Value(x, y), loss.Item(), 1e-3 * Math.Max(1, f.Value(x, y)));
        loss.Backward();
        var g = p.Grad!.ToArray();
        var (dx, dy) = f.Gradient(x, y);
        Assert.Equal(dx, g[0], 1e-3 * Math.Max(1, Math.Abs(dx)));
        Assert.Equal(dy, g[1], 1e-3 * Math.Max(1, Math.Abs(dy)));
    }

    [Fact]
    public void Rastrigin_analytic_gradient_matches_finite_differences()
    {
        var f = TestFunction.Rastrigin;
        foreach (var (x, y) in new[] { (-2.0, 3.5), (0.37, -1.2) })
        {
            const double h = 1e-6;
            var (dx, dy) = f.Gradient(x, y);
            Assert.Equal((f.Value(x + h, y) - f.Value(x - h, y)) / (2 * h), dx, 1e-4);
            Assert.Equal((f.Value(x, y + h) - f.Value(x, y - h)) / (2 * h), dy, 1e-4);
        }
    }
}
