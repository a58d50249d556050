using Engine.Data;
using Engine.Training;

namespace Engine.Tests.Docs;

/// <summary>The README's examples, compiled and run on small data, so the README stays true.</summary>
[Collection("Data.GlobalGenerator")]
public class ReadmeExamplesTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "engine-readme-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private static string Subset => Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-subset");

    [Fact]
    public void DataPipelineExample()
    {
        var train = TensorDataset.From(FashionMnist.Load(Subset, "train"));
        var norm = Standardize.Fit(train);
        var augment = new Compose(new RandomCrop(28, padding: 4), new RandomHorizontalFlip(),
                                  new AutoAugment(AutoAugmentPolicy.ImageNet), norm, new Cutout(length: 14));
        var loader = new DataLoader(Dataset.Transform(train, augment), batchSize: 128, shuffle: true, prefetch: 2);
        var (x, y) = loader.First();
        Assert.Equal(new Shape(128, 1, 28, 28), x.Shape);
        Assert.Equal(DType.Int32, y.DType);
    }

    [Fact]
    public void TrainingTricksExample()
    {
        Seed.Everything(1);
        var data = TensorDataset.From(FashionMnist.Load(Subset, "t10k"));
        var train = new DataLoader(new Subset<(Tensor x, int y)>(data, Enumerable.Range(0, 256).ToArray()), batchSize: 32, shuffle: true);
        var valid = new DataLoader(new Subset<(Tensor x, int y)>(data, Enumerable.Range(256, 128).ToArray()), batchSize: 64);
        var model = new Sequential(new Flatten(), new Linear(784, 64), new ReLU(), new Dropout(0.2), new Linear(64, 10));

        var opt = new AdamW(ParamGroups.NoDecayOnBiasAndNorm(model, weightDecay: 1e-2), lr: 3e-4);
        var history = new Trainer(model, opt, F.CrossEntropy)
            .With(new GradAccumulation(steps: 4), GradClipping.ByNorm(1f), new MixedPrecision(),
                  new ModelEma(decay: 0.999f), new LrSchedule(new WarmupCosine(opt, warmupSteps: 200, totalSteps: 5_000)),
                  new EarlyStopping(patience: 3), new Checkpoints(_dir, every: 1, resume: true))
            .Fit(train, valid, epochs: 2);
        Assert.Equal(2, history.Epochs["val_loss"].Count);
        Assert.Contains("val_accuracy", history.ToCsv());
        Assert.True(File.Exists(Checkpoints.LastFile(_dir)));
    }
}
