using Engine.Data;
using Engine.Training;

namespace Engine.Tests.Data;

/// <summary>
/// A new user's first model, from the public API alone: sklearn's iris from CSV, a stratified split straight into a
/// scaler and loaders, an MLP and the Trainer. The user code is the 12 lines between the markers.
/// </summary>
[Collection("Data.GlobalGenerator")]
public class IrisTests
{
    [Fact]
    public void IrisTrainsFromCsvInAFewLines()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", "data", "iris", "iris.csv");
        // --- user code
        Seed.Everything(0);
        var iris = Csv.Read(path, labelColumn: "species").ToDataset();
        var (train, valid) = DataSplit.Stratified(iris, validFraction: 0.2, seed: 0);
        var scale = Standardize.Fit(train);
        var model = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3));
        var trainer = new Trainer(model, new Adam(model.Parameters(), lr: 0.05f), F.CrossEntropy);
        var history = trainer.Fit(
            new DataLoader(scale.Apply(train), batchSize: 16, shuffle: true),
            new DataLoader(scale.Apply(valid), batchSize: 64),
            epochs: 40);
        double accuracy = history.Last("val_accuracy")!.Value;
        // --- end of user code
        Assert.Equal(120, train.Count);
        Assert.Equal(30, valid.Count);
        Assert.Equal([10, 10, 10], ClassIndex.Counts(Dataset.Labels(valid)));   // stratified: 10 of each class
        Assert.Equal(["setosa", "versicolor", "virginica"], Csv.Read(path, labelColumn: "species").ClassNames!);
        Assert.True(accuracy >= 0.9, $"iris validation accuracy {accuracy}: an MLP separates iris to >= 90%");
        Assert.True(history.Epochs["train_loss"][^1] < history.Epochs["train_loss"][0] / 3, "the training loss falls");
    }
}
