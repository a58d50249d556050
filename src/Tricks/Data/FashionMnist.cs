namespace Engine.Data;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017, MIT licence): 28x28 grey images of 10 clothing classes.
/// Loads the IDX files of a folder: the full set from Debian's dataset-fashion-mnist
/// (/usr/share/datasets/fashion-mnist) or the subset shipped in this repository (data/fashion-mnist-subset).
/// </summary>
public static class FashionMnist
{
    public static readonly string[] ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public const string DebianDir = "/usr/share/datasets/fashion-mnist";

    /// <summary>Images as floats in [0, 1], shape [N, 1, 28, 28], and labels 0..9.</summary>
    public sealed record Split(float[] Images, int[] Labels, int Count, int Rows, int Cols)
    {
        /// <summary>Images [N,1,H,W] and labels [N] (Int32) as tensors.</summary>
        public (Tensor x, Tensor y) ToTensors() =>
            (Tensor.FromArray(Images, Count, 1, Rows, Cols), Tensor.FromArray(Labels, Count));
    }

    /// <summary>Loads "train" or "t10k" from dir (file names as published: {prefix}-images-idx3-ubyte[.gz]).</summary>
    public static Split Load(string dir, string prefix)
    {
        string imgPath = Find(dir, $"{prefix}-images-idx3-ubyte"), lblPath = Find(dir, $"{prefix}-labels-idx1-ubyte");
        var img = Idx.ReadBytes(imgPath);
        var lbl = Idx.ReadBytes(lblPath);
        if (img.Dims.Length != 3) throw new InvalidDataException($"{imgPath}: expected 3 dims [N,rows,cols], found {Shape.Format(img.Dims)}");
        if (lbl.Dims.Length != 1) throw new InvalidDataException($"{lblPath}: expected 1 dim [N], found {Shape.Format(lbl.Dims)}");
        if (img.Dims[0] == 0) throw new InvalidDataException($"{imgPath}: holds no images (its header counts 0); give the full {prefix} split");
        if (img.Dims[0] != lbl.Dims[0])
            throw new InvalidDataException($"{imgPath} has {img.Dims[0]} images but {lblPath} has {lbl.Dims[0]} labels");
        var labels = new int[lbl.Data.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = lbl.Data[i];
            if (labels[i] > 9) throw new InvalidDataException($"{lblPath}: label {labels[i]} at index {i} (byte {8 + i}) is outside 0..9");
        }
        var images = new float[img.Data.Length];
        for (int i = 0; i < images.Length; i++) images[i] = img.Data[i] / 255f;
        return new Split(images, labels, img.Dims[0], img.Dims[1], img.Dims[2]);
    }

    private static string Find(string dir, string stem)
    {
        foreach (var name in new[] { stem + ".gz", stem })
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"Fashion-MNIST file {stem}(.gz) not found in {dir}; point --data at a folder with the IDX files (Debian: apt-get install dataset-fashion-mnist puts them in {DebianDir})");
    }
}
