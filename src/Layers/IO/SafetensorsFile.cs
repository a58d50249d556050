using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;

namespace Engine;

/// <summary>
/// A safetensors file opened for reading tensor by tensor: the header is read and checked once (every hostile-header
/// check of <see cref="Safetensors.Load(string, Device?)"/>), then each <see cref="Read"/> reads only that tensor's bytes at
/// its 64-bit offset, in chunks, so files of any size (a 7 GB LLM) load without one array of the whole file and a
/// caller can take just the tensors it needs.
/// </summary>
/// <remarks>Dispose closes the file. Not thread-safe for concurrent reads of one instance.</remarks>
public sealed class SafetensorsFile : IDisposable
{
    private const long MaxHeader = 100_000_000;
    private const int Chunk = 1 << 20;   // bytes converted per read: a multiple of every element size

    private readonly SafeFileHandle _handle;
    private readonly long _dataStart;
    private readonly Dictionary<string, Entry> _entries;

    private sealed record Entry(string Dtype, int[] Shape, long Begin, long End);

    /// <summary>The file's path, as given.</summary>
    public string Path { get; }

    /// <summary>The "__metadata__" string map (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Tensor names in the header's order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The shape of tensor name as the header declares it.</summary>
    public Shape ShapeOf(string name) => new(Get(name).Shape);

    /// <summary>The safetensors dtype of tensor name ("F32", "BF16", "I64", ...).</summary>
    public string DtypeOf(string name) => Get(name).Dtype;

    private SafetensorsFile(string path, SafeFileHandle handle, long dataStart, Dictionary<string, Entry> entries, List<string> names, Dictionary<string, string> metadata)
    {
        Path = path; _handle = handle; _dataStart = dataStart; _entries = entries; Names = names; Metadata = metadata;
    }

