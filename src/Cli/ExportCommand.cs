using System.Globalization;
using Engine.Onnx;

namespace Engine.Cli;

/// <summary>
/// `engine export --model-file model.safetensors --out model.onnx [--opset 17] [--dynamic-batch] [--batch N]`: writes a
/// trained engine model as ONNX. The graph takes the same raw images [N,1,28,28] as `engine predict` on the model
/// file (the stored standardization is its first node) and returns the logits [N,10] as "output". The written file is
/// read back with <see cref="OnnxModel"/> and must give the engine's outputs before the command succeeds.
/// `--arch NAME --weights FILE [--size 224]` exports a torchvision architecture instead: input [N,3,size,size], the
/// ImageNet normalization not baked in (the graph takes normalized images, as torchvision's models do).
/// </summary>
public static class ExportCommand
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string> { "model-file", "out", "opset", "batch", "arch", "weights", "size" };
    public static readonly IReadOnlySet<string> Flags = new HashSet<string> { "dynamic-batch" };

    /// <summary>Largest difference allowed between the engine's output and the re-imported file's (relative to 1 + |y|).</summary>
    public const float Tolerance = 1e-4f;

    public static int Run(string[] args, TextWriter stdout)
    {
        var o = Options.Parse(args, Known, Flags);
        bool vision = o.Has("arch") || o.Has("weights");
        if (vision && o.Has("model-file")) throw new UsageException("--model-file F and --arch NAME --weights FILE are two ways to give the model; give one");
        if (!vision && o.Has("size")) throw new UsageException("--size is the image size of --arch NAME --weights FILE; an engine model file takes 28x28 images");
        var modelFile = vision ? o.String("weights") ?? throw new UsageException("export --arch NAME needs --weights FILE (.safetensors or .pth)")
            : o.String("model-file") ?? throw new UsageException("export needs --model-file F (the model.safetensors of a run folder), or --arch NAME --weights FILE");
        var outFile = o.String("out") ?? throw new UsageException("export needs --out F.onnx (where the ONNX file is written)");
        int opset = o.Int("opset", OnnxExport.MaxOpset, OnnxExport.MinOpset, OnnxExport.MaxOpset);
        bool dynamic = o.Flag("dynamic-batch");
        int batch = o.Int("batch", 1, 1, 4096);
        int size = o.Int("size", 224, 32, 4096);
        if (o.Has("batch") && dynamic) throw new UsageException("--batch N fixes the batch size, --dynamic-batch leaves it free; give one of them");
        if (vision) VisionWeights.CheckArch(o.String("arch"));
        if (!File.Exists(modelFile)) throw new FileNotFoundException(vision ? $"--weights {modelFile}: no such file; give a .safetensors or .pth state dict" : $"--model-file {modelFile}: no such file; give the model.safetensors of a run folder", modelFile);
        if (!vision && Path.GetExtension(modelFile).Equals(".onnx", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"--model-file {modelFile} is already an ONNX file; export takes the model.safetensors written by `engine train`");
        if (Path.GetFullPath(outFile) == Path.GetFullPath(modelFile)) throw new UsageException($"--out {outFile} would overwrite the model file; give another file");

        // A torchvision architecture takes [N,3,size,size] images already normalized with ImageNet's mean and std (as
        // torchvision's own ONNX export does); an engine model file takes raw [N,1,28,28] images (its standardization
        // is the graph's first node).
        var p = vision ? Predictor.FromVision(o.String("arch")!, modelFile, Device.Cpu) : Predictor.FromModelFile(modelFile, Device.Cpu);
        var shape = p.InputShapes[Predictor.InputName].Select((d, i) => d ?? (i == 0 ? batch : size)).ToArray();
        var sample = Tensor.Randn(shape, new Generator(0));   // the trace's input: its values do not matter, its shape does
        byte[] bytes;
        try { bytes = OnnxExport.ToBytes(p.Module, sample, opset, dynamic, Predictor.InputName, Predictor.OutputName); }
        catch (NotSupportedException e) { throw new UsageException($"{(vision ? "--weights" : "--model-file")} {modelFile}: {p.Description} cannot be exported: {e.Message}"); }

        // The file must say what the engine says: read it back and compare on the sample (and, with a free batch, on another size).
        var back = OnnxModel.Load(bytes, null, outFile);
        float worst = 0;
        int[] outShape = [];
        foreach (int n in dynamic ? new[] { batch, batch + 2 } : [batch])
        {
            shape[0] = n;
            var x = Tensor.Randn(shape, new Generator(n));
            using var scope = Tensor.Scope();
            using var noGrad = Tensor.NoGrad();
            var y = p.Module.Forward(x);
            outShape = y.Shape.ToArray();
            float[] e = y.ToArray(), a = back.Forward(x).ToArray();
            if (e.Length != a.Length) throw new InvalidDataException($"export check: the engine gives {e.Length} outputs, the ONNX file {a.Length}");
            for (int i = 0; i < e.Length; i++) worst = MathF.Max(worst, MathF.Abs(e[i] - a[i]) / (1 + MathF.Abs(e[i])));
        }
        if (!(worst <= Tolerance))
            throw new InvalidDataException($"export check: the ONNX file's outputs differ from the engine's by {worst:G3} (more than {Tolerance:G}); nothing was written");

        var dir = Path.GetDirectoryName(Path.GetFullPath(outFile))!;
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"--out {outFile}: the folder {dir} does not exist");
        var tmp = Path.Combine(dir, $".{Path.GetFileName(outFile)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(tmp, bytes);
            File.Move(tmp, outFile, overwrite: true);
        }
        finally { if (File.Exists(tmp)) File.Delete(tmp); }

        var ci = CultureInfo.InvariantCulture;
        string b = dynamic ? "batch" : batch.ToString(ci);
        stdout.WriteLine($"engine export: {p.Description}");
        stdout.WriteLine(string.Format(ci, "wrote {0}: opset {1}, {2} nodes, {3:N0} bytes; input '{4}' [{5},{6}] -> output '{7}' [{5},{8}]",
            outFile, opset, back.NodeCount, bytes.Length, Predictor.InputName, b, string.Join(",", shape[1..]), Predictor.OutputName,
            string.Join(",", outShape[1..])));
        stdout.WriteLine(string.Format(ci, "checked: the file read back gives the engine's outputs (largest relative difference {0:G3})", worst));
        return 0;
    }
}
