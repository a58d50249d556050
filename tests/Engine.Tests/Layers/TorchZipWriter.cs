using System.IO.Compression;
using System.Text;

namespace Engine.Tests.Layers;

/// <summary>
/// Writes torch.save-shaped zips by hand for the tests that need files torch would never write (hostile pickles,
/// absurd views, missing records, big-endian data): a pickle assembled opcode by opcode, plus storage records.
/// </summary>
internal sealed class PickleWriter
{
    private readonly MemoryStream _b = new();

    public PickleWriter Op(byte op) { _b.WriteByte(op); return this; }
    public PickleWriter Raw(ReadOnlySpan<byte> bytes) { _b.Write(bytes); return this; }
    public PickleWriter Proto(int p = 2) => Op(0x80).Op((byte)p);
    public PickleWriter Mark() => Op((byte)'(');
    public PickleWriter Global(string module, string name) => Op((byte)'c').Raw(Encoding.UTF8.GetBytes($"{module}\n{name}\n"));
    public PickleWriter Str(string s)
    {
        var u = Encoding.UTF8.GetBytes(s);
        Op((byte)'X').Raw(BitConverter.GetBytes(u.Length));
        return Raw(u);
    }
    public PickleWriter Int(long v)
    {
        if (v is >= 0 and < 256) return Op((byte)'K').Op((byte)v);
        return Op(0x8a).Op(8).Raw(BitConverter.GetBytes(v));   // LONG1 with 8 bytes
    }
    public PickleWriter Ints(params long[] vs) { Mark(); foreach (var v in vs) Int(v); return Op((byte)'t'); }
    public PickleWriter EmptyOrderedDict() => Global("collections", "OrderedDict").Op((byte)')').Op((byte)'R');

    /// <summary>_rebuild_tensor_v2(('storage', torch.TYPE, key, 'cpu', numel), offset, size, stride, False, OrderedDict()).</summary>
    public PickleWriter Tensor(string storageType, string key, long numel, long offset, long[] size, long[] stride)
    {
        Global("torch._utils", "_rebuild_tensor_v2");
        Mark();
        Mark().Str("storage").Global("torch", storageType).Str(key).Str("cpu").Int(numel).Op((byte)'t').Op((byte)'Q');
        Int(offset).Ints(size).Ints(stride).Op(0x89).EmptyOrderedDict();
        return Op((byte)'t').Op((byte)'R');
    }

    /// <summary>An OrderedDict state dict of the given (name, tensor-writing action) entries, then STOP.</summary>
    public static byte[] StateDict(params (string Name, Action<PickleWriter> Tensor)[] entries)
    {
        var w = new PickleWriter().Proto().EmptyOrderedDict().Mark();
        foreach (var (n, t) in entries) { w.Str(n); t(w); }
        return w.Op((byte)'u').Op((byte)'.').ToArray();
    }

    public byte[] ToArray() => _b.ToArray();
}

internal static class TorchZip
{
    /// <summary>A zip with NAME/data.pkl, NAME/data/K records and NAME/version (and NAME/byteorder when given), as torch writes it.</summary>
    public static void Write(string path, byte[] pickle, IReadOnlyDictionary<string, byte[]> records, string? byteorder = null, string folder = "archive")
    {
        using var fs = File.Create(path);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        void Add(string name, byte[] bytes)
        {
            using var s = zip.CreateEntry($"{folder}/{name}", CompressionLevel.NoCompression).Open();
            s.Write(bytes);
        }
        Add("data.pkl", pickle);
        if (byteorder != null) Add("byteorder", Encoding.ASCII.GetBytes(byteorder));
        foreach (var (k, v) in records) Add($"data/{k}", v);
        Add("version", "3\n"u8.ToArray());
    }

    public static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();
}
