using Engine.Data;

namespace Engine.Imaging;

/// <summary>
/// torchvision's <c>ImageFolder</c>: root/CLASS/.../FILE.png, one class per sub-folder of root. Classes are the folder
/// names sorted by code point (Python's sorted), labelled 0, 1, ...; samples are every file with an image extension
/// under a class folder (recursively), sorted by folder then name. A sample is decoded when read (so a folder of any size
/// fits in memory), passed through the transform, and returned as a [C,H,W] tensor with its label: the dataset goes
/// straight into <see cref="DataLoader"/>, <see cref="Dataset.Subset{T}"/>, samplers and the augmentations.
/// </summary>
/// <remarks>
/// Decoding is PNG and JPEG (<see cref="ImageFile"/>); a file with another image extension (.bmp, .webp, ...) is
/// listed, as torchvision lists it, and reading it gives the same clear error as a damaged file: one
/// <see cref="InvalidDataException"/> naming the file. All samples of a batch must come out the same size: give a
/// transform that makes them so (Resize + CenterCrop) unless the images already are.
/// </remarks>
public sealed class ImageFolder : IDataset<(Tensor x, int y)>, ILabeledDataset
{
    /// <summary>torchvision's IMG_EXTENSIONS (compared lower-cased).</summary>
    public static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"];

    private readonly (string path, int label)[] _samples;
    private readonly int[] _labels;

    /// <summary>Lists root's classes and images. transform is applied to each decoded image (null: none).</summary>
    public ImageFolder(string root, ITransform? transform = null, ColorMode mode = ColorMode.Rgb)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"ImageFolder: folder '{root}' does not exist");
        Root = root; Transform = transform; Mode = mode;
        Classes = Directory.GetDirectories(root).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToArray();
        if (Classes.Length == 0) throw new InvalidDataException($"ImageFolder: folder '{root}' has no sub-folders; put the images of each class in its own sub-folder (root/cat/1.png, root/dog/2.png)");
        ClassToIndex = Classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        var samples = new List<(string, int)>();
        var empty = new List<string>();
        for (int label = 0; label < Classes.Length; label++)
        {
            var dir = Path.Combine(root, Classes[label]);
            var files = Directory.EnumerateFiles(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
                .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .OrderBy(f => Path.GetDirectoryName(f), StringComparer.Ordinal).ThenBy(f => Path.GetFileName(f), StringComparer.Ordinal)
                .ToList();
            if (files.Count == 0) empty.Add(Classes[label]);
            samples.AddRange(files.Select(f => (f, label)));
        }
        // torchvision raises for a class without images: its label would exist and never be seen.
        if (empty.Count > 0)
            throw new InvalidDataException($"ImageFolder '{root}': no image ({string.Join(", ", Extensions)}) in class folder(s) {string.Join(", ", empty.Select(e => $"'{e}'"))}");
        _samples = samples.ToArray();
        _labels = _samples.Select(s => s.label).ToArray();
    }

    public string Root { get; }
    public ITransform? Transform { get; }
    public ColorMode Mode { get; }

    /// <summary>Class names, sorted; label i is Classes[i].</summary>
    public string[] Classes { get; }

    /// <summary>Class name to label.</summary>
    public IReadOnlyDictionary<string, int> ClassToIndex { get; }

    /// <summary>Every sample's file and label, in order.</summary>
    public IReadOnlyList<(string Path, int Label)> Samples => _samples;

    /// <summary>Every sample's label, without decoding an image.</summary>
    public int[] Labels => (int[])_labels.Clone();

    public int Count => _samples.Length;

    public (Tensor x, int y) this[int index]
    {
        get
        {
            Dataset.CheckIndex(index, Count, "ImageFolder");
            var (path, label) = _samples[index];
            var img = ImageFile.Read(path, Mode);
            if (Transform != null) img = Transform.Apply(img);
            return (img.ToTensor(), label);
        }
    }
}
