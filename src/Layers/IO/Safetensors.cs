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

    /// <summary>
    /// Reads every tensor and the "__metadata__" string map. The file is read tensor by tensor at 64-bit offsets
    /// (<see cref="SafetensorsFile"/>), never into one array, so files over 2 GiB load; <see cref="Open"/> reads only
    /// the tensors a caller asks for.
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata, Device? device = null)
    {
        using var file = SafetensorsFile.Open(path);
        metadata = new Dictionary<string, string>(file.Metadata);
        return file.ReadAll(device);
    }

    /// <summary>Opens a safetensors file for reading tensor by tensor (header checked now, each tensor read on demand).</summary>
    public static SafetensorsFile Open(string path) => SafetensorsFile.Open(path);

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
