using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Engine.TorchFormat;

namespace Engine;

/// <summary>
/// Reads the state dicts that <c>torch.save</c> writes (<c>.pt</c>, <c>.pth</c>, Hugging Face's <c>pytorch_model.bin</c>),
/// with no Python and without running any code from the file.
/// </summary>
/// <remarks>
/// <para>The format (torch >= 1.6): a zip archive with one folder, <c>NAME/</c> (the file's stem in torch 1.x,
/// <c>archive/</c> in 2.x), holding <c>data.pkl</c> (a pickle of the dict), <c>data/K</c> (the raw bytes of storage K),
/// <c>version</c> and, since torch 2.0, <c>byteorder</c> ("little" or "big"; little when absent). In the pickle a
/// tensor is <c>torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks)</c> and
/// a storage a persistent id <c>('storage', torch.FloatStorage, K, location, numel)</c>: views saved together share
/// one storage, and each tensor here is the view its offset, size and stride select (copied out, so it owns its data).</para>
/// <para>The pickle is read by a restricted unpickler that admits only the globals a state dict needs and refuses any
/// other (<c>posix system</c>, <c>builtins eval</c>, a user class) with an error naming it: nothing from the file runs.
/// Razorvine.Pickle was not used because it cannot be restricted that way: an unknown global silently becomes a
/// generic class-dict constructor instead of an error, its constructor registry is process-wide static state, BUILD
/// calls a <c>__setstate__</c> method found by reflection, and its opcode dispatcher is internal and cannot be narrowed.</para>
/// <para>Types, as <see cref="Safetensors"/>: Float32 as Float32, Float16 as Float16, BFloat16 and Float64 to Float32,
/// Int64 to Int32 (an error names the element when a value does not fit), Int32/Int16/Int8/UInt8/Bool to Int32.
/// The legacy non-zip format of torch &lt; 1.6 and TorchScript archives (<c>torch.jit.save</c>) are refused with what to do.</para>
/// <para>A file that cannot be read is one <see cref="InvalidDataException"/> whose message names the file and the problem.</para>
/// </remarks>
public static class TorchCheckpoint
{
    private const long MaxPickleBytes = 32L << 20;   // a state dict pickle of thousands of tensors is about 1 MB
    // Deflate cannot expand more than about 1032:1; a larger declared ratio is a lie (or a zip bomb).
    private const long MaxDeflateRatio = 1100;

