using Google.Protobuf;
using Onnx;
using static Engine.Onnx.Tests.ProtoBuilder;

namespace Engine.Onnx.Tests;

/// <summary>
/// Files that are broken or hostile: each gets an <see cref="OnnxException"/> that says what is wrong, at load time,
/// nothing is read outside the model's folder, and the process does not crash.
/// </summary>
public class HostileFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"onnx-hostile-{Environment.ProcessId}-{Guid.NewGuid():N}");
    private readonly string _modelDir;

    public HostileFileTests()
    {
        _modelDir = Path.Combine(_dir, "model");
        Directory.CreateDirectory(_modelDir);
    }

    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private string Write(ModelProto m, string name = "m.onnx")
    {
        var p = Path.Combine(_modelDir, name);
        File.WriteAllBytes(p, m.ToByteArray());
        return p;
    }

    [Fact]
    public void AWellFormedGraphRuns()
    {
        var model = OnnxModel.Load(Write(Model(AddBias(3))));
        var y = model.Forward(Tensor.FromArray(new float[] { 1, 1, 1, 2, 2, 2 }, 2, 3));
        Assert.Equal(new float[] { 1, 2, 3, 2, 3, 4 }, y.ToArray());
        Assert.Equal(["x"], model.InputNames);
        Assert.Null(model.InputShape("x")[0]);   // the batch dim is dynamic
        Assert.Equal(3, model.InputShape("x")[1]);
    }

    [Fact]
    public void TruncatedProtobufIsAClearError()
    {
        var bytes = Bytes(Model(AddBias(64)));
        foreach (var cut in new[] { bytes.Length - 1, bytes.Length / 2, 7 })
        {
            var p = Path.Combine(_modelDir, $"cut{cut}.onnx");
            File.WriteAllBytes(p, bytes[..cut]);
            var e = Assert.Throws<OnnxException>(() => OnnxModel.Load(p));
            Assert.Contains(p, e.Message);
            Assert.True(e.Message.Contains("truncated") || e.Message.Contains("no graph") || e.Message.Contains("bytes"), e.Message);
        }
    }

    [Fact]
    public void RandomBytesAreAClearError()
    {
        var rng = new Random(5);
        for (int i = 0; i < 50; i++)
        {
            var b = new byte[rng.Next(1, 400)];
            rng.NextBytes(b);
            var ex = Record.Exception(() => OnnxModel.Load(b, null, $"random{i}"));
            Assert.True(ex is OnnxException, $"random bytes #{i}: expected an OnnxException, got {ex?.GetType().Name}: {ex?.Message}");
        }
    }

    [Fact]
    public void ACycleIsNamed()
    {
        var g = new GraphProto { Name = "cycle" };
        g.Input.Add(Info("x", 2));
        g.Output.Add(Info("z", 2));
        g.Node.Add(Node("Add", "a", ["x", "w"], ["v"]));
        g.Node.Add(Node("Relu", "b", ["v"], ["w"]));
        g.Node.Add(Node("Identity", "c", ["v"], ["z"]));
        var e = Assert.Throws<OnnxException>(() => OnnxModel.Load(Write(Model(g))));
        Assert.Contains("cycle", e.Message);
        Assert.Contains("'a'", e.Message);
        Assert.Contains("'b'", e.Message);
    }

    [Fact]
    public void AnUnsupportedOperatorIsNamedWithItsNodeAndOpsetBeforeAnythingRuns()
    {
        var g = AddBias(3);
        g.Node.Add(Node("Einsum", "my_einsum", ["y"], ["q"]));
        var e = Assert.Throws<OnnxException>(() => OnnxModel.Load(Write(Model(g, opset: 15))));
        Assert.Contains("Einsum", e.Message);
        Assert.Contains("my_einsum", e.Message);
        Assert.Contains("opset 15", e.Message);

        var g2 = AddBias(3);
        g2.Node.Add(new NodeProto { OpType = "Foo", Domain = "com.example", Name = "custom", Input = { "y" }, Output = { "q" } });
        var e2 = Assert.Throws<OnnxException>(() => OnnxModel.Load(Write(Model(g2), "custom.onnx")));
        Assert.Contains("com.example", e2.Message);
    }

    [Fact]
    public void AMissingInputIsNamed()
    {
        var g = AddBias(3);
        g.Node.Add(Node("Add", "dangling", ["y", "nowhere"], ["q"]));
        var e = Assert.Throws<OnnxException>(() => OnnxModel.Load(Write(Model(g))));
        Assert.Contains("nowhere", e.Message);
        Assert.Contains("dangling", e.Message);
    }

    [Fact]
    public void ATensorWhoseDataDisagreesWithItsDimsIsRefused()
    {
        // raw_data of 3 floats for dims [4]
        var bad = Floats("b", [1, 2, 3], 4);
        var e = Assert.Throws<OnnxException>(() => OnnxModel.Load(Write(Model(AddBias(4, bad)))));
        Assert.Contains("'b'", e.Message);
        Assert.Contains("12 bytes", e.Message);
        Assert.Contains("16", e.Message);

        // typed float_data of 2 values for dims [3]
        var typed = new TensorProto { Name = "b", DataType = 1, Dims = { 3 }, FloatData = { 1, 2 } };
        var e2 = Assert.Throws<OnnxException>(() => OnnxModel.Load(Write(Model(AddBias(3, typed)), "typed.onnx")));
        Assert.Contains("2 values", e2.Message);

        // dims that overflow
        var huge = new TensorProto { Name = "b", DataType = 1, Dims = { 1L << 20, 1L << 20 } };
        var e3 = Assert.Throws<OnnxException>(() => OnnxModel.Load(Write(Model(AddBias(3, huge)), "huge.onnx")));
        Assert.Contains("2^31", e3.Message);
    }

    private static TensorProto External(string location, long? length = null, long offset = 0)
    {
        var t = new TensorProto { Name = "b", DataType = 1, Dims = { 4 }, DataLocation = TensorProto.Types.DataLocation.External };
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        if (offset != 0) t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
        if (length is long l) t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = l.ToString() });
        return t;
    }

    private void WriteData(string path, int floats)
    {
        var f = Enumerable.Range(0, floats).Select(i => (float)i).ToArray();
        var b = new byte[f.Length * 4];
        Buffer.BlockCopy(f, 0, b, 0, b.Length);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, b);
    }

    [Fact]
    public void ExternalDataInsideTheFolderIsRead()
    {
        WriteData(Path.Combine(_modelDir, "weights", "b.bin"), 6);
        var model = OnnxModel.Load(Write(Model(AddBias(4, External("weights/b.bin", length: 16, offset: 8)))));
        Assert.Equal(new float[] { 2, 3, 4, 5 }, model.Forward(Tensor.Zeros(1, 4)).ToArray());
    }

    [Theory]
    [InlineData("../../etc/passwd", "escapes")]
    [InlineData("../secret.bin", "escapes")]
    [InlineData("weights/../../secret.bin", "escapes")]
    [InlineData("/etc/passwd", "absolute")]
    [InlineData("missing.bin", "not found")]
    public void ExternalDataOutsideTheFolderIsRefused(string location, string why)
    {
        WriteData(Path.Combine(_dir, "secret.bin"), 4);   // a file beside the model's folder, never to be read
        var e = Assert.Throws<OnnxException>(() => OnnxModel.Load(Write(Model(AddBias(4, External(location))))));
        Assert.Contains(why, e.Message);
        Assert.Contains("'b'", e.Message);
    }

    [Fact]
    public void ASymbolicLinkThatLeavesTheFolderIsRefused()
    {
        WriteData(Path.Combine(_dir, "secret.bin"), 4);
        File.CreateSymbolicLink(Path.Combine(_modelDir, "link.bin"), Path.Combine(_dir, "secret.bin"));
        Directory.CreateSymbolicLink(Path.Combine(_modelDir, "up"), _dir);
        var e = Assert.Throws<OnnxException>(() => OnnxModel.Load(Write(Model(AddBias(4, External("link.bin"))))));
        Assert.Contains("outside the model's folder", e.Message);
        var e2 = Assert.Throws<OnnxException>(() => OnnxModel.Load(Write(Model(AddBias(4, External("up/secret.bin"))), "up.onnx")));
        Assert.Contains("outside the model's folder", e2.Message);

        // A link that stays inside is fine.
        WriteData(Path.Combine(_modelDir, "real.bin"), 4);
        File.CreateSymbolicLink(Path.Combine(_modelDir, "inside.bin"), "real.bin");
        var ok = OnnxModel.Load(Write(Model(AddBias(4, External("inside.bin"))), "inside.onnx"));
        Assert.Equal(new float[] { 0, 1, 2, 3 }, ok.Forward(Tensor.Zeros(1, 4)).ToArray());
    }

    [Fact]
    public void ExternalDataOfTheWrongSizeIsRefused()
    {
        WriteData(Path.Combine(_modelDir, "short.bin"), 3);
        var e = Assert.Throws<OnnxException>(() => OnnxModel.Load(Write(Model(AddBias(4, External("short.bin"))))));
        Assert.Contains("12 bytes", e.Message);
        Assert.Contains("declare 16", e.Message);
        WriteData(Path.Combine(_modelDir, "long.bin"), 8);
        var e2 = Assert.Throws<OnnxException>(() => OnnxModel.Load(Write(Model(AddBias(4, External("long.bin", length: 16, offset: 20))), "off.onnx")));
        Assert.Contains("past the end", e2.Message);
        // External data in a model read from bytes (no folder) is refused outright.
        var e3 = Assert.Throws<OnnxException>(() => OnnxModel.Load(Bytes(Model(AddBias(4, External("long.bin"))))));
        Assert.Contains("not allowed", e3.Message);
    }

    [Fact]
    public void AWrongInputShapeNamesTheInput()
    {
        var model = OnnxModel.Load(Write(Model(AddBias(3))));
        var e = Assert.Throws<ShapeException>(() => model.Forward(Tensor.Zeros(2, 4)));
        Assert.Contains("'x'", e.Message);
        Assert.Contains("[?,3]", e.Message.Replace(" ", ""));
    }
}
