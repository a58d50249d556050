using System.Buffers.Binary;
using System.Text;

namespace Engine.Tests.Layers;

/// <summary>
/// The safetensors reader and writer against files made by the fixture generator (which follows the
/// spec byte for byte and verifies its own file), round trips, atomic writes and corrupted files.
/// </summary>
[Collection(SerialGenerator.Name)]
public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("engine-st-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ReadsAFileWrittenOnThePyTorchSide()
    {
        var sd = Safetensors.Load(Fixtures.PathOf("torch_written.safetensors"), out var meta);
        Assert.Equal("pt", meta["format"]);
        var expected = Fixtures.File("safetensors.json");
        var entries = expected.EnumerateObject().Where(p => !p.Name.StartsWith("__", StringComparison.Ordinal)).ToList();
        Assert.Equal(entries.Select(p => p.Name).Order(), sd.Keys.Order());
        foreach (var p in entries)
        {
            var t = sd[p.Name];
            Assert.Equal(Fixtures.Tensor(p.Value).Shape, t.Shape);
            Assert.Equal(Fixtures.Tensor(p.Value).ToArray(), t.ToArray());     // exact
            var dt = p.Value.GetProperty("st_dtype").GetString();
            Assert.Equal(dt switch { "F32" => DType.Float32, "F16" => DType.Float16, _ => DType.Int32 }, t.DType);
        }
    }

    [Fact]
    public void WritesTheSameBytesAsTheSpecWriter()
    {
        // The generator wrote this state dict as Engine would (I32 for integers): byte-identical output
        // means the generator's spec-checked reader, and so PyTorch, reads Engine's files.
        var sd = Safetensors.Load(Fixtures.PathOf("torch_written.safetensors"));
        var path = Path.Combine(_dir, "engine.safetensors");
        Safetensors.Save(path, sd);
        Assert.Equal(File.ReadAllBytes(Fixtures.PathOf("engine_expected.safetensors")), File.ReadAllBytes(path));
    }

    // The model behind fixtures/layers/engine_written.safetensors; generate.py loads that file into the same
    // torch.nn.Sequential with load_state_dict and records its output on engine_input.safetensors.
    private static Module EngineModel()
    {
        Seed.Everything(7);
        var m = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new ReLU(), new Flatten(), new Linear(8, 3));
        using (Tensor.Scope()) m.Forward(Tensor.Randn(new Shape(4, 1, 4, 4), new Generator(12)));   // one training step of BN statistics
        return m.Eval();
    }

    [Fact]
    public void PyTorchReadsEngineFiles()
    {
        var model = EngineModel();
        var input = Tensor.Randn(new Shape(2, 1, 4, 4), new Generator(11));
        if (Environment.GetEnvironmentVariable("ENGINE_WRITE_FIXTURES") is string src)   // path of the source fixtures folder
        {
            model.Save(Path.Combine(src, "engine_written.safetensors"));
            Safetensors.Save(Path.Combine(src, "engine_input.safetensors"), new Dictionary<string, Tensor> { ["input"] = input });
        }
        var path = Path.Combine(_dir, "engine.safetensors");
        model.Save(path);
        Assert.Equal(File.ReadAllBytes(Fixtures.PathOf("engine_written.safetensors")), File.ReadAllBytes(path));
        // PyTorch loaded the committed file into nn.Sequential(Conv2d, BatchNorm2d, ReLU, Flatten, Linear) and ran it.
        var torchOut = Fixtures.Tensor(Fixtures.File("safetensors.json").GetProperty("__engine_model_output"));
        using (Tensor.NoGrad()) Close.Assert(torchOut, model.Forward(input), "PyTorch output of the Engine-written model", 1e-5f, 1e-5f);
    }

    [Fact]
    public void RoundTripIsExactAndAtomic()
    {
        var path = Path.Combine(_dir, "m.safetensors");
        File.WriteAllText(path, "old contents");
        var sd = new Dictionary<string, Tensor>
        {
            ["w"] = Tensor.Randn(3, 4).Transpose(0, 1),                    // strided: written row-major
            ["h"] = Tensor.FromArray([1.5f, -2, 65504], 3).ToDType(DType.Float16),
            ["i"] = Tensor.FromArray([int.MinValue, 0, int.MaxValue], 3),
            ["s"] = Tensor.Scalar(3.25f),
        };
        Safetensors.Save(path, sd, new Dictionary<string, string> { ["epoch"] = "3" });
        var back = Safetensors.Load(path, out var meta);
        Assert.Equal("3", meta["epoch"]);
        foreach (var (k, v) in sd)
        {
            Assert.Equal(v.Shape, back[k].Shape);
            Assert.Equal(v.DType, back[k].DType);
            Assert.Equal(v.ToArray(), back[k].ToArray());
        }
        Assert.Equal(["m.safetensors"], Directory.GetFiles(_dir).Select(Path.GetFileName));   // no temp file left
        Assert.Equal(0, (BinaryPrimitives.ReadInt64LittleEndian(File.ReadAllBytes(path)) % 8));
    }

    private string Corrupt(Func<byte[], byte[]> f)
    {
        var good = File.ReadAllBytes(Fixtures.PathOf("torch_written.safetensors"));
        var path = Path.Combine(_dir, $"bad{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, f(good));
        return path;
    }

    private static byte[] WithHeader(string json, int dataBytes)
    {
        var h = Encoding.UTF8.GetBytes(json);
        var b = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)h.Length);
        h.CopyTo(b, 8);
        return b;
    }

    public static IEnumerable<object[]> BadFiles =>
    [
        ["truncated data", "truncated file"],
        ["tiny", "too short to hold the 8-byte header length"],
        ["header past end", "declares a"],
        ["huge header", "more than the"],
        ["bad json", "not valid JSON"],
        ["bad dtype", "dtype 'Q7'"],
        ["size mismatch", "needs 16 bytes but its offsets span 12"],
        ["hole", "hole of 4 bytes"],
        ["trailing", "trailing bytes"],
        ["overlap", "overlaps"],
    ];

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void CorruptedFilesGiveClearErrors(string kind, string expected)
    {
        var path = kind switch
        {
            "truncated data" => Corrupt(g => g[..^10]),
            "tiny" => Corrupt(g => g[..5]),
            "header past end" => Corrupt(g => { var b = (byte[])g.Clone(); BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)g.Length); return b; }),
            "huge header" => Corrupt(g => { var b = (byte[])g.Clone(); BinaryPrimitives.WriteUInt64LittleEndian(b, ulong.MaxValue / 2); return b; }),
            "bad json" => Corrupt(g => { var b = (byte[])g.Clone(); b[9] = (byte)'#'; return b; }),
            "bad dtype" => Corrupt(_ => WithHeader("{\"a\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4)),
            "size mismatch" => Corrupt(_ => WithHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,12]}}", 12)),
            "hole" => Corrupt(_ => WithHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8)),
            "trailing" => Corrupt(_ => WithHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 9)),
            "overlap" => Corrupt(_ => WithHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8)),
            _ => throw new ArgumentException(kind),
        };
        var e = Assert.Throws<SafetensorsException>(() => Safetensors.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void MissingFileNamesThePath()
    {
        var p = Path.Combine(_dir, "nope.safetensors");
        Assert.Contains(p, Assert.Throws<FileNotFoundException>(() => Safetensors.Load(p)).Message);
    }

    [Fact]
    public void ModuleLoadReportsEveryMismatch()
    {
        var path = Path.Combine(_dir, "lin.safetensors");
        new Linear(3, 2).Save(path);
        var e = Assert.Throws<ArgumentException>(() => new Sequential(new Linear(3, 4)).Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("missing key '0.weight'", e.Message);
        Assert.Contains("unexpected key 'bias'", e.Message);
    }
}
