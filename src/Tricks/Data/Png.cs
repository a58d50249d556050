using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Engine.Data;

/// <summary>
/// A minimal PNG writer (8-bit greyscale or RGB, no interlace), so pictures need no imaging library:
/// signature, IHDR, one zlib-compressed IDAT of filter-0 scanlines, IEND; each chunk with its CRC-32.
/// </summary>
public static class Png
{
    /// <summary>Writes pixels [H, W, channels] (bytes, row-major; channels 1 = grey, 3 = RGB).</summary>
    public static void Write(string path, byte[] pixels, int width, int height, int channels)
    {
        using var f = File.Create(path);
        Write(f, pixels, width, height, channels);
    }

    public static void Write(Stream output, byte[] pixels, int width, int height, int channels)
    {
        if (channels != 1 && channels != 3) throw new ArgumentOutOfRangeException(nameof(channels), $"png: 1 (grey) or 3 (RGB) channels, got {channels}");
        if (width <= 0 || height <= 0 || pixels.Length != width * height * channels)
            throw new ArgumentException($"png: {pixels.Length} bytes do not fill {width}x{height}x{channels}");
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;                               // bit depth
        ihdr[9] = (byte)(channels == 1 ? 0 : 2);   // colour type: grey or truecolour
        Chunk(output, "IHDR", ihdr);
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true))
        {
            int stride = width * channels;
            for (int y = 0; y < height; y++)
            {
                z.WriteByte(0);                    // filter type 0: the raw scanline
                z.Write(pixels, y * stride, stride);
            }
        }
        Chunk(output, "IDAT", ms.ToArray());
        Chunk(output, "IEND", []);
    }

    /// <summary>Floats in [0, 1] (clamped) to bytes round(255 v).</summary>
    public static byte[] ToBytes(ReadOnlySpan<float> values)
    {
        var b = new byte[values.Length];
        for (int i = 0; i < b.Length; i++) b[i] = (byte)Math.Clamp((int)MathF.Round(values[i] * 255f), 0, 255);
        return b;
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var t = Encoding.ASCII.GetBytes(type);
        s.Write(t);
        s.Write(data);
        uint crc = Crc32.Update(Crc32.Update(0xFFFFFFFFu, t), data) ^ 0xFFFFFFFFu;   // over type and data
        BinaryPrimitives.WriteUInt32BigEndian(len, crc);
        s.Write(len);
    }
}

/// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as PNG and zip use it.</summary>
public static class Crc32
{
    private static readonly uint[] Table = Build();

    private static uint[] Build()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }

    /// <summary>Continues a running CRC (start with 0xFFFFFFFF, finish by xor with 0xFFFFFFFF).</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    public static uint Compute(ReadOnlySpan<byte> data) => Update(0xFFFFFFFFu, data) ^ 0xFFFFFFFFu;
}
