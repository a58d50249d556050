using System.Buffers.Binary;
using System.Text;

namespace Engine.Tests.Layers;

/// <summary>
/// Safetensors files over 2 GiB: read tensor by tensor at 64-bit offsets. The file is sparse (SetLength), so its
/// 2 GiB of padding costs no disk and no time; only the small tensor placed beyond 2 GiB holds written bytes.
/// </summary>
public sealed class SafetensorsLargeFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("engine-st-big-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const long PadBytes = (1L << 31) + 64;   // F64 padding tensor: 268435464 elements
    private static readonly float[] Small = [1.5f, -2.25f, 3e-8f, 65504f];

    // header | pad (F64, PadBytes) | small (F32, 4 elements, beyond 2 GiB) ; optionally a truncated file.
    private string SparseFile(string name, long cut = 0)
    {
        var header = $"{{\"pad\":{{\"dtype\":\"F64\",\"shape\":[{PadBytes / 8}],\"data_offsets\":[0,{PadBytes}]}},"
            + $"\"small\":{{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[{PadBytes},{PadBytes + 16}]}}}}";
        var json = Encoding.UTF8.GetBytes(header.PadRight((header.Length + 7) / 8 * 8));
        var path = Path.Combine(_dir, name);
        using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)json.Length);
        fs.Write(len);
        fs.Write(json);
        long dataStart = 8 + json.Length;
        fs.SetLength(dataStart + PadBytes + 16 - cut);   // sparse: no blocks are written for the padding
        if (cut == 0)
        {
            fs.Position = dataStart + PadBytes;
            Span<byte> b = stackalloc byte[4];
            foreach (var v in Small) { BinaryPrimitives.WriteSingleLittleEndian(b, v); fs.Write(b); }
        }
        return path;
    }

    [Fact]
    public void ReadsATensorBeyond2GiB()
    {
        var path = SparseFile("big.safetensors");
        Assert.True(new FileInfo(path).Length > int.MaxValue);
        using var file = Safetensors.Open(path);
        Assert.Equal(["pad", "small"], file.Names);
        Assert.Equal(new Shape(268435464), file.ShapeOf("pad"));
        Assert.Equal("F64", file.DtypeOf("pad"));
        using var small = file.Read("small");
        Assert.Equal(new Shape(2, 2), small.Shape);
        Assert.Equal(Small, small.ToArray());
        var e = Assert.Throws<KeyNotFoundException>(() => file.Read("nope"));
        Assert.Contains("'pad'", e.Message);
    }

    [Fact]
    public void HeaderChecksStillHoldPast2GiB()
    {
        // 16 bytes short: the header places 'small' past the end of the data section.
        var path = SparseFile("short.safetensors", cut: 16);
        var e = Assert.Throws<SafetensorsException>(() => Safetensors.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("tensor 'small' ends at byte 2147483728", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void RandomlyDamagedFilesOnlyEverGiveSafetensorsErrors()
    {
        // The streamed reader under a seeded mutation fuzz: flipped, dropped and duplicated bytes anywhere (header length,
        // JSON, data). Each file loads or is one SafetensorsException naming it.
        var good = Path.Combine(_dir, "good.safetensors");
        Safetensors.Save(good, new Dictionary<string, Tensor>
        {
            ["w"] = Tensor.FromArray([1f, 2, 3, 4, 5, 6], 2, 3),
            ["i"] = Tensor.FromArray([7, -8], 2),
        }, new Dictionary<string, string> { ["format"] = "pt" });
        var bytes = File.ReadAllBytes(good);
        var rng = new Random(42);
        var path = Path.Combine(_dir, "fuzz.safetensors");
        int refused = 0;
        for (int n = 0; n < 400; n++)
        {
            var b = bytes.ToList();
            for (int k = rng.Next(1, 4); k > 0; k--)
            {
                int at = rng.Next(b.Count);
                switch (rng.Next(3))
                {
                    case 0: b[at] = (byte)rng.Next(256); break;
                    case 1: b.RemoveAt(at); break;
                    default: b.Insert(at, b[at]); break;
                }
            }
            File.WriteAllBytes(path, b.ToArray());
            try { foreach (var t in Safetensors.Load(path).Values) t.Dispose(); }
            catch (SafetensorsException e) { Assert.Contains(path, e.Message); refused++; }
        }
        Assert.True(refused > 200, $"only {refused} of 400 mutations were refused");
    }
}
