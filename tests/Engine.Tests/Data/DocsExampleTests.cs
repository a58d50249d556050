using Engine.Data;

namespace Engine.Tests.Data;

/// <summary>The example of docs/data.md, on a slice of the shipped subset: it compiles and runs.</summary>
[Collection("Data.GlobalGenerator")]
public class DocsExampleTests
{
    [Fact]
    public void PipelineFromTheDocsRuns()
    {
        string dir = Path.Combine(TestData.RepoRoot(), "data", "fashion-mnist-subset");
        Seed.Everything(42);
        var train = TensorDataset.From(FashionMnist.Load(dir, "train")).Select(Enumerable.Range(0, 300).ToArray());
        var test = TensorDataset.From(FashionMnist.Load(dir, "t10k")).Select(Enumerable.Range(0, 100).ToArray());
        var norm = Standardize.Fit(train);
        var augment = new Compose(
            new RandomCrop(28, padding: 4),
            new RandomHorizontalFlip(),
            new AutoAugment(AutoAugmentPolicy.ImageNet),
            norm,
            new RandomErasing(p: 0.5, fill: EraseFill.Mean, mean: [0f]));
        var loader = new DataLoader(Dataset.Transform(train, augment), batchSize: 128, shuffle: true, prefetch: 2);
        var valid = new DataLoader(norm.Apply(test), batchSize: 512);
        int seen = 0;
        foreach (var (x, y) in loader)
        {
            Assert.Equal(new[] { x.Size(0), 1, 28, 28 }, x.Shape.ToArray());
            seen += y.Size(0);
            x.Dispose(); y.Dispose();
        }
        Assert.Equal(300, seen);
        var (vx, vy) = valid.First();
        Assert.Equal(100, vy.Size(0));
        Assert.InRange(vx.ToArray().Average(), -0.3, 0.3);   // standardized with the training statistics
    }
}
