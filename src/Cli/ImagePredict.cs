using System.Globalization;
using System.Text;
using System.Text.Json;
using Engine.Imaging;

namespace Engine.Cli;

/// <summary>
/// `engine predict --arch NAME --weights FILE [--top 5] [--labels FILE] [--json] [--size 224] [--resize 256] IMAGE...`:
/// each image is decoded (PNG, JPEG; RGB), preprocessed as torchvision's ImageNet eval preset (Resize of the shorter
/// side to --resize, CenterCrop --size, ToTensor, Normalize.ImageNet), run through the model in batches, and its
/// softmax's top-k classes are printed, one line per image: <c>path: class prob, class prob, ...</c>, or with --json one
/// JSON object per line: <c>{"image": path, "top": [[class, prob], ...]}</c>. A class is its name (from --labels, or the
/// names `engine finetune` stored in the weights) or else its index (a JSON number).
/// </summary>
public static class ImagePredict
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    /// <summary>Images per forward pass: bounds memory (224x224 resnet50 activations at batch 8 are ~0.5 GB).</summary>
    public const int BatchSize = 8;

    /// <summary>torchvision's eval sizes: --size (crop, 224) and --resize (shorter side, 256; by default size * 256 / 224).</summary>
    public static (int resize, int crop) Sizes(Options o)
    {
        int crop = o.Int("size", 224, 32, 4096);
        int resize = o.Int("resize", (int)Math.Round(crop * 256.0 / 224.0), crop, 8192);
        return (resize, crop);
    }

    /// <summary>One image as the model's input: [3, crop, crop], normalized with ImageNet's mean and std.</summary>
    public static Tensor Preprocess(string path, int resize, int crop) =>
        Presets.ImageNetEval(resize, crop).Apply(ImageFile.Read(path, ColorMode.Rgb)).ToTensor();

    /// <summary>softmax(z)_i = exp(z_i - max z) / sum_j exp(z_j - max z), in double.</summary>
    public static double[] Softmax(ReadOnlySpan<float> logits)
    {
        double max = double.NegativeInfinity;
        foreach (var z in logits) max = Math.Max(max, z);
        var p = new double[logits.Length];
        double sum = 0;
        for (int i = 0; i < p.Length; i++) sum += p[i] = Math.Exp(logits[i] - max);
        for (int i = 0; i < p.Length; i++) p[i] /= sum;
        return p;
    }

    /// <summary>The indices of the k largest probabilities, largest first (ties: the lower index first).</summary>
    public static int[] TopK(double[] p, int k) =>
        Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ThenBy(i => i).Take(k).ToArray();

    public static int Run(Options o, string arch, string weights, TextWriter stdout)
    {
        var (resize, crop) = Sizes(o);
        int top = o.Int("top", 5, 1, 100_000);
        bool json = o.Flag("json");
        var device = TrainSetup.ResolveDevice(o.Choice("device", "cpu", "cpu", "auto"));
        foreach (var image in o.Positionals)
            if (!File.Exists(image)) throw new FileNotFoundException($"image {image}: no such file", image);

        var predictor = Predictor.FromVision(arch, weights, device, out var metadata);
        int classes = predictor.Module.NamedParameters().Last(p => p.Name == VisionWeights.HeadName(arch) + ".weight").Parameter.Shape[0];
        string[]? labels = o.String("labels") is string lf ? VisionWeights.ReadLabels(lf, classes, arch) : VisionWeights.StoredLabels(metadata, weights);
        if (labels != null && labels.Length != classes)
            throw new InvalidDataException($"--weights {weights}: its metadata names {labels.Length} classes but its head has {classes}");
        top = Math.Min(top, classes);

        var images = o.Positionals;
        for (int start = 0; start < images.Count; start += BatchSize)
        {
            var chunk = images.Skip(start).Take(BatchSize).ToList();
            float[] logits;
            using (Tensor.Scope())
            using (Tensor.NoGrad())
            {
                var x = Tensor.Stack(chunk.Select(f => Preprocess(f, resize, crop)).ToList()).To(device);
                logits = predictor.Run(new Dictionary<string, Tensor> { [Predictor.InputName] = x })[Predictor.OutputName].ToArray();
            }
            for (int i = 0; i < chunk.Count; i++)
            {
                var p = Softmax(logits.AsSpan(i * classes, classes));
                var best = TopK(p, top);
                stdout.WriteLine(json ? JsonLine(chunk[i], best, p, labels) : TextLine(chunk[i], best, p, labels));
            }
        }
        return 0;
    }

    /// <summary><c>path: class prob, class prob, ...</c> with probabilities to 4 decimals.</summary>
    public static string TextLine(string image, int[] best, double[] p, string[]? labels) =>
        $"{image}: " + string.Join(", ", best.Select(c => (labels?[c] ?? c.ToString(Ci)) + " " + p[c].ToString("F4", Ci)));

    /// <summary><c>{"image": path, "top": [[class, prob], ...]}</c>: class a string with labels, else the index.</summary>
    public static string JsonLine(string image, int[] best, double[] p, string[]? labels)
    {
        using var ms = new MemoryStream();
        // Relaxed escaping: class names keep their letters (é, 日本) instead of \uXXXX; quotes, backslashes and control
        // characters are still escaped, so every line is valid JSON.
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("image", image);
            w.WriteStartArray("top");
            foreach (var c in best)
            {
                w.WriteStartArray();
                if (labels != null) w.WriteStringValue(labels[c]); else w.WriteNumberValue(c);
                w.WriteNumberValue(p[c]);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
