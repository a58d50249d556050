using System.Globalization;

namespace Engine.Cli;

/// <summary>
/// `engine predict --model-file F --input T.safetensors --output O.safetensors`: runs an ONNX model or an engine model
/// file on the tensors of a safetensors file and writes the outputs under the model's output names.
/// Inputs are matched by the model's input names; a file with a single tensor feeds a single-input model whatever the
/// tensor's name. A missing or damaged file exits 1; an input that does not fit the model (name, rank, a fixed dim)
/// exits 2 with what the model expects. `--arch NAME --weights FILE` is a torchvision architecture instead of a model
/// file (the input then is [N,3,H,W], already normalized), and with IMAGE... arguments <see cref="ImagePredict"/>
/// decodes, preprocesses and classifies the images; `--model-file F.onnx IMAGE...` does the same with an ONNX classifier
/// of normalized images [N,3,H,W] (<see cref="ImagePredict.RunOnnx"/>).
/// </summary>
public static class PredictCommand
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string> { "model-file", "input", "output", "device", "arch", "weights", "top", "labels", "size", "resize" };
    public static readonly IReadOnlySet<string> Flags = new HashSet<string> { "json" };

    public static int Run(string[] args, TextWriter stdout)
    {
        var o = Options.Parse(args, Known, Flags, positionals: true);
        bool vision = o.Has("arch") || o.Has("weights");
        if (vision && o.Has("model-file")) throw new UsageException("--model-file F and --arch NAME --weights FILE are two ways to give the model; give one");
        if (!vision && o.Positionals.Count > 0)
        {
            if (o.String("model-file") is string mf && Path.GetExtension(mf).Equals(".onnx", StringComparison.OrdinalIgnoreCase))
            {
                if (o.Has("input") || o.Has("output")) throw new UsageException("give images (engine predict --model-file F.onnx IMAGE...) or --input T.safetensors --output O.safetensors, not both");
                return ImagePredict.RunOnnx(o, mf, stdout);
            }
            throw new UsageException($"image arguments ('{o.Positionals[0]}') need --arch NAME --weights FILE (a torchvision architecture and its state dict) or --model-file F.onnx (an image classifier); a model.safetensors of `engine train` takes --input T.safetensors instead");
        }
        if (vision)
        {
            var arch = VisionWeights.CheckArch(o.String("arch"));
            var weights = o.String("weights") ?? throw new UsageException($"--arch {arch} needs --weights FILE (.safetensors or .pth state dict of {arch})");
            if (o.Positionals.Count > 0)
            {
                if (o.Has("input") || o.Has("output")) throw new UsageException("give images (engine predict --arch NAME --weights FILE IMAGE...) or --input T.safetensors --output O.safetensors, not both");
                return ImagePredict.Run(o, arch, weights, stdout);
            }
            if (!o.Has("input")) throw new UsageException($"predict --arch {arch} --weights {weights} needs images (IMAGE...) or --input T.safetensors --output O.safetensors");
        }
        else
        {
            foreach (var n in new[] { "top", "labels", "size", "resize", "json" })
                if (o.Has(n)) throw new UsageException($"--{n} is for images with --arch NAME --weights FILE IMAGE...");
        }
        var modelFile = vision ? o.String("weights")! : o.String("model-file") ?? throw new UsageException("predict needs --model-file F (an .onnx file or the model.safetensors of a run folder), or --arch NAME --weights FILE");
        var inputFile = o.String("input") ?? throw new UsageException("predict needs --input T.safetensors (the input tensors, named as the model's inputs)");
        var outputFile = o.String("output") ?? throw new UsageException("predict needs --output O.safetensors (where the outputs are written)");
        var device = TrainSetup.ResolveDevice(o.Choice("device", "cpu", "cpu", "auto"));
        if (!File.Exists(inputFile)) throw new FileNotFoundException($"--input {inputFile}: no such file; give a safetensors file of input tensors", inputFile);
        if (Path.GetFullPath(outputFile) == Path.GetFullPath(inputFile) || Path.GetFullPath(outputFile) == Path.GetFullPath(modelFile))
            throw new UsageException($"--output {outputFile} is also an input of the command; give another file");

        var predictor = vision ? Predictor.FromVision(o.String("arch")!, modelFile, device) : Predictor.FromFile(modelFile, device);
        var tensors = Safetensors.Load(inputFile, device);   // a damaged file: InvalidDataException naming it, exit 1
        var inputs = Match(inputFile, tensors, predictor);

        Dictionary<string, Tensor> outputs;
        using (Tensor.NoGrad())
        {
            try { outputs = predictor.Run(inputs); }
            catch (Engine.Onnx.OnnxException e)
            {
                // The model loaded, so a node that fails now failed on these inputs (a free dim of the wrong size).
                throw new UsageException($"--input {inputFile}: the model cannot run on these inputs: {e.Message}");
            }
        }
        Safetensors.Save(outputFile, outputs, new Dictionary<string, string> { ["engine.cli.predict"] = Path.GetFileName(modelFile) });

        var ci = CultureInfo.InvariantCulture;
        stdout.WriteLine($"engine predict: {predictor.Description}");
        foreach (var (n, t) in inputs) stdout.WriteLine(string.Format(ci, "  input  {0} {1}", n, t.Shape));
        foreach (var n in predictor.OutputNames) stdout.WriteLine(string.Format(ci, "  output {0} {1}", n, outputs[n].Shape));
        stdout.WriteLine($"wrote {outputFile}");
        return 0;
    }

    /// <summary>
    /// The file's tensors by the model's input names (float32), each checked against the declared shape; every
    /// mismatch is a <see cref="UsageException"/> that names the tensor, the input and what the model expects.
    /// </summary>
    public static Dictionary<string, Tensor> Match(string file, IReadOnlyDictionary<string, Tensor> tensors, Predictor p)
    {
        string Expected() => string.Join(", ", p.InputNames.Select(n => $"'{n}' {Format(p.InputShapes[n])}"));
        string Held() => tensors.Count == 0 ? "no tensors" : string.Join(", ", tensors.Select(t => $"'{t.Key}' {t.Value.Shape}"));
        var matched = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (tensors.Count == 1 && p.InputNames.Count == 1)
            matched[p.InputNames[0]] = tensors.Values.First();   // a single tensor feeds a single-input model, whatever its name
        else
        {
            var missing = p.InputNames.Where(n => !tensors.ContainsKey(n)).ToList();
            if (missing.Count > 0)
                throw new UsageException($"--input {file}: no tensor named {string.Join(", ", missing.Select(n => $"'{n}'"))}; the model's inputs are {Expected()} and the file holds {Held()}");
            var extra = tensors.Keys.Where(k => !p.InputNames.Contains(k)).Order(StringComparer.Ordinal).ToList();
            if (extra.Count > 0)
                throw new UsageException($"--input {file}: tensor {string.Join(", ", extra.Select(n => $"'{n}'"))} is not an input of the model; its inputs are {Expected()}");
            foreach (var n in p.InputNames) matched[n] = tensors[n];
        }
        foreach (var (n, t) in matched.ToList())
        {
            var dims = p.InputShapes[n];
            bool fits = dims.Length == 0 || (dims.Length == t.Rank && dims.Select((d, j) => d == null || d == t.Shape[j]).All(b => b));
            if (!fits)
                throw new UsageException($"--input {file}: the model's input '{n}' expects shape {Format(dims)} (? = any size), but the tensor is {t.Shape}");
            var want = p.InputDTypes[n];
            if (want == DType.Int32 && t.DType != DType.Int32)
                throw new UsageException($"--input {file}: the model's input '{n}' takes integer indices (token ids), but the tensor is {t.DType}; store it as I32 or I64");
            if (t.DType != want) matched[n] = t.ToDType(want);
        }
        return matched;
    }

    private static string Format(int?[] dims) => dims.Length == 0 ? "(any shape)" : "[" + string.Join(",", dims.Select(d => d?.ToString(CultureInfo.InvariantCulture) ?? "?")) + "]";
}
