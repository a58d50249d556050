using Engine.Training;

namespace Engine.Text.Tests;

/// <summary>The README's text examples, run as written (smaller where noted), with the accuracy they state.</summary>
[Collection(GlobalGeneratorCollection.Name)]
public class ReadmeTextExamplesTests
{
    /// <summary>
    /// "Token after the marker": a sequence of T digits 2..9 with one marker (1) somewhere before the end; the label is
    /// the digit right after the marker (8 classes, chance 12.5%). Solving it needs attention and positions.
    /// </summary>
    public static List<(Tensor x, Tensor y)> AfterMarker(int batches, int batchSize, int T, int seed)
    {
        var g = new Generator(seed);
        var data = new List<(Tensor x, Tensor y)>();
        for (int b = 0; b < batches; b++)
        {
            var ids = new int[batchSize * T]; var labels = new int[batchSize];
            for (int n = 0; n < batchSize; n++)
            {
                for (int t = 0; t < T; t++) ids[n * T + t] = 2 + (int)(g.NextDouble() * 8);
                int m = (int)(g.NextDouble() * (T - 1));
                ids[n * T + m] = 1;
                labels[n] = ids[n * T + m + 1] - 2;
            }
            data.Add((Tensor.FromArray(ids, batchSize, T).Keep(), Tensor.FromArray(labels, batchSize).Keep()));
        }
        return data;
    }

    [Fact]
    public void TransformerFromScratchLearnsTheTokenAfterTheMarker()
    {
        Seed.Everything(0); const int EPOCHS = 15;
        var train = AfterMarker(batches: 60, batchSize: 32, T: 10, seed: 1);
        var valid = AfterMarker(batches: 8, batchSize: 64, T: 10, seed: 2);
        var model = new TransformerClassifier(vocabSize: 10, numClasses: 8, dModel: 32, nhead: 2, numLayers: 2, dimFeedforward: 64, dropout: 0);
        var opt = new AdamW(ParamGroups.NoDecayOnBiasAndNorm(model, weightDecay: 0.01), lr: 3e-3);
        var history = new Trainer(model, opt, F.CrossEntropy)
            .With(new LrSchedule(new WarmupLinear(opt, warmupSteps: 30, totalSteps: EPOCHS * 60)))
            .Fit(train, valid, epochs: EPOCHS);
        double acc = history.Epochs["val_accuracy"][^1];
        Assert.True(acc >= 0.95, $"validation accuracy {acc:P1} after {EPOCHS} epochs (chance 12.5%)");
    }
}
