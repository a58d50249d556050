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

    [Fact]
    public void The_gallery_writes_its_png_images()
    {
        var dir = Path.Combine(Path.GetTempPath(), "engine-gallery-" + Guid.NewGuid().ToString("N"));
        try
        {
            var files = GalleryPlot.WriteAll(OptimizerGallery.RunAll(steps: 10), dir);
            int perFunction = OptimizerGallery.Optimizers.Count + 2;   // one per optimizer, the best paths, loss curves
            Assert.Equal(perFunction * TestFunction.All.Count, files.Count);
            Assert.Contains(Path.Combine(dir, "rosenbrock-adam.png"), files);
            Assert.Contains(Path.Combine(dir, "rastrigin-loss.png"), files);
            foreach (var file in files)
            {
                var bytes = File.ReadAllBytes(file);
                Assert.True(bytes.Length > 100, $"{file}: only {bytes.Length} bytes");
                Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
            }
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Path_plot_draws_the_path_over_the_heatmap()
    {
        var f = TestFunction.Rosenbrock;
        var run = new Trajectory("test", f.Name, 0, [-2, 1], [-1, 3], [f.Value(-2, -1), f.Value(1, 3)], false);
        var c = GalleryPlot.Paths(f, [(run, ((byte)1, (byte)2, (byte)3))], size: 101);
        // the segment from (-2,-1) (bottom-left corner) to (1,3) (top, 3/4 across) passes through its midpoint (-0.5, 1)
        int px = (int)Math.Round((-0.5 + 2) / 4 * 100), py = (int)Math.Round((3 - 1.0) / 4 * 100);
        int i = 3 * (py * 101 + px);
        Assert.Equal(new byte[] { 1, 2, 3 }, c.Pixels[i..(i + 3)]);
    }
}
