using System.IO.Compression;
using Engine.Data;

namespace Engine.Cli;

/// <summary>Where the Fashion-MNIST files come from: a folder given with --data, or the subset embedded in this binary.</summary>
public static class DataSource
{
    public const string Embedded = "embedded subset (10,000 train / 2,000 test)";
    /// <summary>Where the full data set is installed on machines that have it.</summary>
    public const string FullDatasetDir = "/usr/share/datasets/fashion-mnist";

    public static (FashionMnist.Split train, FashionMnist.Split test, string origin) Load(string? dir)
    {
        if (dir != null)
        {
            if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"--data {dir}: no such folder; give a folder with the Fashion-MNIST IDX files");
            return (Sized(FashionMnist.Load(dir, "train"), dir, "train"), Sized(FashionMnist.Load(dir, "t10k"), dir, "t10k"), dir);
        }
        return (LoadEmbedded("train"), LoadEmbedded("t10k"), Embedded);
    }

    // The models of `engine train` take [B,1,28,28]: other images would fail deep inside the first layer.
    private static FashionMnist.Split Sized(FashionMnist.Split split, string dir, string prefix) =>
        split.Rows == 28 && split.Cols == 28 ? split
        : throw new InvalidDataException($"--data {dir}: {prefix}-images-idx3-ubyte holds {split.Rows}x{split.Cols} images; the models of engine train take 28x28 images (Fashion-MNIST's size)");

    private static FashionMnist.Split LoadEmbedded(string prefix)
    {
        var img = Idx.Parse(ReadResource($"{prefix}-images-idx3-ubyte.gz"), $"embedded {prefix}-images");
        var lbl = Idx.Parse(ReadResource($"{prefix}-labels-idx1-ubyte.gz"), $"embedded {prefix}-labels");
        var images = new float[img.Data.Length];
        for (int i = 0; i < images.Length; i++) images[i] = img.Data[i] / 255f;
        return new FashionMnist.Split(images, lbl.Data.Select(b => (int)b).ToArray(), img.Dims[0], img.Dims[1], img.Dims[2]);
    }

    private static byte[] ReadResource(string name)
    {
        using var s = typeof(DataSource).Assembly.GetManifestResourceStream("fashion-mnist-subset/" + name)
            ?? throw new FileNotFoundException($"the embedded data set is missing resource {name}; rebuild the CLI from a full checkout (data/fashion-mnist-subset)");
        using var gz = new GZipStream(s, CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        return ms.ToArray();
    }
}
