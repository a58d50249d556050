using Engine.Cli;
using Engine.Data;
using Engine.Onnx;
using Google.Protobuf;
using Onnx;

namespace Engine.Tests.Cli;

/// <summary>
/// `engine predict`: ONNX files and engine model files run on the tensors of a safetensors file; outputs are written
/// under the model's output names and equal the model's own forward pass; every mistake is one line with the exit
/// code of docs/cli.md (1: missing or damaged file, 2: an input that does not fit, naming what the model expects).
/// </summary>
[Collection("Cli")]
public class PredictTests : IDisposable
{
    private readonly string _dir = CliRun.TempDir();
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private string P(string name) => Path.Combine(_dir, name);

    private static void AssertClose(Tensor expected, Tensor actual, float tol, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        float[] e = expected.ToArray(), a = actual.ToArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(MathF.Abs(e[i] - a[i]) <= tol * (1 + MathF.Abs(e[i])), $"{what}: element {i} expected {e[i]}, got {a[i]}");
    }

    /// <summary>A small exported MLP: input [?,6] -> output [?,3].</summary>
    private (Module model, string path) ExportedMlp()
    {
        var g = new Generator(11);
        var m = new Sequential(new Linear(6, 8), new Tanh(), new Linear(8, 3));
        using (Tensor.NoGrad())
            foreach (var (_, p) in m.NamedParameters()) p.Copy_(Tensor.Randn(p.Shape, g));
        var path = P("mlp.onnx");
        OnnxExport.Save(m, Tensor.Zeros(2, 6), path);
        return (m.Eval(), path);
    }

