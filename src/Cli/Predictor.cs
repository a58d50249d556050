using Engine.Data;
using Engine.Onnx;

namespace Engine.Cli;

/// <summary>
/// A model that `engine predict` can run: named inputs with their declared shapes (null dims are free), named
/// outputs, and a forward pass from tensors by name to tensors by name. Made from an ONNX file or from an engine model
/// file (the model.safetensors of a run); the vision issue adds torchvision architectures with their weights here.
/// </summary>
public sealed class Predictor
{
    public required string Description { get; init; }
    public required IReadOnlyList<string> InputNames { get; init; }
    public required IReadOnlyList<string> OutputNames { get; init; }
    /// <summary>The declared dims of each input (null: any size); an empty array: unknown rank.</summary>
    public required IReadOnlyDictionary<string, int?[]> InputShapes { get; init; }
    /// <summary>The dtype each input takes: Float32, or Int32 for indices (token ids of an Embedding).</summary>
    public required IReadOnlyDictionary<string, DType> InputDTypes { get; init; }
    /// <summary>Module run in eval mode; the model as a module (for export).</summary>
    public required Module Module { get; init; }
    public required Func<IReadOnlyDictionary<string, Tensor>, Dictionary<string, Tensor>> Forward { get; init; }

    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs) => Forward(inputs);

    /// <summary>The ONNX file or engine model file at path, by its extension (.onnx, .safetensors) or else by its first bytes.</summary>
    public static Predictor FromFile(string path, Device device)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--model-file {path}: no such file; give an .onnx file or the model.safetensors of a run folder", path);
        return LooksLikeSafetensors(path) ? FromModelFile(path, device) : FromOnnx(path, device);
    }

    private static bool LooksLikeSafetensors(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext == ".safetensors") return true;
        if (ext == ".onnx") return false;
        // safetensors: an 8-byte little-endian header length, then the JSON header's '{'.
        Span<byte> head = stackalloc byte[9];
        using var f = File.OpenRead(path);
        return f.ReadAtLeast(head, 9, throwOnEndOfStream: false) == 9 && head[8] == (byte)'{';
    }

    public static Predictor FromOnnx(string path, Device device)
    {
        var m = OnnxModel.Load(path, device);   // OnnxException (an IOException): exit 1 with the file, node and operator
        m.Eval();
        return new Predictor
        {
            Description = $"ONNX model {path} (opset {m.Opset}, {m.NodeCount} nodes{(m.Producer.Length > 0 ? ", from " + m.Producer : "")})",
            InputNames = m.InputNames,
            OutputNames = m.OutputNames,
            InputShapes = m.InputNames.ToDictionary(n => n, n => m.InputShape(n).ToArray()),
            InputDTypes = m.InputNames.ToDictionary(n => n, m.InputDType),
            Module = m,
            Forward = inputs => m.Run(inputs),
        };
    }

    /// <summary>
    /// A torchvision architecture with its weights (<see cref="VisionWeights.Load"/>): normalized images x [N,3,H,W]
    /// (any H, W >= 32; ImageNet's mean/std already applied, as torchvision's models take them) -> logits [N,classes].
    /// </summary>
    public static Predictor FromVision(string arch, string weights, Device device) => FromVision(arch, weights, device, out _);

    /// <summary><see cref="FromVision(string, string, Device)"/>, also giving the file's metadata (stored class names).</summary>
    public static Predictor FromVision(string arch, string weights, Device device, out Dictionary<string, string> metadata)
    {
        var (model, classes, meta) = VisionWeights.Load(arch, weights, device);
        metadata = meta;
        model.Eval();
        return new Predictor
        {
            Description = $"{VisionWeights.CheckArch(arch)} ({classes} classes) from {weights}",
            InputNames = [InputName],
            OutputNames = [OutputName],
            InputShapes = new Dictionary<string, int?[]> { [InputName] = [null, 3, null, null] },
            InputDTypes = new Dictionary<string, DType> { [InputName] = DType.Float32 },
            Module = model,
            Forward = inputs => new Dictionary<string, Tensor> { [OutputName] = model.Forward(inputs[InputName]) },
        };
    }

    /// <summary>Input and output names of an engine model (and of its ONNX export).</summary>
    public const string InputName = "input", OutputName = "output";

    /// <summary>
    /// An engine model file: raw images x [N,1,28,28] (pixels in [0,1], as the IDX reader gives them) -> logits
    /// [N,10]. The training statistics stored in the file standardize the input first, as `engine eval` does.
    /// </summary>
    public static Predictor FromModelFile(string path, Device device)
    {
        var (model, name, norm) = ModelFile.Load(path, device);
        var full = WithStandardization(model, norm).To(device);
        full.Eval();
        int c = norm.Mean.Length;
        return new Predictor
        {
            Description = $"engine model '{name}' from {path}",
            InputNames = [InputName],
            OutputNames = [OutputName],
            InputShapes = new Dictionary<string, int?[]> { [InputName] = [null, c, 28, 28] },
            InputDTypes = new Dictionary<string, DType> { [InputName] = DType.Float32 },
            Module = full,
            Forward = inputs => new Dictionary<string, Tensor> { [OutputName] = full.Forward(inputs[InputName]) },
        };
    }

    /// <summary>
    /// model(standardize(x)) as one module: x' = (x - mean_c) / std_c written as a 1x1 depthwise convolution
    /// (weight 1/std_c, bias -mean_c/std_c; a constant channel, std 0, is only centred, as <see cref="Standardize"/>
    /// does), so that the ONNX export takes the same raw input. Children: "standardize" and "model".
    /// </summary>
    public static Module WithStandardization(Module model, Standardize norm)
    {
        int c = norm.Mean.Length;
        var conv = new Conv2d(c, c, kernelSize: 1, groups: c);
        var w = new float[c]; var b = new float[c];
        for (int i = 0; i < c; i++)
        {
            float inv = norm.Std[i] > 0 ? 1f / norm.Std[i] : 1f;
            w[i] = inv; b[i] = -norm.Mean[i] * inv;
        }
        using (Tensor.NoGrad())
        {
            conv.Weight.Copy_(Tensor.FromArray(w, c, 1, 1, 1));
            conv.Bias!.Copy_(Tensor.FromArray(b, c));
        }
        return new Sequential(("standardize", conv), ("model", model));
    }
}
