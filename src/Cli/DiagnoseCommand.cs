using System.Globalization;
using Engine.Training;

namespace Engine.Cli;

/// <summary>
/// `engine diagnose`: overfit one batch with the model and options of a run. A sound setup drives
/// the loss to near zero; the curve's shape names the problem otherwise (LossCurveDiagnosis).
/// Writes the loss curve to diagnose-loss.png (or --out FILE). Exit code 0 when healthy, 3 otherwise.
/// </summary>
public static class DiagnoseCommand
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(TrainSettings.Known.Except(["run-dir", "resume"])) { "out" };

    public static int Run(string[] args, TextWriter stdout)
    {
        var o = Options.Parse(args, Known, TrainSettings.Flags);
        var s = TrainSettings.From(o);
        var ci = CultureInfo.InvariantCulture;
        Seed.Everything(s.Seed);
        var (train, _, origin) = DataSource.Load(s.Data);
        int n = Math.Min(Math.Min(s.Batch, s.Limit), train.Count), pixels = train.Rows * train.Cols;
        var device = TrainSetup.ResolveDevice(s.Device);
        var model = TrainSetup.BuildModel(s, device);
        var opt = TrainSetup.BuildOptimizer(s, model);
        var loss = TrainSetup.BuildLoss(s);

        // The first n training images, standardized with their own statistics: x [n,1,28,28], y [n].
        var images = train.Images.AsSpan(0, n * pixels).ToArray();
        double mean = images.Average(v => (double)v), std = Math.Sqrt(images.Average(v => (v - mean) * (v - mean)));
        Tensor x, y;
        using (TensorScope.Suspend())
        {
            x = Tensor.FromArray(images, n, 1, train.Rows, train.Cols).Sub((float)mean).Div((float)Math.Max(std, 1e-6)).To(device);
            y = Tensor.FromArray(train.Labels[..n], n).To(device);
        }
        stdout.WriteLine($"engine diagnose: overfitting one batch of {n} images from the {origin} for {s.Steps} steps");
        stdout.WriteLine($"setup: {TrainSetup.Describe(s, model, device)}");
        model.Train();
        var (diagnosis, curve) = OverfitOneBatch.Run(_ =>
        {
            var l = loss(model.Forward(x), y);
            float v = l.Item();
            if (!float.IsFinite(v)) return v;
            l.Backward();
            if (s.ClipNorm is float c) GradClip.ClipGradNorm(model.Parameters(), c);
            opt.StepOn(() => model.Forward(x), output => loss(output, y));
            opt.ZeroGrad();
            return v;
        }, s.Steps, warmupOrScheduler: s.Warmup > 0 || s.Plateau);

        float lowest = curve.Where(float.IsFinite).DefaultIfEmpty(float.NaN).Min();   // the finite part of the curve
        stdout.WriteLine(string.Format(ci, "loss: first {0:F4}, last {1:F4}, lowest {2:F4} over {3} steps", diagnosis.InitialLoss, diagnosis.FinalLoss, lowest, curve.Length));
        stdout.WriteLine($"diagnosis: {diagnosis}");
        var png = o.String("out") ?? "diagnose-loss.png";
        var dir = Path.GetDirectoryName(Path.GetFullPath(png));
        if (dir != null) Directory.CreateDirectory(dir);
        Plots.Curve(png, $"overfit one batch: {diagnosis.Verdict}", "step", "loss", curve.Select(v => (double)v).ToArray());
        stdout.WriteLine($"loss curve: {png}");
        return diagnosis.IsHealthy ? 0 : 3;
    }
}
