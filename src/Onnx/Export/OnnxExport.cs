using Engine.Onnx.Export;
using Google.Protobuf;
using Onnx;

namespace Engine.Onnx;

/// <summary>
/// Writes an engine module as an ONNX model (opsets 13-17) that ONNX Runtime, onnx.checker and this library's
/// <see cref="OnnxModel"/> read. The module is exported in eval mode (dropout off, batch norm from its running
/// statistics) by running <c>sampleInput</c> through it layer by layer: every layer of the engine with an ONNX
/// equivalent maps to its operators (Linear to Gemm or MatMul, Conv2d to Conv, BatchNorm to BatchNormalization,
/// LayerNorm to LayerNormalization at opset 17 and its decomposed form below, GELU to the Erf form, ...), and
/// containers (Sequential, ResidualBlock, DepthwiseSeparableConv) to their wiring, Embedding to Gather (the graph then
/// takes int64 indices), RNN/LSTM/GRU to ONNX's RNN/LSTM/GRU (one node per layer, gates reordered, see Export/Recurrent.cs),
/// ReLU6/Hardtanh to Clip, Hardswish to HardSwish (HardSigmoid + Mul below opset 14), SiLU to Sigmoid + Mul, and the
/// whole Engine.Vision zoo (ResNet, MobileNetV2/V3, EfficientNet, Vgg and their blocks, see Export/VisionZoo.cs). A layer without an equivalent (a
/// custom module) is an error that names it and its path in the module tree. Initializers take
/// the state-dict names, so a re-import has the same parameter names.
/// </summary>
public static class OnnxExport
{
    /// <summary>The opsets the exporter writes.</summary>
    public const int MinOpset = 13, MaxOpset = 17;

    /// <summary>Exports module to path (atomically: a temp file, then a rename); with dynamicBatch the first dim is "batch".</summary>
    public static void Save(Module module, Tensor sampleInput, string path, int opset = 17, bool dynamicBatch = true,
                            string inputName = "input", string outputName = "output")
    {
        var bytes = ToBytes(module, sampleInput, opset, dynamicBatch, inputName, outputName);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(tmp, bytes);
            File.Move(tmp, path, overwrite: true);
        }
        finally { if (File.Exists(tmp)) File.Delete(tmp); }
    }

    /// <summary>The serialized ModelProto.</summary>
    public static byte[] ToBytes(Module module, Tensor sampleInput, int opset = 17, bool dynamicBatch = true,
                                 string inputName = "input", string outputName = "output") =>
        Build(module, sampleInput, opset, dynamicBatch, inputName, outputName).ToByteArray();

    internal static ModelProto Build(Module module, Tensor sampleInput, int opset, bool dynamicBatch, string inputName, string outputName)
    {
        if (opset < MinOpset || opset > MaxOpset) throw new ArgumentOutOfRangeException(nameof(opset), $"ONNX export writes opsets {MinOpset} to {MaxOpset}, not {opset}");
        if (sampleInput.Rank < 1) throw new ArgumentException($"the sample input must have a batch dim, got {sampleInput.Shape}");
        bool wasTraining = module.Training;
        module.Eval();
        try
        {
            using var scope = Tensor.Scope();
            using var noGrad = Tensor.NoGrad();
            var x = sampleInput.Device == module.Device ? sampleInput : sampleInput.To(module.Device);
            var w = new GraphWriter(opset);
            w.Fresh(inputName);
            var (outName, y) = Layers.Export(module, "", inputName, x, w);
            // The graph's output gets the asked-for name through an Identity (its producer's name stays unique).
            w.Fresh(outputName);
            var idNode = new NodeProto { OpType = "Identity", Name = "/output/Identity" };
            idNode.Input.Add(outName); idNode.Output.Add(outputName);
            w.Graph.Node.Add(idNode);
            // Int32 samples are indices (an Embedding first): the graph takes int64, as torch.onnx.export writes them.
            w.Graph.Input.Add(GraphWriter.Info(inputName, x.Shape.ToArray(), dynamicBatch, x.DType == DType.Int32 ? DataTypes.Int64 : DataTypes.Float));
            w.Graph.Output.Add(GraphWriter.Info(outputName, y.Shape.ToArray(), dynamicBatch));
            var m = new ModelProto
            {
                IrVersion = 8,
                ProducerName = "Engine",
                ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "",
                Graph = w.Graph,
            };
            m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
            return m;
        }
        finally { module.Train(wasTraining); }
    }
}
