using System.Text.Json;
using Engine.Tests.TestUtil;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Engine.Onnx.Tests;

/// <summary>
/// RNN, LSTM, GRU and Embedding through ONNX both ways. Import: torch.onnx.export's LSTM/GRU/RNN nodes
/// (fixtures/torch/onnx_rnn_gen.py, generated at test time) give PyTorch's outputs, every one of them (Y, Y_h, Y_c),
/// within 1e-4 relative. Export: the engine's layers (stacked, bidirectional, batch-first, relu, token ids) give the
/// engine's outputs in ONNX Runtime and re-imported, and pass onnx.checker with full checks.
/// </summary>
public class RecurrentTests : IDisposable
{
    private readonly string _dir = TorchPython.TempDir("onnx-rnn");
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private static readonly Lazy<string> Goldens = new(() =>
    {
        var dir = TorchPython.TempDir("onnx-rnn-goldens");
        TorchPython.Run("torch/onnx_rnn_gen.py", dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, true); } catch (IOException) { } };
        return dir;
    });

    private static Tensor ReadBin(string file, int[] shape, bool ints)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Goldens.Value, file));
        if (ints)
        {
            var i = new int[bytes.Length / 4];
            Buffer.BlockCopy(bytes, 0, i, 0, bytes.Length);
            return Tensor.FromArray(i, shape);
        }
        var f = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, f, 0, bytes.Length);
        return Tensor.FromArray(f, shape);
    }

    [TorchTheory]
    [InlineData("lstm_opset13")]
    [InlineData("lstm_opset17")]
    [InlineData("gru_opset13")]
    [InlineData("gru_opset17")]
    [InlineData("rnn_opset13")]
    [InlineData("rnn_opset17")]
    [InlineData("text_lstm_opset13")]
    [InlineData("text_lstm_opset17")]
    public void TorchExportsImportWithPyTorchsOutputs(string stem)
    {
        var model = OnnxModel.Load(Path.Combine(Goldens.Value, stem + ".onnx"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Goldens.Value, stem + ".json")));
        int[] Shape(JsonElement e) => e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var inputs = doc.RootElement.GetProperty("inputs").EnumerateArray().ToDictionary(
            e => e.GetProperty("name").GetString()!,
            e => ReadBin(e.GetProperty("file").GetString()!, Shape(e), e.GetProperty("dtype").GetString() == "i4"));
        Assert.NotEmpty(model.NamedParameters());   // W, R, B of each node are parameters (fine-tunable)
        if (stem.StartsWith("text")) Assert.Equal(DType.Int32, model.InputDType("input"));
        using var _ = Tensor.NoGrad();
        var outs = model.Run(inputs);
        foreach (var o in doc.RootElement.GetProperty("outputs").EnumerateArray())
        {
            var name = o.GetProperty("name").GetString()!;
            var expected = ReadBin(o.GetProperty("file").GetString()!, Shape(o), false);
            OnnxGoldens.Close(expected, outs[name], 1e-4f, 1e-5f, $"{stem} output '{name}'");
        }
    }

    [TorchFact]
    public void AnImportedLstmFineTunes()
    {
        var model = OnnxModel.Load(Path.Combine(Goldens.Value, "text_lstm_opset17.onnx"));
        var ids = Tensor.FromArray(new[] { 1, 5, 7, 2, 3, 3, 9, 0, 4, 11, 19, 8, 6, 2 }, 2, 7);
        var target = Tensor.FromArray(new[] { 0, 3 }, 2);
        model.Train();
        var loss = F.CrossEntropy(model.Forward(ids), target);
        loss.Backward();
        // Every weight of the LSTM node (W, R, B) and of the head receives a gradient.
        var withGrad = model.NamedParameters().Where(p => p.Parameter.Grad is { } g && g.Abs().Sum().Item() > 0).Select(p => p.Name).ToList();
        Assert.True(withGrad.Count >= 5, $"parameters with a gradient: {string.Join(", ", withGrad)}");
        Assert.Contains("head.weight", withGrad);
    }

    /// <summary>Engine modules to export, with their input at a batch size (batch is dim 1 for sequence-first layers).</summary>
    private static (Module m, Func<int, Tensor> input) Case(string name)
    {
        Seed.Everything(3);
        var g = new Generator(9);
        return name switch
        {
            "lstm" => (new LSTM(6, 5, numLayers: 2, batchFirst: true, bidirectional: true), b => Tensor.Randn(new[] { b, 4, 6 }, g)),
            "gru" => (new GRU(6, 7), b => Tensor.Randn(new[] { 4, b, 6 }, g)),
            "gru_bi" => (new GRU(6, 3, numLayers: 2, bidirectional: true, batchFirst: true), b => Tensor.Randn(new[] { b, 5, 6 }, g)),
            "rnn_relu" => (new RNN(6, 5, numLayers: 2, nonlinearity: "relu", bidirectional: true), b => Tensor.Randn(new[] { 3, b, 6 }, g)),
            "rnn_nobias" => (new RNN(6, 4, bias: false, batchFirst: true), b => Tensor.Randn(new[] { b, 3, 6 }, g)),
            "embed_lstm" => (new Sequential(new Embedding(11, 6, paddingIdx: 0), new LSTM(6, 8, batchFirst: true)),
                b => Tensor.FromArray(Enumerable.Range(0, b * 5).Select(i => (i * 7 + 3) % 11).ToArray(), b, 5)),
            _ => throw new ArgumentException(name),
        };
    }

    private static int BatchDim(string name) => name is "gru" or "rnn_relu" ? 1 : 0;

    public static TheoryData<string, int> Exports => new()
    {
        { "lstm", 17 }, { "lstm", 13 }, { "gru", 17 }, { "gru_bi", 13 }, { "rnn_relu", 17 }, { "rnn_nobias", 14 }, { "embed_lstm", 17 }, { "embed_lstm", 13 },
    };

    [Theory]
    [MemberData(nameof(Exports))]
    public void ExportsGiveTheEnginesOutputsInOnnxRuntimeAndReimported(string name, int opset)
    {
        var (m, input) = Case(name);
        m.Eval();
        // The exporter's dynamic dim is dim 0, so sequence-first layers are exported with a fixed batch and run at it.
        bool batchFirst = BatchDim(name) == 0;
        var bytes = OnnxExport.ToBytes(m, input(2), opset, dynamicBatch: batchFirst);
        var x = input(batchFirst ? 3 : 2);
        Tensor expected;
        using (Tensor.NoGrad()) expected = m.Forward(x);

        var back = OnnxModel.Load(bytes);
        using (Tensor.NoGrad()) OnnxGoldens.Close(expected, back.Forward(x), 1e-5f, 1e-6f, $"{name} opset {opset} re-imported");

        using var session = new InferenceSession(bytes);
        var dims = x.Shape.ToArray();
        var value = x.DType == DType.Int32
            ? NamedOnnxValue.CreateFromTensor("input", new DenseTensor<long>(x.ToIntArray().Select(v => (long)v).ToArray(), dims))
            : NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(x.ToArray(), dims));
        using var results = session.Run([value]);
        var y = results.First(r => r.Name == "output").AsTensor<float>();
        Assert.Equal(expected.Shape.ToArray(), y.Dimensions.ToArray());
        OnnxGoldens.Close(expected, Tensor.FromArray(y.ToArray(), expected.Shape.ToArray()), 1e-5f, 1e-6f, $"{name} opset {opset} in ONNX Runtime");
    }

    [TorchTheory]
    [InlineData("lstm", 17)]
    [InlineData("gru_bi", 13)]
    [InlineData("rnn_relu", 17)]
    [InlineData("embed_lstm", 13)]
    public void ExportsPassOnnxCheckerWithFullChecks(string name, int opset)
    {
        var (m, input) = Case(name);
        var path = Path.Combine(_dir, $"{name}{opset}.onnx");
        OnnxExport.Save(m, input(2), path, opset, dynamicBatch: BatchDim(name) == 0);
        var report = TorchPython.Run("torch/onnx_check.py", path);
        Assert.StartsWith($"ok opset {opset}", report);
        Assert.Contains(name.StartsWith("rnn") ? "RNN" : name.StartsWith("gru") ? "GRU" : "LSTM", report);
        if (name == "embed_lstm") Assert.Contains("Gather", report);
    }

    [Theory]
    [InlineData("clip", "cell clipping")]
    [InlineData("activations", "activations [Relu, Tanh, Tanh]")]
    [InlineData("direction", "direction 'sideways'")]
    [InlineData("hidden", "'hidden_size'")]
    public void UnsupportedAttributesAreNamedAtLoad(string what, string message)
    {
        var g = new global::Onnx.GraphProto { Name = "lstm" };
        g.Input.Add(ProtoBuilder.Info("x", 3, -1, 2));
        g.Output.Add(ProtoBuilder.Info("y", 3, 1, -1, 4));
        g.Initializer.Add(ProtoBuilder.Floats("W", new float[16 * 2], 1, 16, 2));
        g.Initializer.Add(ProtoBuilder.Floats("R", new float[16 * 4], 1, 16, 4));
        var attrs = new List<global::Onnx.AttributeProto>();
        if (what != "hidden") attrs.Add(Export.GraphWriter.Attr("hidden_size", 4L));
        if (what == "clip") attrs.Add(Export.GraphWriter.Attr("clip", 3f));
        if (what == "activations") attrs.Add(Export.GraphWriter.Strings("activations", "Relu", "Tanh", "Tanh"));
        if (what == "direction") attrs.Add(Export.GraphWriter.Attr("direction", "sideways"));
        g.Node.Add(ProtoBuilder.Node("LSTM", "the_lstm", ["x", "W", "R"], ["y"], attrs.ToArray()));
        var e = Assert.Throws<OnnxException>(() => OnnxModel.Load(ProtoBuilder.Bytes(ProtoBuilder.Model(g))));
        Assert.Contains("LSTM node 'the_lstm' (opset 17)", e.Message);
        Assert.Contains(message, e.Message);
    }
}
