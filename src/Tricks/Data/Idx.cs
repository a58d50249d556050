using System.Buffers.Binary;
using System.IO.Compression;

namespace Engine.Data;

/// <summary>
/// Reader for the IDX format of MNIST and Fashion-MNIST (plain or gzip'd): a big-endian header
/// (two zero bytes, a type code, the number of dims, then each dim as int32) followed by the data.
/// Every malformed file gives an <see cref="InvalidDataException"/> naming the file, the byte
/// position and the problem; nothing is skipped or zero-filled.
/// </summary>
public static class Idx
{
    /// <summary>An IDX array of unsigned bytes: its dims and its values.</summary>
    public sealed record ByteArray(int[] Dims, byte[] Data);

    /// <summary>Reads an IDX file of unsigned bytes (type 0x08), gzip'd when the name ends in .gz or the data starts with the gzip magic.</summary>
    public static ByteArray ReadBytes(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
        byte[] raw;
        try { raw = Decompress(File.ReadAllBytes(path)); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: not a valid gzip stream ({e.Message})", e); }
        return Parse(raw, path);
    }

    internal static byte[] Decompress(byte[] bytes)
    {
        if (bytes.Length < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b) return bytes;
        using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        return ms.ToArray();
    }

    /// <summary>Parses IDX bytes; name is used in error messages.</summary>
    public static ByteArray Parse(ReadOnlySpan<byte> raw, string name)
    {
        if (raw.Length < 4) throw new InvalidDataException($"{name}: file is {raw.Length} bytes, too short for the 4-byte IDX magic");
        if (raw[0] != 0 || raw[1] != 0)
            throw new InvalidDataException($"{name}: wrong IDX magic at byte 0: expected 00 00, found {raw[0]:X2} {raw[1]:X2} (is this an IDX file?)");
        if (raw[2] != 0x08)
            throw new InvalidDataException($"{name}: unsupported IDX element type 0x{raw[2]:X2} at byte 2 (only unsigned bytes, 0x08, are supported)");
        int nd = raw[3];
        if (nd == 0 || nd > 4) throw new InvalidDataException($"{name}: invalid number of dimensions {nd} at byte 3 (expected 1 to 4)");
        if (raw.Length < 4 + 4 * nd) throw new InvalidDataException($"{name}: truncated header: {raw.Length} bytes, need {4 + 4 * nd} for {nd} dims");
        var dims = new int[nd];
        long count = 1;
        for (int i = 0; i < nd; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(raw.Slice(4 + 4 * i));
            if (dims[i] < 0) throw new InvalidDataException($"{name}: negative size {dims[i]} for dim {i} at byte {4 + 4 * i}");
            count *= dims[i];
        }
        int header = 4 + 4 * nd;
        long have = raw.Length - header;
        if (have < count)
            throw new InvalidDataException($"{name}: truncated data: header promises {count} values ({Shape.Format(dims)}) from byte {header}, but only {have} bytes follow");
        if (have > count)
            throw new InvalidDataException($"{name}: {have - count} unexpected trailing bytes after the {count} values of {Shape.Format(dims)} (at byte {header + count})");
        return new ByteArray(dims, raw.Slice(header, (int)count).ToArray());
    }
}