    /// <summary>Opens path and checks its header; errors (<see cref="SafetensorsException"/>) name the file and the problem.</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors: file '{path}' does not exist", path);
        SafeFileHandle handle;
        try { handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw Fail(path, $"cannot be read: {e.Message}", e); }
        try { return Parse(path, handle); }
        catch { handle.Dispose(); throw; }
    }

    private static SafetensorsFile Parse(string path, SafeFileHandle handle)
    {
        long fileLength = RandomAccess.GetLength(handle);
        if (fileLength < 8) throw Fail(path, $"is {fileLength} bytes long, too short to hold the 8-byte header length (truncated or not a safetensors file)");
        Span<byte> len = stackalloc byte[8];
        ReadExactly(path, handle, len, 0);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (n > MaxHeader) throw Fail(path, $"declares a header of {n} bytes, more than the {MaxHeader} allowed (corrupted or not a safetensors file)");
        if ((long)n > fileLength - 8) throw Fail(path, $"declares a {n}-byte header but only {fileLength - 8} bytes follow the length field (truncated file)");
        long dataStart = 8 + (long)n;
        long dataLength = fileLength - dataStart;

        var headerBytes = new byte[n];
        ReadExactly(path, handle, headerBytes, 8);
        // The JSON reader only transcodes strings when they are read (an InvalidOperationException later, from
        // whoever touches the key), so the bytes are checked as UTF-8 up front.
        if (!System.Text.Unicode.Utf8.IsValid(headerBytes)) throw Fail(path, "header is not valid UTF-8 (corrupted or not a safetensors file)");
        JsonObject header;
        try
        {
            header = JsonNode.Parse(headerBytes) as JsonObject ?? throw Fail(path, "header is not a JSON object");
            _ = header.Count;   // materializes the properties: a duplicated key throws here, not mid-load
        }
        catch (JsonException e) { throw Fail(path, $"header is not valid JSON ({e.Message})", e); }
        catch (ArgumentException e) { throw Fail(path, $"header has a duplicated key ({e.Message})", e); }

        var metadata = new Dictionary<string, string>();
        var entries = new Dictionary<string, Entry>();
        var names = new List<string>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                if (node is not JsonObject md) throw Fail(path, "__metadata__ must be an object of strings");
                foreach (var (k, v) in md)
                    metadata[k] = v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : throw Fail(path, $"__metadata__ value of '{k}' is not a string");
                continue;
            }
            entries[name] = ParseEntry(path, name, node);
            names.Add(name);
        }

        // The tensors must cover the data section exactly: sorted by offset, each starts where the previous ended.
        long at = 0;
        foreach (var (name, e) in entries.OrderBy(e => e.Value.Begin).ThenBy(e => e.Value.End))
        {
            if (e.End > dataLength) throw Fail(path, $"tensor '{name}' ends at byte {e.End} of the data section, which has only {dataLength} bytes (truncated file)");
            if (e.Begin != at) throw Fail(path, e.Begin > at ? $"the data section has a hole of {e.Begin - at} bytes before tensor '{name}' (offset {e.Begin})" : $"tensor '{name}' (offsets {e.Begin}..{e.End}) overlaps the previous tensor, which ends at {at}");
            at = e.End;
        }
        if (at != dataLength) throw Fail(path, $"the data section has {dataLength} bytes but the tensors use {at} (trailing bytes: corrupted file)");
        return new SafetensorsFile(path, handle, dataStart, entries, names, metadata);
    }

    private static Entry ParseEntry(string path, string name, JsonNode? node)
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
            throw Fail(path, $"tensor '{name}' of dtype {dtype} and shape {Engine.Shape.Format(shape)} needs {numel * size} bytes but its offsets span {end - begin}");
        return new Entry(dtype, shape, begin, end);
    }

    private static int ElementSize(string path, string name, string dtype) => dtype switch
    {
        "F64" or "I64" => 8,
        "F32" or "I32" => 4,
        "F16" or "BF16" => 2,
        "U8" or "I8" or "BOOL" => 1,
        _ => throw Fail(path, $"tensor '{name}' has dtype '{dtype}', which Engine does not read (F32, F16, BF16, F64, I32, I64, U8, I8, BOOL)"),
    };

    private Entry Get(string name) => _entries.TryGetValue(name, out var e) ? e
        : throw new KeyNotFoundException($"safetensors file '{Path}' has no tensor '{name}' (it has {Names.Count}: {string.Join(", ", Names.Take(8).Select(n => $"'{n}'"))}{(Names.Count > 8 ? ", ..." : "")})");

    /// <summary>Every tensor, by name in the header's order, onto device (CPU by default).</summary>
    public Dictionary<string, Tensor> ReadAll(Device? device = null)
    {
        var result = new Dictionary<string, Tensor>();
        try
        {
            foreach (var name in Names) result[name] = Read(name, device);
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>
    /// Reads one tensor onto device (CPU by default): F32 as Float32, F16 as Float16, BF16 and F64 to Float32,
    /// I32 as Int32, I64 to Int32 (an error names the element that does not fit), U8/I8/BOOL to Int32.
    /// </summary>
    public Tensor Read(string name, Device? device = null)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var e = Get(name);
        int n = new Shape(e.Shape).Numel;
        int es = ElementSize(Path, name, e.Dtype);
        var be = (device ?? Device.Cpu).Backend;
        Storage storage;
        switch (e.Dtype)
        {
            case "F32": { var v = new float[n]; Each(e, es, n, (raw, at) => CopyLittleEndian(raw, v.AsSpan(at), BinaryPrimitives.ReadSingleLittleEndian)); storage = be.Upload(v); break; }
            case "F16": { var v = new Half[n]; Each(e, es, n, (raw, at) => CopyLittleEndian(raw, v.AsSpan(at), BinaryPrimitives.ReadHalfLittleEndian)); storage = be.Upload(v); break; }
            case "I32": { var v = new int[n]; Each(e, es, n, (raw, at) => CopyLittleEndian(raw, v.AsSpan(at), BinaryPrimitives.ReadInt32LittleEndian)); storage = be.Upload(v); break; }
            case "BF16":   // the upper 16 bits of a float32
            {
                var v = new float[n];
                Each(e, es, n, (raw, at) => { for (int i = 0; i < raw.Length / 2; i++) v[at + i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]) << 16); });
                storage = be.Upload(v); break;
            }
            case "F64":
            {
                var v = new float[n];
                Each(e, es, n, (raw, at) => { for (int i = 0; i < raw.Length / 8; i++) v[at + i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]); });
                storage = be.Upload(v); break;
            }
            case "I64":
            {
                var v = new int[n];
                Each(e, es, n, (raw, at) =>
                {
                    for (int i = 0; i < raw.Length / 8; i++)
                    {
                        long x = BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]);
                        if (x < int.MinValue || x > int.MaxValue) throw Fail(Path, $"tensor '{name}' (I64) holds {x} at element {at + i}, outside the Int32 range Engine stores integers in");
                        v[at + i] = (int)x;
                    }
                });
                storage = be.Upload(v); break;
            }
            default:   // U8, I8, BOOL
            {
                var v = new int[n];
                bool signed = e.Dtype == "I8";
                Each(e, es, n, (raw, at) => { for (int i = 0; i < raw.Length; i++) v[at + i] = signed ? (sbyte)raw[i] : raw[i]; });
                storage = be.Upload(v); break;
            }
        }
        return Tensor.Create(storage, Layout.Contiguous(new Shape(e.Shape)));
    }

    private delegate void ChunkAction(ReadOnlySpan<byte> raw, int firstElement);
    private delegate T ReadLe<T>(ReadOnlySpan<byte> b);

    // Reads the tensor's bytes chunk by chunk at their 64-bit file offset and hands each chunk to convert.
    private void Each(Entry e, int elementSize, int n, ChunkAction convert)
    {
        var buf = ArrayPool<byte>.Shared.Rent(Chunk);
        try
        {
            long offset = _dataStart + e.Begin;
            for (int at = 0; at < n;)
            {
                int count = Math.Min(n - at, Chunk / elementSize);
                var span = buf.AsSpan(0, count * elementSize);
                ReadExactly(Path, _handle, span, offset);
                convert(span, at);
                offset += span.Length;
                at += count;
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buf); }
    }

    // Little-endian bytes into T values: a block copy on little-endian machines, a per-element read elsewhere.
    private static void CopyLittleEndian<T>(ReadOnlySpan<byte> raw, Span<T> dest, ReadLe<T> read) where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        int count = raw.Length / size;
        if (BitConverter.IsLittleEndian) { MemoryMarshal.Cast<byte, T>(raw).CopyTo(dest); return; }
        for (int i = 0; i < count; i++) dest[i] = read(raw[(size * i)..]);
    }

    private static void ReadExactly(string path, SafeFileHandle handle, Span<byte> dest, long offset)
    {
        int done = 0;
        while (done < dest.Length)
        {
            int got;
            try { got = RandomAccess.Read(handle, dest[done..], offset + done); }
            catch (IOException e) { throw Fail(path, $"cannot be read at byte {offset + done}: {e.Message}", e); }
            if (got == 0) throw Fail(path, $"ends at byte {offset + done} while {dest.Length - done} more bytes were expected (the file was truncated while open)");
            done += got;
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _handle.Dispose();

    internal static SafetensorsException Fail(string path, string problem, Exception? inner = null) =>
        new($"safetensors file '{path}' {problem}", inner);
}
