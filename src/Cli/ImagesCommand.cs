using System.Globalization;
using Engine.Data;

namespace Engine.Cli;

/// <summary>
/// `engine images --from fashion-mnist --out DIR [--per-class 50] [--val-per-class 10] [--data IDXDIR]`: writes
/// Fashion-MNIST (the embedded subset, or the IDX files of --data) as an image folder of grey 28x28 PNGs,
/// DIR/train/CLASS/NNNNN.png from the training split and DIR/val/CLASS/NNNNN.png from the test split: the first
/// images of each class in file order, so the same command writes the same folder. It is the small image folder of
/// the README's `engine finetune` example.
/// </summary>
public static class ImagesCommand
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string> { "from", "out", "per-class", "val-per-class", "data" };

    /// <summary>Fashion-MNIST's class names by label, as folder names.</summary>
    public static readonly string[] FashionClasses = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"];

    public static int Run(string[] args, TextWriter stdout)
    {
        var o = Options.Parse(args, Known);
        o.Choice("from", "fashion-mnist", "fashion-mnist");
        var outDir = o.String("out") ?? throw new UsageException("images needs --out DIR (the image folder to write: DIR/train/CLASS/*.png, DIR/val/CLASS/*.png)");
        int perClass = o.Int("per-class", 50, 1, 6000);
        int valPerClass = o.Int("val-per-class", Math.Max(1, perClass / 5), 1, 1000);
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
            throw new UsageException($"--out {outDir} is not empty; give a new or empty folder");
        var (train, test, origin) = DataSource.Load(o.String("data"));
        int written = Write(train, Path.Combine(outDir, "train"), perClass) + Write(test, Path.Combine(outDir, "val"), valPerClass);
        stdout.WriteLine(string.Format(CultureInfo.InvariantCulture, "wrote {0} PNG images of Fashion-MNIST ({1}) to {2}: train/ {3} and val/ {4} per class, {5} classes",
            written, origin, outDir, perClass, valPerClass, FashionClasses.Length));
        return 0;
    }

    private static int Write(FashionMnist.Split split, string dir, int perClass)
    {
        var counts = new int[FashionClasses.Length];
        int plane = split.Rows * split.Cols, written = 0;
        var px = new byte[plane];
        for (int i = 0; i < split.Count && counts.Any(c => c < perClass); i++)
        {
            int y = split.Labels[i];
            if (y < 0 || y >= counts.Length || counts[y] >= perClass) continue;
            for (int k = 0; k < plane; k++) px[k] = (byte)Math.Clamp(MathF.Round(split.Images[i * plane + k] * 255f), 0, 255);
            var folder = Path.Combine(dir, FashionClasses[y]);
            Directory.CreateDirectory(folder);
            Png.Write(Path.Combine(folder, i.ToString("D5", CultureInfo.InvariantCulture) + ".png"), px, split.Cols, split.Rows, 1);
            counts[y]++; written++;
        }
        return written;
    }
}
