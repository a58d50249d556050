using Engine.Data;
using Engine.Training;

namespace Engine.Tests.Tricks;

/// <summary>The Trainer's progress reports: what an app's UI and the console line are drawn from.</summary>
[Collection("Data.GlobalGenerator")]
public class ProgressTests
{
    private static (Trainer trainer, DataLoader train, DataLoader valid) Setup(int n = 40, int batch = 8)
    {
        Seed.Everything(1);
        var g = new Generator(2);
        var x = Enumerable.Range(0, n * 4).Select(_ => (float)g.NextGaussian()).ToArray();
        var y = Enumerable.Range(0, n).Select(i => x[i * 4] > 0 ? 1 : 0).ToArray();
        var ds = new TensorDataset(x, y, 4);
        var model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
        var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 0.1f), F.CrossEntropy);
        return (trainer, new DataLoader(ds, batch, shuffle: true, prefetch: 0), new DataLoader(ds, 64, prefetch: 0));
    }

    private sealed class Collect : IProgress<TrainProgress>
    {
        public List<TrainProgress> Items { get; } = new();
        public void Report(TrainProgress value) => Items.Add(value);
    }

    [Fact]
    public void ReportsEveryBatchAndEpochWithTheHistorysNumbers()
    {
        var (trainer, train, valid) = Setup();
        var sink = new Collect();
        var events = new List<TrainProgress>();
        var report = new ReportProgress(sink);
        report.Reported += events.Add;
        var h = trainer.With(report).Fit(train, valid, epochs: 3);

        Assert.Equal(sink.Items, events);                                // the IProgress and the event see the same reports
        var kinds = sink.Items.Select(p => p.Kind).ToArray();
        var perEpoch = new[] { ProgressKind.Batch, ProgressKind.Batch, ProgressKind.Batch, ProgressKind.Batch, ProgressKind.Batch, ProgressKind.EpochEnd };
        Assert.Equal([ProgressKind.TrainStart, .. perEpoch, .. perEpoch, .. perEpoch, ProgressKind.TrainEnd], kinds);

        var ends = sink.Items.Where(p => p.Kind == ProgressKind.EpochEnd).ToArray();
        for (int e = 0; e < 3; e++)
        {
            Assert.Equal(e, ends[e].Epoch);
            Assert.Equal(5, ends[e].Batch);
            Assert.Equal(5, ends[e].BatchesPerEpoch);
            Assert.Equal(40, ends[e].Samples);
            Assert.Equal(h.Epochs["train_loss"][e], ends[e].Loss, 5);
            Assert.Equal(h.Epochs["train_accuracy"][e], ends[e].Accuracy, 12);
            Assert.Equal(h.Epochs["val_loss"][e], ends[e].Validation["val_loss"], 12);
        }
        var batches = sink.Items.Where(p => p.Kind == ProgressKind.Batch).ToArray();
        Assert.Equal([1, 2, 3, 4, 5], batches.Take(5).Select(p => p.Batch));
        Assert.Equal(h.Steps["loss"][0], batches[0].Loss, 5);          // after one batch, the epoch mean is that batch's loss
        Assert.All(batches, p => Assert.NotNull(p.Remaining));
        Assert.Equal(1.0 / 15, batches[0].Fraction!.Value, 6);           // one batch of five, of three epochs
        Assert.Equal(1.0 / 3, ends[0].Fraction!.Value, 6);
        Assert.Equal(TimeSpan.Zero, sink.Items[^1].Remaining);
        Assert.Equal(1.0, sink.Items[^1].Fraction);
    }

    [Fact]
    public void RedirectedConsoleGetsOneLinePerEpoch()
    {
        var (trainer, train, valid) = Setup();
        var w = new StringWriter();
        trainer.With(new ConsoleProgress(w)).Fit(train, valid, epochs: 2);
        var lines = w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("epoch 1/2  loss ", lines[0]);
        Assert.Contains("val_loss ", lines[0]);
        Assert.Contains("val_acc ", lines[0]);
        Assert.Contains(" left", lines[0]);
        Assert.StartsWith("epoch 2/2  loss ", lines[1]);
        Assert.DoesNotContain(" left", lines[1]);
        Assert.StartsWith("trained 2 epochs in ", lines[2]);
        Assert.DoesNotContain('\r', w.ToString());
    }

    [Fact]
    public void ATerminalGetsARedrawnBatchLineThatTheEpochLineReplaces()
    {
        var (trainer, train, valid) = Setup();
        var w = new StringWriter();
        trainer.With(new ConsoleProgress(w, redraw: true)).Fit(train, valid, epochs: 1);
        string s = w.ToString();
        Assert.Contains("\repoch 1/1  batch 1/5  loss ", s);          // the first batch is drawn at once
        Assert.Contains("\repoch 1/1  batch 5/5  loss ", s);          // and the last, however fast
        int epochLine = s.IndexOf("epoch 1/1  loss ", StringComparison.Ordinal);
        Assert.True(epochLine > 0 && s[epochLine - 1] == '\r', "the batch line is blanked and the epoch line written over it");
        Assert.EndsWith(Environment.NewLine, s);
    }
}