    /// <summary>Two inputs a, b [?,4] and two outputs: sum = a + b, prod = a * b.</summary>
    private string TwoInputOnnx()
    {
        static ValueInfoProto Info(string name) => new()
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimParam = "batch" }, new TensorShapeProto.Types.Dimension { DimValue = 4 } } } } },
        };
        var gr = new GraphProto { Name = "two" };
        gr.Input.Add(Info("a")); gr.Input.Add(Info("b"));
        gr.Output.Add(Info("sum")); gr.Output.Add(Info("prod"));
        gr.Node.Add(new NodeProto { OpType = "Add", Name = "add", Input = { "a", "b" }, Output = { "sum" } });
        gr.Node.Add(new NodeProto { OpType = "Mul", Name = "mul", Input = { "a", "b" }, Output = { "prod" } });
        var model = new ModelProto { IrVersion = 8, ProducerName = "test", Graph = gr };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        var path = P("two.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    [Fact]
    public void AnOnnxModelRunsOnASingleUnnamedTensor()
    {
        var (m, onnx) = ExportedMlp();
        var x = Tensor.Randn(new[] { 5, 6 }, new Generator(3));
        Safetensors.Save(P("in.safetensors"), new Dictionary<string, Tensor> { ["whatever"] = x });
        var (code, stdout, err) = CliRun.Run("predict", "--model-file", onnx, "--input", P("in.safetensors"), "--output", P("out.safetensors"));
        Assert.True(code == 0, err);
        Assert.Contains("output output [5,3]", stdout);
        var outs = Safetensors.Load(P("out.safetensors"));
        Assert.Equal(["output"], outs.Keys);
        using var _ = Tensor.NoGrad();
        AssertClose(m.Forward(x), outs["output"], 1e-5f, "predict of the exported MLP");
    }

    [Fact]
    public void InputsAreMatchedByNameAndOutputsWrittenByName()
    {
        var onnx = TwoInputOnnx();
        var a = Tensor.Randn(new[] { 3, 4 }, new Generator(1));
        var b = Tensor.Randn(new[] { 3, 4 }, new Generator(2));
        Safetensors.Save(P("in.safetensors"), new Dictionary<string, Tensor> { ["b"] = b, ["a"] = a });
        var (code, _, err) = CliRun.Run("predict", "--model-file", onnx, "--input", P("in.safetensors"), "--output", P("out.safetensors"));
        Assert.True(code == 0, err);
        var outs = Safetensors.Load(P("out.safetensors"));
        Assert.Equal(["prod", "sum"], outs.Keys.Order());
        AssertClose(a.Add(b), outs["sum"], 0, "sum");
        AssertClose(a.Mul(b), outs["prod"], 0, "prod");
    }

    [Fact]
    public void AWrongInputNameIsExit2NamingTheModelsInputs()
    {
        var onnx = TwoInputOnnx();
        Safetensors.Save(P("in.safetensors"), new Dictionary<string, Tensor> { ["a"] = Tensor.Zeros(3, 4), ["c"] = Tensor.Zeros(3, 4) });
        var (code, _, err) = CliRun.Run("predict", "--model-file", onnx, "--input", P("in.safetensors"), "--output", P("out.safetensors"));
        Assert.Equal(2, code);
        Assert.Contains("no tensor named 'b'", err);
        Assert.Contains("'a' [?,4], 'b' [?,4]", err);
        Assert.Contains("'c' [3,4]", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(File.Exists(P("out.safetensors")));

        // every input present, plus one the model does not take
        Safetensors.Save(P("in.safetensors"), new Dictionary<string, Tensor> { ["a"] = Tensor.Zeros(3, 4), ["b"] = Tensor.Zeros(3, 4), ["c"] = Tensor.Zeros(1) });
        (code, _, err) = CliRun.Run("predict", "--model-file", onnx, "--input", P("in.safetensors"), "--output", P("out.safetensors"));
        Assert.Equal(2, code);
        Assert.Contains("tensor 'c' is not an input of the model", err);
    }

    [Fact]
    public void TokenIdsFeedAnExportedEmbeddingAndLstm()
    {
        var m = new Sequential(new Embedding(10, 4), new LSTM(4, 3, batchFirst: true)).Eval();
        var onnx = P("text.onnx");
        OnnxExport.Save(m, Tensor.FromArray(new int[6], 2, 3), onnx);
        var ids = Tensor.FromArray(new[] { 1, 2, 3, 9, 8, 7, 0, 0, 5 }, 3, 3);
        Safetensors.Save(P("ids.safetensors"), new Dictionary<string, Tensor> { ["input"] = ids });
        var (code, _, err) = CliRun.Run("predict", "--model-file", onnx, "--input", P("ids.safetensors"), "--output", P("out.safetensors"));
        Assert.True(code == 0, err);
        using (Tensor.NoGrad()) AssertClose(m.Forward(ids), Safetensors.Load(P("out.safetensors"))["output"], 1e-5f, "embedding + LSTM through predict");

        Safetensors.Save(P("f.safetensors"), new Dictionary<string, Tensor> { ["input"] = Tensor.Zeros(3, 3) });
        (code, _, err) = CliRun.Run("predict", "--model-file", onnx, "--input", P("f.safetensors"), "--output", P("out2.safetensors"));
        Assert.Equal(2, code);
        Assert.Contains("takes integer indices", err);
    }

    [Fact]
    public void AWrongShapeIsExit2NamingTheExpectedShape()
    {
        var (_, onnx) = ExportedMlp();
        Safetensors.Save(P("in.safetensors"), new Dictionary<string, Tensor> { ["input"] = Tensor.Zeros(5, 7) });
        var (code, _, err) = CliRun.Run("predict", "--model-file", onnx, "--input", P("in.safetensors"), "--output", P("out.safetensors"));
        Assert.Equal(2, code);
        Assert.Contains("input 'input' expects shape [?,6]", err);
        Assert.Contains("[5,7]", err);

        Safetensors.Save(P("in.safetensors"), new Dictionary<string, Tensor> { ["input"] = Tensor.Zeros(6) });
        (code, _, err) = CliRun.Run("predict", "--model-file", onnx, "--input", P("in.safetensors"), "--output", P("out.safetensors"));
        Assert.Equal(2, code);
        Assert.Contains("expects shape [?,6]", err);
    }

    [Fact]
    public void MissingAndDamagedFilesAreExit1NamingTheFile()
    {
        var (_, onnx) = ExportedMlp();
        Safetensors.Save(P("in.safetensors"), new Dictionary<string, Tensor> { ["input"] = Tensor.Zeros(2, 6) });
        var (code, _, err) = CliRun.Run("predict", "--model-file", P("nope.onnx"), "--input", P("in.safetensors"), "--output", P("out.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains("nope.onnx: no such file", err);

        (code, _, err) = CliRun.Run("predict", "--model-file", onnx, "--input", P("nope.safetensors"), "--output", P("out.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains("nope.safetensors: no such file", err);

        var bytes = File.ReadAllBytes(onnx);
        File.WriteAllBytes(P("cut.onnx"), bytes[..(bytes.Length / 2)]);
        (code, _, err) = CliRun.Run("predict", "--model-file", P("cut.onnx"), "--input", P("in.safetensors"), "--output", P("out.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains("cut.onnx", err);
        Assert.Contains("not a valid ONNX protobuf", err);

        File.WriteAllBytes(P("bad.safetensors"), [1, 2, 3]);
        (code, _, err) = CliRun.Run("predict", "--model-file", onnx, "--input", P("bad.safetensors"), "--output", P("out.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains("bad.safetensors", err);
        Assert.All(new[] { code }, _ => Assert.Single(err.Trim().Split('\n')));
        Assert.False(File.Exists(P("out.safetensors")));
    }

    [Theory]
    [InlineData("--input", "in.safetensors", "--output", "out.safetensors", "--model-file")]
    [InlineData("--model-file", "m.onnx", "--output", "out.safetensors", "--input T.safetensors")]
    [InlineData("--model-file", "m.onnx", "--input", "in.safetensors", "--output O.safetensors")]
    public void AMissingOptionIsExit2(string o1, string v1, string o2, string v2, string named)
    {
        var (code, _, err) = CliRun.Run("predict", o1, P(v1), o2, P(v2));
        Assert.Equal(2, code);
        Assert.Contains(named, err);
    }

    [Fact]
    public void AnEngineModelFileStandardizesItsInputLikeEval()
    {
        var run = CliRun.TempDir();
        try
        {
            var (code, _, err) = CliRun.Run(["train", .. CliRun.Tiny, "--hidden", "16", "--run-dir", run]);
            Assert.True(code == 0, err);
            var modelFile = Path.Combine(run, "model.safetensors");
            var (_, test, _) = DataSource.Load(null);
            var pixels = test.Images[..(4 * 784)];                   // raw pixels in [0,1]
            var images = Tensor.FromArray(pixels, 4, 1, 28, 28);
            Safetensors.Save(P("in.safetensors"), new Dictionary<string, Tensor> { ["input"] = images });
            (code, var stdout, err) = CliRun.Run("predict", "--model-file", modelFile, "--input", P("in.safetensors"), "--output", P("out.safetensors"));
            Assert.True(code == 0, err);
            Assert.Contains("engine model 'mlp'", stdout);
            var logits = Safetensors.Load(P("out.safetensors"))["output"];

            // The reference: eval's path, the dataset standardized by the stored statistics, then the model.
            var (model, _, norm) = ModelFile.Load(modelFile, Device.Cpu);
            model.Eval();
            var ds = norm.Apply(new TensorDataset(pixels, new int[4], 1, 28, 28));
            using var noGrad = Tensor.NoGrad();
            var expected = model.Forward(Tensor.FromArray(ds.Data, 4, 1, 28, 28));
            AssertClose(expected, logits, 1e-5f, "engine model file through predict");

            // Its input must look like the training images.
            Safetensors.Save(P("in.safetensors"), new Dictionary<string, Tensor> { ["input"] = Tensor.Zeros(2, 784) });
            (code, _, err) = CliRun.Run("predict", "--model-file", modelFile, "--input", P("in.safetensors"), "--output", P("out2.safetensors"));
            Assert.Equal(2, code);
            Assert.Contains("expects shape [?,1,28,28]", err);
        }
        finally { try { Directory.Delete(run, true); } catch (IOException) { } }
    }
}