    /// <summary>
    /// Reads the state dict of a <c>torch.save</c> file onto device (CPU by default): the top-level dict must map
    /// names to tensors (what <c>torch.save(model.state_dict(), f)</c> writes).
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path, Device? device = null) => Load(path, key: null, device);

    /// <summary>
    /// Reads the state dict stored under <paramref name="key"/> of a training checkpoint's top-level dict
    /// (<c>torch.save({"model": model.state_dict(), "epoch": 3}, f)</c> with key "model"); null reads the top-level dict.
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path, string? key, Device? device = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"PyTorch checkpoint: file '{path}' does not exist", path);
        using var fs = OpenChecked(path);
        using var zip = OpenZip(path, fs);
        var (prefix, bigEndian) = FindFolder(path, zip);
        var pkl = ReadEntry(path, zip.GetEntry(prefix + "data.pkl")!, MaxPickleBytes, "data.pkl");
        var root = RestrictedUnpickler.Load(path, pkl);
        var tensors = SelectStateDict(path, root, key);

        var result = new Dictionary<string, Tensor>();
        try
        {
            // One storage at a time: its bytes are read once, every tensor that views it is copied out, then they are dropped.
            foreach (var group in tensors.GroupBy(t => t.Value.Storage.Key))
            {
                var entry = zip.GetEntry($"{prefix}data/{group.Key}")
                    ?? throw Fail(path, $"tensor '{group.First().Key}' uses storage record '{prefix}data/{group.Key}', which the archive does not contain (damaged file)");
                byte[]? raw = null;
                foreach (var (name, t) in group)
                {
                    int elem = RestrictedUnpickler.StorageTypes[t.Storage.Type];
                    if (t.Storage.Numel > entry.Length / elem || t.Storage.Numel * elem != entry.Length)
                        throw Fail(path, $"tensor '{name}': storage '{group.Key}' is declared as {t.Storage.Numel} elements of {t.Storage.Type} ({(Int128)t.Storage.Numel * elem} bytes) but its record holds {entry.Length} bytes");
                    var shape = CheckView(path, name, t);
                    raw ??= ReadEntry(path, entry, Array.MaxLength, $"data/{group.Key}");
                    result[name] = Materialize(path, name, t, shape, raw, bigEndian, device ?? Device.Cpu);
                }
            }
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        // Keep the file's order of names (dict order) rather than the storage grouping's.
        return tensors.Where(t => result.ContainsKey(t.Key)).ToDictionary(t => t.Key, t => result[t.Key]);
    }

    /// <summary>True for a file that looks like a torch.save zip by its extension (.pt, .pth, .bin) or its first bytes.</summary>
    public static bool IsTorchFile(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is ".pt" or ".pth" or ".bin" or ".ckpt") return true;
        try
        {
            using var fs = File.OpenRead(path);
            Span<byte> head = stackalloc byte[4];
            return fs.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && head.SequenceEqual("PK\x03\x04"u8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    // ---- the archive ------------------------------------------------------------------------------------

    private static FileStream OpenChecked(string path)
    {
        FileStream fs;
        try { fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw Fail(path, $"cannot be read: {e.Message}", e); }
        Span<byte> head = stackalloc byte[4];
        int n = fs.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        fs.Position = 0;
        if (n == 4 && head.SequenceEqual("PK\x03\x04"u8)) return fs;
        fs.Dispose();
        if (n == 0) throw Fail(path, "is empty");
        if (head[0] == 0x80)
            throw Fail(path, "is in the legacy torch.save format of torch < 1.6 (a bare pickle stream), which Engine does not read; "
                + "re-save it with torch >= 1.6, which writes the zip format: torch.save(torch.load(\"old.pth\"), \"new.pth\")");
        throw Fail(path, "is not a PyTorch checkpoint: a torch.save file is a zip archive (starts with 'PK'), this one starts with bytes "
            + Convert.ToHexString(head[..n]));
    }

    private static ZipArchive OpenZip(string path, FileStream fs)
    {
        ZipArchive? zip = null;
        try
        {
            zip = new ZipArchive(fs, ZipArchiveMode.Read, leaveOpen: false);
            _ = zip.Entries.Count;   // the central directory is read lazily: its errors belong here, named
            return zip;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
        {
            zip?.Dispose();
            throw Fail(path, $"is not a readable zip archive, truncated or damaged ({e.Message})", e);
        }
    }

    // Finds the archive's folder (the one holding data.pkl) and its byte order.
    private static (string prefix, bool bigEndian) FindFolder(string path, ZipArchive zip)
    {
        // TorchScript (torch.jit.save) writes data.pkl too, beside constants.pkl and the model's code/.
        if (zip.Entries.Any(e => e.FullName.EndsWith("/constants.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1))
            throw Fail(path, "is a TorchScript archive (torch.jit.save), not a torch.save state dict; in Python, save its state dict instead: torch.save(model.state_dict(), \"model.pth\")");
        var pkls = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1).ToList();
        if (pkls.Count == 0)
        {
            throw Fail(path, $"is a zip archive without a top-level NAME/data.pkl, so not a torch.save file (it holds {zip.Entries.Count} entries: "
                + string.Join(", ", zip.Entries.Take(5).Select(e => $"'{e.FullName}'")) + (zip.Entries.Count > 5 ? ", ..." : "") + ")");
        }
        if (pkls.Count > 1) throw Fail(path, $"holds {pkls.Count} data.pkl records ({string.Join(", ", pkls.Select(e => e.FullName))}); a torch.save file has one");
        string prefix = pkls[0].FullName[..^"data.pkl".Length];

        bool big = false;
        if (zip.GetEntry(prefix + "byteorder") is { } bo)
        {
            var text = Encoding.ASCII.GetString(ReadEntry(path, bo, 16, "byteorder")).Trim();
            big = text switch
            {
                "little" => false,
                "big" => true,
                _ => throw Fail(path, $"has byteorder '{text}' (expected 'little' or 'big')"),
            };
        }
        return (prefix, big);
    }

    // Reads one record whole, refusing sizes above max and declared sizes the compressed data cannot hold.
    private static byte[] ReadEntry(string path, ZipArchiveEntry entry, long max, string what)
    {
        long len = entry.Length;
        if (len > max) throw Fail(path, $"record '{what}' declares {len} bytes, more than the {max} Engine reads");
        if (len > entry.CompressedLength * MaxDeflateRatio + 1024)
            throw Fail(path, $"record '{what}' declares {len} bytes from {entry.CompressedLength} compressed bytes, more than compression allows (damaged or a zip bomb)");
        var buf = new byte[len];
        try
        {
            using var s = entry.Open();
            s.ReadExactly(buf);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or EndOfStreamException or NotSupportedException)
        {
            throw Fail(path, $"record '{what}' cannot be read: {e.Message} (truncated or damaged file)", e);
        }
        return buf;
    }

    // ---- from the pickle's dict to tensors -------------------------------------------------------------

    private static List<KeyValuePair<string, TensorRef>> SelectStateDict(string path, object? root, string? key)
    {
        if (root is not PyDict top) throw Fail(path, $"holds a {RestrictedUnpickler.TypeName(root)}, not a dict of tensors (a state dict)");
        var dict = top;
        if (key != null)
        {
            var hit = top.Items.FirstOrDefault(kv => kv.Key is string s && s == key);
            if (hit.Key is null) throw Fail(path, $"has no entry '{key}' (its top-level keys: {Keys(top)})");
            dict = hit.Value as PyDict ?? throw Fail(path, $"entry '{key}' is a {RestrictedUnpickler.TypeName(hit.Value)}, not a dict of tensors");
        }
        var list = new List<KeyValuePair<string, TensorRef>>();
        foreach (var (k, v) in dict.Items)
        {
            if (k is not string name) throw Fail(path, $"has a key of type {RestrictedUnpickler.TypeName(k)} in its state dict; names must be strings");
            if (v is TensorRef t) { list.Add(new(name, t)); continue; }
            // A training checkpoint ({"model": ..., "optimizer": ..., "epoch": 3}): say which entries hold tensors.
            var candidates = dict.Items.Where(kv => kv.Key is string && kv.Value is PyDict d && d.Items.Any(i => i.Value is TensorRef)).Select(kv => (string)kv.Key!).ToList();
            string hint = key == null && candidates.Count > 0
                ? $"; it looks like a training checkpoint: its dicts of tensors are {string.Join(", ", candidates.Select(c => $"'{c}'"))}, read one with TorchCheckpoint.Load(path, key: \"{candidates[0]}\")"
                : "";
            throw Fail(path, $"entry '{(key == null ? "" : key + ".")}{name}' is a {RestrictedUnpickler.TypeName(v)}, not a tensor, so this is not a state dict{hint}");
        }
        return list;
    }

    private static string Keys(PyDict d) =>
        string.Join(", ", d.Items.Take(10).Select(kv => kv.Key is string s ? $"'{s}'" : RestrictedUnpickler.TypeName(kv.Key))) + (d.Items.Count > 10 ? ", ..." : "");

    // Checks that the view (offset, size, stride) lies inside its storage; returns the shape.
    private static int[] CheckView(string path, string name, TensorRef t)
    {
        var shape = new int[t.Size.Length];
        long numel = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            long d = t.Size[i];
            if (d < 0 || d > int.MaxValue) throw Fail(path, $"tensor '{name}' has size {d} in dimension {i} (shape [{string.Join(", ", t.Size)}])");
            if (t.Stride[i] < 0) throw Fail(path, $"tensor '{name}' has a negative stride {t.Stride[i]} in dimension {i}");
            shape[i] = (int)d;
            numel *= d;
            if (numel > int.MaxValue) throw Fail(path, $"tensor '{name}' has shape [{string.Join(", ", t.Size)}], more than 2^31-1 elements");
        }
        if (t.Offset < 0) throw Fail(path, $"tensor '{name}' has a negative storage offset {t.Offset}");
        if (numel == 0) return shape;
        Int128 last = t.Offset;
        for (int i = 0; i < shape.Length; i++) last += (Int128)(shape[i] - 1) * t.Stride[i];
        if (last >= t.Storage.Numel)
            throw Fail(path, $"tensor '{name}' (offset {t.Offset}, shape [{string.Join(", ", t.Size)}], stride [{string.Join(", ", t.Stride)}]) reaches element {last} of storage '{t.Storage.Key}', which has {t.Storage.Numel} elements");
        return shape;
    }

    // Copies the view out of the storage bytes, converting to the engine's dtype.
    private static Tensor Materialize(string path, string name, TensorRef t, int[] shape, byte[] raw, bool big, Device device)
    {
        int n = new Shape(shape).Numel;
        var at = ElementIndices(t, shape, n);
        var be = device.Backend;
        ReadOnlySpan<byte> r = raw;
        Storage storage;
        switch (t.Storage.Type)
        {
            case "FloatStorage":
            {
                var v = new float[n];
                for (int i = 0; i < n; i++) { var b = r.Slice((int)(at(i) * 4), 4); v[i] = big ? BinaryPrimitives.ReadSingleBigEndian(b) : BinaryPrimitives.ReadSingleLittleEndian(b); }
                storage = be.Upload(v); break;
            }
            case "HalfStorage":
            {
                var v = new Half[n];
                for (int i = 0; i < n; i++) { var b = r.Slice((int)(at(i) * 2), 2); v[i] = big ? BinaryPrimitives.ReadHalfBigEndian(b) : BinaryPrimitives.ReadHalfLittleEndian(b); }
                storage = be.Upload(v); break;
            }
            case "BFloat16Storage":   // the upper 16 bits of a float32
            {
                var v = new float[n];
                for (int i = 0; i < n; i++) { var b = r.Slice((int)(at(i) * 2), 2); v[i] = BitConverter.Int32BitsToSingle((big ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b)) << 16); }
                storage = be.Upload(v); break;
            }
            case "DoubleStorage":
            {
                var v = new float[n];
                for (int i = 0; i < n; i++) { var b = r.Slice((int)(at(i) * 8), 8); v[i] = (float)(big ? BinaryPrimitives.ReadDoubleBigEndian(b) : BinaryPrimitives.ReadDoubleLittleEndian(b)); }
                storage = be.Upload(v); break;
            }
            case "LongStorage":
            {
                var v = new int[n];
                for (int i = 0; i < n; i++)
                {
                    var b = r.Slice((int)(at(i) * 8), 8);
                    long x = big ? BinaryPrimitives.ReadInt64BigEndian(b) : BinaryPrimitives.ReadInt64LittleEndian(b);
                    if (x < int.MinValue || x > int.MaxValue) throw Fail(path, $"tensor '{name}' (int64) holds {x} at element {i}, outside the Int32 range Engine stores integers in");
                    v[i] = (int)x;
                }
                storage = be.Upload(v); break;
            }
            case "IntStorage":
            {
                var v = new int[n];
                for (int i = 0; i < n; i++) { var b = r.Slice((int)(at(i) * 4), 4); v[i] = big ? BinaryPrimitives.ReadInt32BigEndian(b) : BinaryPrimitives.ReadInt32LittleEndian(b); }
                storage = be.Upload(v); break;
            }
            case "ShortStorage":
            {
                var v = new int[n];
                for (int i = 0; i < n; i++) { var b = r.Slice((int)(at(i) * 2), 2); v[i] = big ? BinaryPrimitives.ReadInt16BigEndian(b) : BinaryPrimitives.ReadInt16LittleEndian(b); }
                storage = be.Upload(v); break;
            }
            default:   // CharStorage (int8), ByteStorage (uint8), BoolStorage
            {
                var v = new int[n];
                bool signed = t.Storage.Type == "CharStorage";
                for (int i = 0; i < n; i++) { byte x = r[(int)at(i)]; v[i] = signed ? (sbyte)x : x; }
                storage = be.Upload(v); break;
            }
        }
        return Tensor.Create(storage, Engine.Layout.Contiguous(new Shape(shape)));
    }

    // Element i of the view (row-major over shape) -> its index in the storage. Contiguous views map linearly;
    // others get their indices listed once (CheckView proved every one is inside the storage).
    private static Func<int, long> ElementIndices(TensorRef t, int[] shape, int n)
    {
        long expect = 1;
        bool contiguous = true;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] != 1 && t.Stride[d] != expect) { contiguous = false; break; }
            expect *= shape[d];
        }
        long offset = t.Offset;
        if (contiguous) return i => offset + i;
        var idx = new long[n];
        var pos = new int[shape.Length];
        long cur = offset;
        for (int i = 0; i < n; i++)
        {
            idx[i] = cur;
            for (int d = shape.Length - 1; d >= 0; d--)   // odometer: step the last dimension, carry left
            {
                if (++pos[d] < shape[d]) { cur += t.Stride[d]; break; }
                cur -= (long)(shape[d] - 1) * t.Stride[d];
                pos[d] = 0;
            }
        }
        return i => idx[i];
    }

    private static InvalidDataException Fail(string path, string problem, Exception? inner = null) =>
        new($"PyTorch checkpoint '{path}' {problem}", inner);
}
