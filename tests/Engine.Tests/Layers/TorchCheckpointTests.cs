using System.Text.Json;
using Engine.Tests.TestUtil;

namespace Engine.Tests.Layers;

/// <summary>Runs checkpoint_gen.py once for the class: torch 1.13 writes the .pt/.pth files the tests read.</summary>
public sealed class TorchCheckpointFiles : IDisposable
{
    private readonly Lazy<string> _dir = new(() =>
    {
        var dir = TorchPython.TempDir("engine-pt");
        TorchPython.Run("torch/checkpoint_gen.py", dir);
        return dir;
    });

    public string PathOf(string name) => Path.Combine(_dir.Value, name);

    public JsonElement Json(string name) => JsonDocument.Parse(File.ReadAllText(PathOf(name))).RootElement;

    public void Dispose()
    {
        if (_dir.IsValueCreated) Directory.Delete(_dir.Value, recursive: true);
    }
}

/// <summary>
/// <see cref="TorchCheckpoint"/> against files torch 1.13 writes at test time (every dtype, views sharing a storage,
/// a module's state dict loaded strict with equal outputs, training checkpoints, the legacy format, pickled
/// classes, TorchScript), and against hostile files built by hand: each a clear error naming the file, nothing run.
/// </summary>
[Collection(SerialGenerator.Name)]   // builds modules, which draws from the process-wide generator
public sealed class TorchCheckpointTests(TorchCheckpointFiles files) : IClassFixture<TorchCheckpointFiles>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("engine-ptx-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // ---- files torch writes ------------------------------------------------------------------------------

    [TorchFact]
    public void ReadsEveryDtypeAndViewsThatShareAStorage()
    {
        var sd = TorchCheckpoint.Load(files.PathOf("dtypes.pt"));
        try { CheckAgainstTorch(sd, expectAll: true); }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }

    [TorchFact]
    public void SafetensorsReadsTorchsBytesOfEveryDtype()
    {
        // The same tensors laid out as safetensors from torch's own bytes (F32, F16, BF16, F64, I64, I32, U8, BOOL).
        var sd = Safetensors.Load(files.PathOf("dtypes.safetensors"));
        try { CheckAgainstTorch(sd, expectAll: false); }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }

    // Each tensor equals torch's values exactly, with the engine dtype each torch dtype maps to.
    private void CheckAgainstTorch(Dictionary<string, Tensor> sd, bool expectAll)
    {
        var expected = files.Json("expected.json");
        var dtypes = expected.GetProperty("__dtypes__");
        var names = expected.EnumerateObject().Select(p => p.Name).Where(n => !n.StartsWith("__", StringComparison.Ordinal)).ToList();
        if (expectAll) Assert.Equal(names, sd.Keys.ToList());   // the file's order
        else Assert.True(sd.Count >= 8 && sd.Keys.All(names.Contains), $"unexpected names {string.Join(", ", sd.Keys)}");
        foreach (var name in sd.Keys)
        {
            var e = expected.GetProperty(name);
            var t = sd[name];
            Assert.Equal(e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray(), t.Shape.ToArray());
            var torchType = dtypes.GetProperty(name).GetString();
            var want = torchType switch
            {
                "float16" => DType.Float16,
                "float32" or "bfloat16" or "float64" => DType.Float32,
                _ => DType.Int32,
            };
            Assert.True(want == t.DType, $"{name} ({torchType}) read as {t.DType}, expected {want}");
            var values = e.GetProperty("values").EnumerateArray();
            if (want == DType.Int32)
                Assert.Equal(values.Select(v => v.ValueKind == JsonValueKind.True ? 1 : v.ValueKind == JsonValueKind.False ? 0 : v.GetInt32()).ToArray(), t.ToIntArray());
            else   // exact: F16/BF16 widen exactly, F64 rounds to the nearest float as (float) does
                Assert.Equal(values.Select(v => (float)v.GetDouble()).ToArray(), t.ToArray());
        }
    }

    private static Sequential SmallModel() =>
        new(new Conv2d(3, 4, 3, padding: 1), new BatchNorm2d(4), new ReLU(), new Flatten(), new Linear(4 * 5 * 5, 3));

    [TorchFact]
    public void AModuleStateDictLoadsStrictAndGivesTorchsOutputs()
    {
        var io = files.Json("model_io.json");
        var model = SmallModel();
        model.Load(files.PathOf("model.pth"));   // strict, through Module.Load's .pth dispatch
        model.Eval();
        var bn = (BatchNorm2d)model[1];
        Assert.Equal(7, bn.NumBatchesTracked!.ToIntArray()[0]);
        using var x = Tensor.FromArray(io.GetProperty("input").GetProperty("values").EnumerateArray().Select(v => v.GetSingle()).ToArray(), 2, 3, 5, 5);
        using var _ = Tensor.NoGrad();
        var y = model.Forward(x);
        Approx.Equal(io.GetProperty("output").GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray(), y.ToArray(), rtol: 1e-5, atol: 1e-5, what: "logits");
    }

    [TorchFact]
    public void ATrainingCheckpointNamesItsStateDictsAndReadsOneByKey()
    {
        var path = files.PathOf("checkpoint.pt");
        var e = Assert.Throws<InvalidDataException>(() => TorchCheckpoint.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("key: \"model\"", e.Message);

        var fromKey = TorchCheckpoint.Load(path, key: "model");
        var plain = TorchCheckpoint.Load(files.PathOf("model.pth"));
        Assert.Equal(plain.Keys, fromKey.Keys);
        foreach (var k in plain.Keys) Assert.Equal(plain[k].ToArray(), fromKey[k].ToArray());
        Assert.Contains("'optimizer'", Assert.Throws<InvalidDataException>(() => TorchCheckpoint.Load(path, key: "nope")).Message);
    }

    [TorchFact]
    public void TheLegacyFormatSaysToResaveWithTorch16()
    {
        var path = files.PathOf("legacy.pt");
        var e = Assert.Throws<InvalidDataException>(() => TorchCheckpoint.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("re-save it with torch >= 1.6", e.Message);
    }

    [TorchFact]
    public void AWholePickledModuleIsRefusedNamingTheClass()
    {
        var path = files.PathOf("whole.pt");
        var e = Assert.Throws<InvalidDataException>(() => TorchCheckpoint.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'torch.nn.modules.container Sequential'", e.Message);
    }

    [TorchFact]
    public void ATorchScriptArchiveIsNamedAsSuch()
    {
        var e = Assert.Throws<InvalidDataException>(() => TorchCheckpoint.Load(files.PathOf("script.pt")));
        Assert.Contains("TorchScript", e.Message);
    }

    // ---- files written by hand ----------------------------------------------------------------------------

    private string Zip(byte[] pickle, Dictionary<string, byte[]>? records = null, string? byteorder = null, string name = "f.pth")
    {
        var path = Path.Combine(_dir, name);
        TorchZip.Write(path, pickle, records ?? [], byteorder);
        return path;
    }

    private static readonly float[] Twelve = Enumerable.Range(0, 12).Select(i => i * 0.25f - 1).ToArray();

    [Fact]
    public void ReadsAHandWrittenFileWithViewsInBothByteOrders()
    {
        var pkl = PickleWriter.StateDict(
            ("all", w => w.Tensor("FloatStorage", "0", 12, 0, [3, 4], [4, 1])),
            ("colT", w => w.Tensor("FloatStorage", "0", 12, 1, [2, 3], [1, 4])));   // columns 1..2 of [3,4], transposed
        var little = Zip(pkl, new() { ["0"] = TorchZip.Floats(Twelve) }, name: "little.pt");
        var big = Zip(pkl, new() { ["0"] = TorchZip.Floats(Twelve).Chunk(4).SelectMany(c => c.Reverse()).ToArray() }, byteorder: "big", name: "big.pt");
        foreach (var path in new[] { little, big })
        {
            var sd = TorchCheckpoint.Load(path);
            Assert.Equal(Twelve, sd["all"].ToArray());
            Assert.Equal(new[] { 2, 3 }, sd["colT"].Shape.ToArray());
            Assert.Equal(new[] { Twelve[1], Twelve[5], Twelve[9], Twelve[2], Twelve[6], Twelve[10] }, sd["colT"].ToArray());
        }
    }

    private static InvalidDataException Refused(string path, params string[] says)
    {
        var e = Assert.Throws<InvalidDataException>(() => TorchCheckpoint.Load(path));
        Assert.Contains(path, e.Message);
        foreach (var s in says) Assert.Contains(s, e.Message);
        return e;
    }

    [Fact]
    public void APickleCallingOsSystemIsRefusedAndNothingRuns()
    {
        var marker = Path.Combine(_dir, "pwned");
        // GLOBAL posix system; 'touch marker'; TUPLE1; REDUCE; STOP: what pickle.loads would run.
        var pkl = new PickleWriter().Proto().Global("posix", "system").Str($"touch {marker}").Op(0x85).Op((byte)'R').Op((byte)'.').ToArray();
        Refused(Zip(pkl), "'posix system'", "not allowed", "Nothing was run");
        // The same through protocol 4's STACK_GLOBAL, and builtins.eval.
        var pkl4 = new PickleWriter().Proto(4).Str("builtins").Str("eval").Op(0x93).Str($"__import__('os').system('touch {marker}')").Op(0x85).Op((byte)'R').Op((byte)'.').ToArray();
        Refused(Zip(pkl4, name: "g.pth"), "'builtins eval'");
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void ObjectBuildingOpcodesAreRefused()
    {
        // collections.OrderedDict is allowed as a global, but NEWOBJ (cls.__new__) never is.
        var pkl = new PickleWriter().Proto().Global("collections", "OrderedDict").Op((byte)')').Op(0x81).Op((byte)'.').ToArray();
        Refused(Zip(pkl), "NEWOBJ", "refused");
    }

    [Fact]
    public void ATruncatedZipIsOneClearError()
    {
        var path = Zip(PickleWriter.StateDict(("w", w => w.Tensor("FloatStorage", "0", 12, 0, [12], [1]))), new() { ["0"] = TorchZip.Floats(Twelve) });
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length * 6 / 10)]);
        Refused(path, "zip archive", "truncated");
    }

    [Fact]
    public void ShapesAndOffsetsBeyondTheStorageAreRefused()
    {
        var rec = new Dictionary<string, byte[]> { ["0"] = TorchZip.Floats(Twelve) };
        Refused(Zip(PickleWriter.StateDict(("w", w => w.Tensor("FloatStorage", "0", 12, 0, [1L << 40], [1]))), rec, name: "a.pt"), "'w'", "size 1099511627776");
        Refused(Zip(PickleWriter.StateDict(("w", w => w.Tensor("FloatStorage", "0", 12, 0, [65536, 65536], [65536, 1]))), rec, name: "b.pt"), "more than 2^31-1 elements");
        Refused(Zip(PickleWriter.StateDict(("w", w => w.Tensor("FloatStorage", "0", 12, 0, [4, 4], [4, 1]))), rec, name: "c.pt"), "reaches element 15", "has 12 elements");
        Refused(Zip(PickleWriter.StateDict(("w", w => w.Tensor("FloatStorage", "0", 12, 1L << 50, [2], [1]))), rec, name: "d.pt"), "reaches element");
        Refused(Zip(PickleWriter.StateDict(("w", w => w.Tensor("FloatStorage", "0", 12, 0, [3, 4], [long.MaxValue / 2, 1]))), rec, name: "e.pt"), "reaches element");
        Refused(Zip(PickleWriter.StateDict(("w", w => w.Tensor("FloatStorage", "0", 12, 0, [2, 2], [-1, 1]))), rec, name: "f.pt"), "negative stride");
    }

    [Fact]
    public void AMissingStorageRecordIsNamed()
    {
        var pkl = PickleWriter.StateDict(("w", w => w.Tensor("FloatStorage", "7", 12, 0, [12], [1])));
        Refused(Zip(pkl, new() { ["0"] = TorchZip.Floats(Twelve) }), "'w'", "archive/data/7", "does not contain");
    }

    [Fact]
    public void AHugeDeclaredStorageIsRefusedWithoutAllocatingIt()
    {
        var pkl = PickleWriter.StateDict(("w", w => w.Tensor("FloatStorage", "0", 1L << 40, 0, [1L << 30], [1])));
        var path = Zip(pkl, new() { ["0"] = TorchZip.Floats(Twelve) });
        long before = GC.GetAllocatedBytesForCurrentThread();
        Refused(path, "declared as 1099511627776 elements", "48 bytes");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the reader allocated more than 16 MiB for a 1 KB file");
    }

    [Fact]
    public void DamagedPicklesAreOneClearError()
    {
        var good = PickleWriter.StateDict(("w", w => w.Tensor("FloatStorage", "0", 12, 0, [12], [1])));
        var rec = new Dictionary<string, byte[]> { ["0"] = TorchZip.Floats(Twelve) };
        Refused(Zip(good[..^1], rec, name: "a.pt"), "without a STOP", "truncated");
        Refused(Zip(good[..40], rec, name: "b.pt"), "data.pkl at byte");
        Refused(Zip([0x80, 2, (byte)'h', 9, (byte)'.'], rec, name: "c.pt"), "memo entry 9");
        Refused(Zip([0x80, 2, (byte)'R', (byte)'.'], rec, name: "d.pt"), "empty stack");
        Refused(Zip([0x80, 2, (byte)'X', 0xff, 0xff, 0xff, 0x7f, (byte)'.'], rec, name: "e.pt"), "declares a length of 2147483647 bytes");
        Refused(Zip([0x80, 2, (byte)'K', 1, (byte)'.'], rec, name: "f.pt"), "holds a int, not a dict");
    }

    [Fact]
    public void FilesThatAreNotTorchZipsSayWhatTheyAre()
    {
        var text = Path.Combine(_dir, "notes.pth");
        File.WriteAllText(text, "hello, not a model");
        Refused(text, "not a PyTorch checkpoint", "'PK'");
        var empty = Path.Combine(_dir, "empty.pt");
        File.WriteAllBytes(empty, []);
        Refused(empty, "is empty");
        Assert.Throws<FileNotFoundException>(() => TorchCheckpoint.Load(Path.Combine(_dir, "missing.pt")));
    }

    [Fact]
    public void AModuleLoadsAHandWrittenPthStrictAndReportsMismatches()
    {
        var lin = new Linear(3, 2);
        var w = Enumerable.Range(0, 6).Select(i => i * 0.5f).ToArray();
        var path = Zip(PickleWriter.StateDict(
            ("weight", p => p.Tensor("FloatStorage", "0", 8, 0, [2, 3], [3, 1])),
            ("bias", p => p.Tensor("FloatStorage", "0", 8, 6, [2], [1]))), new() { ["0"] = TorchZip.Floats([.. w, 7, 8]) }, name: "lin.pth");
        lin.Load(path);
        Assert.Equal(w, lin.Weight.ToArray());
        Assert.Equal(new[] { 7f, 8 }, lin.Bias!.ToArray());
        var e = Assert.Throws<ArgumentException>(() => new Linear(4, 2).Load(path));
        Assert.Contains("shape mismatch for 'weight'", e.Message);
    }

    [Fact]
    public void RandomlyDamagedPicklesAndZipsOnlyEverGiveInvalidData()
    {
        // A seeded mutation fuzz: flipped, dropped and duplicated bytes in the pickle, then in the whole zip. Every
        // outcome must be a loaded state dict or an InvalidDataException naming the file; no other exception, no hang.
        var pkl = PickleWriter.StateDict(
            ("a", w => w.Tensor("FloatStorage", "0", 12, 0, [3, 4], [4, 1])),
            ("b", w => w.Tensor("HalfStorage", "1", 4, 1, [3], [1])),
            ("c", w => w.Tensor("LongStorage", "2", 2, 0, [2], [1])));
        var rec = new Dictionary<string, byte[]> { ["0"] = TorchZip.Floats(Twelve), ["1"] = new byte[8], ["2"] = new byte[16] };
        var rng = new Random(1234);
        byte[] Mutate(byte[] src)
        {
            var b = src.ToList();
            for (int k = rng.Next(1, 4); k > 0 && b.Count > 0; k--)
            {
                int at = rng.Next(b.Count);
                switch (rng.Next(3))
                {
                    case 0: b[at] = (byte)rng.Next(256); break;
                    case 1: b.RemoveAt(at); break;
                    default: b.Insert(at, b[at]); break;
                }
            }
            return b.ToArray();
        }
        int loaded = 0, refused = 0;
        var path = Path.Combine(_dir, "fuzz.pt");
        for (int i = 0; i < 400; i++)
        {
            if (i < 250) TorchZip.Write(path, Mutate(pkl), rec);
            else { TorchZip.Write(path, pkl, rec); File.WriteAllBytes(path, Mutate(File.ReadAllBytes(path))); }
            try
            {
                foreach (var t in TorchCheckpoint.Load(path).Values) t.Dispose();
                loaded++;
            }
            catch (InvalidDataException e)
            {
                Assert.Contains(path, e.Message);
                refused++;
            }
            File.Delete(path);
        }
        Assert.True(refused > 100, $"only {refused} of 400 mutations were refused ({loaded} loaded)");
    }
}
