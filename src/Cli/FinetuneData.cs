using Engine.Data;
using Engine.Imaging;

namespace Engine.Cli;

/// <summary>
/// The image folder of `engine finetune --data DIR`: DIR/CLASS/*.png|jpg (torchvision's ImageFolder), split into
/// training and validation images per class (--val-fraction, stratified and seeded), or DIR/train/CLASS and
/// DIR/val/CLASS when DIR has a val/ folder. Training images get torchvision's train-time augmentation
/// (RandomResizedCrop to size, scale (minScale, 1), then a random horizontal flip); validation images its eval preset
/// (Resize to resize, CenterCrop size); both are normalized with ImageNet's mean and std, as the models expect.
/// </summary>
public sealed class FinetuneData
{
    public required string[] Classes { get; init; }
    public required IDataset<(Tensor x, int y)> Train { get; init; }
    public required IDataset<(Tensor x, int y)> Valid { get; init; }
    /// <summary>Where the two splits come from, for the run's first lines.</summary>
    public required string Origin { get; init; }

    public static FinetuneData Load(string root, int size, int resize, double valFraction, double minScale, Generator augment, int seed)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"--data {root}: no such folder; give an image folder with one sub-folder of images per class (DIR/cat/1.png, DIR/dog/2.png)");
        var train = new Compose(new RandomResizedCrop(size, size, (minScale, 1.0), generator: augment), new RandomHorizontalFlip(0.5, augment), Normalize.ImageNet);
        var eval = Presets.ImageNetEval(resize, size);
        var valDir = Path.Combine(root, "val");
        if (Directory.Exists(valDir))
        {
            var trainDir = Path.Combine(root, "train");
            if (!Directory.Exists(trainDir)) throw new DirectoryNotFoundException($"--data {root} has a val/ folder but no train/ folder; put the training images in {trainDir}/CLASS/ (or remove val/ to split by --val-fraction)");
            var t = new ImageFolder(trainDir, train);
            var v = new ImageFolder(valDir, eval);
            if (!t.Classes.SequenceEqual(v.Classes))
                throw new InvalidDataException($"--data {root}: train/ has classes {string.Join(", ", t.Classes)} but val/ has {string.Join(", ", v.Classes)}; both need the same class folders");
            return new FinetuneData { Classes = t.Classes, Train = t, Valid = v, Origin = $"{trainDir} ({t.Count} images), validation {valDir} ({v.Count} images)" };
        }
        // Two views of one folder with different transforms; each split takes its own indices.
        var all = new ImageFolder(root, train);
        var (ti, vi) = DataSplit.Stratified(all.Labels, valFraction, seed);
        if (ti.Length == 0) throw new UsageException($"--val-fraction {valFraction}: no image of {root} is left for training; lower it");
        if (vi.Length == 0) throw new UsageException($"--data {root}: --val-fraction {valFraction} of its {all.Count} images is no validation image; raise it or add a val/ folder");
        var evalView = new ImageFolder(root, eval);
        return new FinetuneData
        {
            Classes = all.Classes,
            Train = Dataset.Subset(all, ti),
            Valid = Dataset.Subset(evalView, vi),
            Origin = $"{root}: {ti.Length} training, {vi.Length} validation images (--val-fraction {valFraction}, per class)",
        };
    }
}
