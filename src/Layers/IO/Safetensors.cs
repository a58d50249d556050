using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine;

/// <summary>A safetensors file that cannot be read: the message names the file and what is wrong with it.</summary>
public sealed class SafetensorsException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// Reads and writes state dicts in the safetensors format (the one PyTorch and Hugging Face use):
/// an 8-byte little-endian unsigned header length N, N bytes of UTF-8 JSON
/// <c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}</c>
/// (offsets relative to the data section, which the tensors cover exactly, without holes or overlap),
/// then the raw little-endian row-major tensor bytes.
/// </summary>
/// <remarks>
/// Written: Float32 as F32, Float16 as F16, Int32 as I32, tensors sorted by name, header padded with
/// spaces to a multiple of 8 bytes. Read: F32, F16, BF16 and F64 (to Float32), I32, I64 (to Int32 when
/// in range), U8/I8/BOOL (to Int32). Writes go to a temporary file in the same folder, flushed to disk and
/// renamed over the target, so a crash never leaves a half-written model behind.
/// </remarks>
public static class Safetensors
{
    private const long MaxHeader = 100_000_000;

    /// <summary>Writes tensors (any device; copied to the host) to path atomically. metadata goes in "__metadata__".</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        if (metadata != null && metadata.Count > 0)
        {
            var md = new JsonObject();
            foreach (var (k, v) in metadata) md[k] = v;
            header["__metadata__"] = md;
        }
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var name in names)
        {
            if (name == "__metadata__") throw new ArgumentException($"safetensors save '{path}': '__metadata__' is reserved and cannot name a tensor");
            var t = tensors[name];
            t.ThrowIfDisposed("safetensors save");
            var bytes = ToBytes(t);
            blobs.Add(bytes);
            header[name] = new JsonObject
            {
                ["dtype"] = t.DType switch { DType.Float32 => "F32", DType.Float16 => "F16", DType.Int32 => "I32", _ => throw new NotSupportedException($"safetensors save: dtype {t.DType}") },
                ["shape"] = new JsonArray(t.Shape.ToArray().Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            offset += bytes.Length;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;

        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = DurableFile.TempNameFor(full);
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                Span<byte> len = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
                fs.Write(len);
                fs.Write(json);
                for (int i = json.Length; i < padded; i++) fs.WriteByte((byte)' ');
                foreach (var b in blobs) fs.Write(b);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
        DurableFile.SyncDirectory(dir);   // the rename itself survives a power loss
    }

    /// <summary>Reads every tensor of a safetensors file onto device (CPU by default). Errors name the file and the problem.</summary>
    public static Dictionary<string, Tensor> Load(string path, Device? device = null) => Load(path, out _, device);

    /// <summary>Reads every tensor and the "__metadata__" string map.</summary>
    public static Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata, Device? device = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors: file '{path}' does not exist", path);
        byte[] file;
        try { file = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw Fail(path, $"cannot be read: {e.Message}", e); }
        if (file.Length < 8) throw Fail(path, $"is {file.Length} bytes long, too short to hold the 8-byte header length (truncated or not a safetensors file)");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (n > MaxHeader) throw Fail(path, $"declares a header of {n} bytes, more than the {MaxHeader} allowed (corrupted or not a safetensors file)");
        if ((long)n > file.Length - 8) throw Fail(path, $"declares a {n}-byte header but only {file.Length - 8} bytes follow the length field (truncated file)");
        int dataStart = 8 + (int)n;
        long dataLength = file.Length - dataStart;

        JsonObject header;
        var headerBytes = file.AsSpan(8, (int)n);
        // The JSON reader only transcodes strings when they are read (an InvalidOperationException later, from
        // whoever touches the key), so the bytes are checked as UTF-8 up front.
        if (!System.Text.Unicode.Utf8.IsValid(headerBytes)) throw Fail(path, "header is not valid UTF-8 (corrupted or not a safetensors file)");
        try
        {
            header = JsonNode.Parse(headerBytes) as JsonObject ?? throw Fail(path, "header is not a JSON object");
            _ = header.Count;   // materializes the properties: a duplicated key throws here, not mid-load
        }
        catch (JsonException e) { throw Fail(path, $"header is not valid JSON ({e.Message})", e); }
        catch (ArgumentException e) { throw Fail(path, $"header has a duplicated key ({e.Message})", e); }

        metadata = new Dictionary<string, string>();
        var entries = new List<(string name, string dtype, int[] shape, long begin, long end)>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                if (node is not JsonObject md) throw Fail(path, "__metadata__ must be an object of strings");
                foreach (var (k, v) in md)
                    metadata[k] = v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : throw Fail(path, $"__metadata__ value of '{k}' is not a string");
                continue;
            }
            entries.Add(ParseEntry(path, name, node));
        }

        // The tensors must cover the data section exactly: sorted by offset, each starts where the previous ended.
        long at = 0;
        foreach (var e in entries.OrderBy(e => e.begin).ThenBy(e => e.end))
        {
            if (e.end > dataLength) throw Fail(path, $"tensor '{e.name}' ends at byte {e.end} of the data section, which has only {dataLength} bytes (truncated file)");
            if (e.begin != at) throw Fail(path, e.begin > at ? $"the data section has a hole of {e.begin - at} bytes before tensor '{e.name}' (offset {e.begin})" : $"tensor '{e.name}' (offsets {e.begin}..{e.end}) overlaps the previous tensor, which ends at {at}");
            at = e.end;
        }
        if (at != dataLength) throw Fail(path, $"the data section has {dataLength} bytes but the tensors use {at} (trailing bytes: corrupted file)");

        var result = new Dictionary<string, Tensor>();
        try
        {
            foreach (var e in entries)
                result[e.name] = ToTensor(path, e.name, e.dtype, e.shape, file.AsSpan(dataStart + (int)e.begin, (int)(e.end - e.begin)), device ?? Device.Cpu);
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    private static (string, string, int[], long, long) ParseEntry(string path, string name, JsonNode? node)
    {
        if (node is not JsonObject o) throw Fail(path, $"entry '{name}' is not an object");
        string dtype = o["dtype"] is JsonValue dv && dv.TryGetValue<string>(out var ds) ? ds : throw Fail(path, $"tensor '{name}' has no string 'dtype'");
        if (o["shape"] is not JsonArray sa) throw Fail(path, $"tensor '{name}' has no 'shape' array");
        var shape = new int[sa.Count];
        long numel = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (sa[i] is not JsonValue v || !v.TryGetValue<long>(out var d) || d < 0 || d > int.MaxValue) throw Fail(path, $"tensor '{name}' has an invalid shape entry at position {i}");
            shape[i] = (int)d; numel *= d;
            if (numel > int.MaxValue) throw Fail(path, $"tensor '{name}' has more than 2^31-1 elements");
        }
        if (o["data_offsets"] is not JsonArray oa || oa.Count != 2 || oa[0] is not JsonValue b0 || oa[1] is not JsonValue b1
            || !b0.TryGetValue<long>(out var begin) || !b1.TryGetValue<long>(out var end) || begin < 0 || end < begin)
            throw Fail(path, $"tensor '{name}' has invalid 'data_offsets' (need [begin, end] with 0 <= begin <= end)");
        int size = ElementSize(path, name, dtype);
        if (end - begin != numel * size)
            throw Fail(path, $"tensor '{name}' of dtype {dtype} and shape {Shape.Format(shape)} needs {numel * size} bytes but its offsets span {end - begin}");
        return (name, dtype, shape, begin, end);
    }

    private static int ElementSize(string path, string name, string dtype) => dtype switch
    {
        "F64" or "I64" => 8,
        "F32" or "I32" => 4,
        "F16" or "BF16" => 2,
        "U8" or "I8" or "BOOL" => 1,
        _ => throw Fail(path, $"tensor '{name}' has dtype '{dtype}', which Engine does not read (F32, F16, BF16, F64, I32, I64, U8, I8, BOOL)"),
    };

    private static Tensor ToTensor(string path, string name, string dtype, int[] shape, ReadOnlySpan<byte> raw, Device device)
    {
        var be = device.Backend;
        int n = new Shape(shape).Numel;
        Storage storage;
        switch (dtype)
        {
            case "F32":
            {
                var v = new float[n];
                for (int i = 0; i < n; i++) v[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
                storage = be.Upload(v); break;
            }
            case "F16":
            {
                var v = new Half[n];
                for (int i = 0; i < n; i++) v[i] = BinaryPrimitives.ReadHalfLittleEndian(raw[(2 * i)..]);
                storage = be.Upload(v); break;
            }
            case "BF16":
            {
                var v = new float[n];
                for (int i = 0; i < n; i++) v[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]) << 16);
                storage = be.Upload(v); break;
            }
            case "F64":
            {
                var v = new float[n];
                for (int i = 0; i < n; i++) v[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]);
                storage = be.Upload(v); break;
            }
            case "I32":
            {
                var v = new int[n];
                for (int i = 0; i < n; i++) v[i] = BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]);
                storage = be.Upload(v); break;
            }
            case "I64":
            {
                var v = new int[n];
                for (int i = 0; i < n; i++)
                {
                    long x = BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]);
                    if (x < int.MinValue || x > int.MaxValue) throw Fail(path, $"tensor '{name}' (I64) holds {x} at element {i}, outside the Int32 range Engine stores integers in");
                    v[i] = (int)x;
                }
                storage = be.Upload(v); break;
            }
            default:   // U8, I8, BOOL
            {
                var v = new int[n];
                for (int i = 0; i < n; i++) v[i] = dtype == "I8" ? (sbyte)raw[i] : raw[i];
                storage = be.Upload(v); break;
            }
        }
        return Tensor.Create(storage, Layout.Contiguous(new Shape(shape)));
    }

    private static byte[] ToBytes(Tensor t)
    {
        int n = t.Numel;
        switch (t.DType)
        {
            case DType.Float32:
            {
                var v = t.ToArray();
                var b = new byte[4 * n];
                for (int i = 0; i < n; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), v[i]);
                return b;
            }
            case DType.Float16:
            {
                var v = t.ToArray();                    // half -> float is exact, and back again
                var b = new byte[2 * n];
                for (int i = 0; i < n; i++) BinaryPrimitives.WriteHalfLittleEndian(b.AsSpan(2 * i), (Half)v[i]);
                return b;
            }
            default:
            {
                var v = t.ToIntArray();
                var b = new byte[4 * n];
                for (int i = 0; i < n; i++) BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4 * i), v[i]);
                return b;
            }
        }
    }

    private static SafetensorsException Fail(string path, string problem, Exception? inner = null) =>
        new($"safetensors file '{path}' {problem}", inner);
}
