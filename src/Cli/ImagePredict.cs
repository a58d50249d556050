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
        return Classify(o.Positionals, predictor, Predictor.InputName, Predictor.OutputName, BatchSize, classes, labels,
            resize, crop, top, json, device, stdout);
    }

    /// <summary>
    /// `engine predict --model-file F.onnx [--top 5] [--labels FILE] [--json] [--size S] IMAGE...`: an ONNX classifier
    /// with one input of normalized images [N,3,H,W] (as `engine export --arch` and torchvision's export write it) and
    /// logits [N,classes] as its first output. The crop is the graph's H = W where they are fixed, else --size; a fixed
    /// batch runs the images in chunks of that size (the last chunk padded with copies of its last image, whose outputs
    /// are dropped).
    /// </summary>
    public static int RunOnnx(Options o, string modelFile, TextWriter stdout)
    {
        int top = o.Int("top", 5, 1, 100_000);
        bool json = o.Flag("json");
        var device = TrainSetup.ResolveDevice(o.Choice("device", "cpu", "cpu", "auto"));
        foreach (var image in o.Positionals)
            if (!File.Exists(image)) throw new FileNotFoundException($"image {image}: no such file", image);
        if (!File.Exists(modelFile)) throw new FileNotFoundException($"--model-file {modelFile}: no such file", modelFile);
        var predictor = Predictor.FromOnnx(modelFile, device);
        if (predictor.InputNames.Count != 1)
            throw new UsageException($"--model-file {modelFile} has {predictor.InputNames.Count} inputs ({string.Join(", ", predictor.InputNames)}); images need a model with one input [N,3,H,W]");
        var input = predictor.InputNames[0];
        var dims = predictor.InputShapes[input];
        string shown = "[" + string.Join(",", dims.Select(d => d?.ToString(Ci) ?? "?")) + "]";
        if (dims.Length != 4 || dims[1] is int c && c != 3 || dims[2] is int h && dims[3] is int w && h != w)
            throw new UsageException($"--model-file {modelFile}: its input '{input}' is {shown}; images need a model that takes square RGB images [N,3,S,S]");
        int fixedSize = dims[2] ?? dims[3] ?? 0;
        if (fixedSize > 0 && o.Has("size") && o.Int("size", 224, 32, 4096) != fixedSize)
            throw new UsageException($"--size {o.String("size")}: the model's input '{input}' is {shown}, so its images are {fixedSize}x{fixedSize}; drop --size");
        var (resize, crop) = fixedSize > 0 ? ((int)Math.Round(fixedSize * 256.0 / 224.0), fixedSize) : Sizes(o);
        if (fixedSize > 0 && o.Has("resize")) resize = o.Int("resize", resize, crop, 8192);
        int batch = dims[0] ?? BatchSize;
        string output = predictor.OutputNames[0];
        string[]? labels = null;
        return Classify(o.Positionals, predictor, input, output, batch, classes: null, labels, resize, crop, top, json, device, stdout,
            classesFound: n => o.String("labels") is string lf
                ? VisionWeights.ReadLabels(lf, n, $"the model's output '{output}' has {n}", _ => "one per logit")
                : null);
    }

    /// <summary>
    /// The images in chunks of <paramref name="batch"/> through the predictor (a short last chunk padded with copies of its
    /// last image), softmax per row of the [N, classes] output, one text or JSON line per image. Where
    /// <paramref name="classes"/> is null it is the output's second dim, and <paramref name="classesFound"/> then gives the
    /// labels.
    /// </summary>
    private static int Classify(IReadOnlyList<string> images, Predictor predictor, string input, string output, int batch,
        int? classes, string[]? labels, int resize, int crop, int top, bool json, Device device, TextWriter stdout,
        Func<int, string[]?>? classesFound = null)
    {
        for (int start = 0; start < images.Count; start += batch)
        {
            var chunk = images.Skip(start).Take(batch).ToList();
            float[] logits;
            Shape shape;
            using (Tensor.Scope())
            using (Tensor.NoGrad())
            {
                var xs = chunk.Select(f => Preprocess(f, resize, crop)).ToList();
                while (xs.Count < batch && predictor.InputShapes[input][0] != null) xs.Add(xs[^1]);
                var x = Tensor.Stack(xs).To(device);
                var y = predictor.Run(new Dictionary<string, Tensor> { [input] = x })[output];
                shape = y.Shape;
                logits = y.ToArray();
            }
            if (shape.Rank != 2 || shape[0] != Math.Max(chunk.Count, predictor.InputShapes[input][0] ?? 0))
                throw new UsageException($"the model's output '{output}' is {shape} for {chunk.Count} images; image classification needs logits [N, classes]");
            if (classes == null)
            {
                classes = shape[1];
                labels = classesFound?.Invoke(shape[1]);
            }
            int k = Math.Min(top, classes.Value);
            for (int i = 0; i < chunk.Count; i++)
            {
                var p = Softmax(logits.AsSpan(i * classes.Value, classes.Value));
                var best = TopK(p, k);
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
