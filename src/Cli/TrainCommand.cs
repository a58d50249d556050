using System.Diagnostics;
using System.Globalization;

namespace Engine.Cli;

/// <summary>`engine train`: an MLP trained with plain SGD on Fashion-MNIST; loss and test accuracy per epoch.</summary>
public static class TrainCommand
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string> { "data", "epochs", "batch", "lr", "hidden", "seed", "limit" };

    public static int Run(Options o, TextWriter stdout)
    {
        int epochs = o.Int("epochs", 8, 1, 10_000), batch = o.Int("batch", 64, 1, 1 << 20), hidden = o.Int("hidden", 256, 1, 1 << 16);
        float lr = o.Float("lr", 0.1f, 0f, 100f);
        int seed = o.Int("seed", 42), limit = o.Int("limit", int.MaxValue, 1);
        var (train, test, origin) = DataSource.Load(o.String("data"));
        int n = Math.Min(limit, train.Count), features = train.Rows * train.Cols;
        var ci = CultureInfo.InvariantCulture;
        stdout.WriteLine($"engine train: mlp {features}-{hidden}-10, SGD lr {lr.ToString(ci)} decaying linearly to 0, batch {batch}, {epochs} epochs, seed {seed}");
        stdout.WriteLine($"data: {origin}: {n} train, {test.Count} test images; {Environment.ProcessorCount} threads");

        Seed.Everything(seed);
        var model = new Mlp(features, hidden, 10);
        // Standardize with the training set's statistics (applied unchanged to the test set).
        var (mean, std) = MeanStd(train.Images);
        stdout.WriteLine(string.Format(ci, "input standardization from the training set: mean {0:F4}, std {1:F4}", mean, std));
        var xTrain = Tensor.FromArray(train.Images, train.Count, features).Sub(mean).Div(std).Keep();
        var yTrain = Tensor.FromArray(train.Labels, train.Count).Keep();
        var xTest = Tensor.FromArray(test.Images, test.Count, features).Sub(mean).Div(std).Keep();
        var yTest = Tensor.FromArray(test.Labels, test.Count).Keep();

        var total = Stopwatch.StartNew();
        double acc = 0;
        int steps = epochs * ((n + batch - 1) / batch), step = 0;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var sw = Stopwatch.StartNew();
            var perm = Generator.Default.Permutation(n);
            double lossSum = 0; int batches = 0;
            for (int s = 0; s < n; s += batch)
            {
                using var scope = Tensor.Scope();
                var idx = Tensor.FromArray(perm[s..Math.Min(n, s + batch)]);
                var x = xTrain.IndexSelect(0, idx);
                var y = yTrain.IndexSelect(0, idx).ToDType(DType.Int32);
                var loss = Mlp.CrossEntropy(model.Forward(x), y);
                loss.Backward();
                // Linear decay to zero over the run: the last epochs settle instead of bouncing.
                model.SgdStep(lr * (1f - (float)step++ / steps));
                lossSum += loss.Item(); batches++;
            }
            acc = Accuracy(model, xTest, yTest);
            stdout.WriteLine(string.Format(ci, "epoch {0,3}  loss {1:F4}  test accuracy {2:P2}  ({3:F1} s, {4:F0} samples/s)",
                epoch, lossSum / batches, acc, sw.Elapsed.TotalSeconds, n / sw.Elapsed.TotalSeconds));
        }
        stdout.WriteLine(string.Format(ci, "done in {0:F1} s: test accuracy {1:P2}", total.Elapsed.TotalSeconds, acc));
        return 0;
    }

    private static (float mean, float std) MeanStd(float[] v)
    {
        double s = 0, s2 = 0;
        foreach (var x in v) { s += x; s2 += (double)x * x; }
        double m = s / v.Length;
        return ((float)m, (float)Math.Sqrt(s2 / v.Length - m * m));
    }

    /// <summary>Share of test images whose argmax logit is the true class.</summary>
    public static double Accuracy(Mlp model, Tensor x, Tensor y)
    {
        using var scope = Tensor.Scope();
        using var _ = Tensor.NoGrad();
        var pred = model.Forward(x).Argmax(1);
        return pred.Eq(y).Mean().Item();
    }
}
