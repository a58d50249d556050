using System.Buffers.Binary;
using System.IO.Compression;
using Engine.Data;

namespace Engine.Tests.Data;

public class EncoderAndPngTests
{
    private static readonly CsvTable Train = Csv.ParseTable(["city,size,price", "paris,S,1", "oslo,M,2", "paris,L,3", "rome,M,4"], "train.csv");

    [Fact]
    public void CategoricalIdsWithAnUnknownBucket()
    {
        var enc = CategoricalEncoder.Fit(Train, ["city", "size"]);
        Assert.Equal(new[] { "oslo", "paris", "rome" }, enc.Vocabulary[0]);
        Assert.Equal(new[] { 4, 4 }, enc.Cardinality);   // 3 values + unknown
        Assert.Equal(new[] { 2, 3, 1, 2, 2, 1, 3, 2 }, enc.Transform(Train));
        var test = Csv.ParseTable(["price,size,city", "9,XL,paris", "8,S,lima"], "test.csv");   // other column order
        Assert.Equal(new[] { 2, 0, 0, 3 }, enc.Transform(test));   // [N, (city, size)]: XL and lima are unknown
        var col = enc.TransformColumn(test, 0);
        Assert.Equal(DType.Int32, col.DType);
        Assert.Equal(new[] { 2, 0 }, col.ToIntArray());
    }

    [Fact]
    public void RareValuesGoToUnknownAndOneHotLayout()
    {
        var enc = CategoricalEncoder.Fit(Train, ["city"], minFrequency: 2);
        Assert.Equal(new[] { "paris" }, enc.Vocabulary[0]);
        Assert.Equal(new[] { 1, 0, 1, 0 }, enc.Transform(Train));
        var both = CategoricalEncoder.Fit(Train, ["city", "size"]);
        var oh = both.OneHot(Train);
        Assert.Equal(new[] { 4, 8 }, oh.Shape.ToArray());
        var v = oh.ToArray();
        // Row 0: paris (id 2) -> slot 2; S (id 3) -> slot 4 + 3.
        Assert.Equal(new float[] { 0, 0, 1, 0, 0, 0, 0, 1 }, v.Take(8));
        Assert.All(Enumerable.Range(0, 4), r => Assert.Equal(2f, v.Skip(r * 8).Take(8).Sum()));
    }

    [Fact]
    public void Crc32KnownValue() => Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));

    [Fact]
    public void PngChunksAndPixelsRoundTrip()
    {
        int w = 5, h = 3;
        var px = Enumerable.Range(0, w * h * 3).Select(i => (byte)(i * 17)).ToArray();
        using var ms = new MemoryStream();
        Png.Write(ms, px, w, h, 3);
        var f = ms.ToArray();
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, f[..8]);
        int pos = 8; var types = new List<string>(); byte[]? idat = null;
        while (pos < f.Length)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(f.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(f, pos + 4, 4);
            var body = f.AsSpan(pos + 8, len);
            Assert.Equal(Crc32.Compute(f.AsSpan(pos + 4, 4 + len)), BinaryPrimitives.ReadUInt32BigEndian(f.AsSpan(pos + 8 + len)));
            if (type == "IHDR")
            {
                Assert.Equal(w, BinaryPrimitives.ReadInt32BigEndian(body));
                Assert.Equal(h, BinaryPrimitives.ReadInt32BigEndian(body[4..]));
                Assert.Equal(8, body[8]); Assert.Equal(2, body[9]);
            }
            if (type == "IDAT") idat = body.ToArray();
            types.Add(type);
            pos += 12 + len;
        }
        Assert.Equal(new[] { "IHDR", "IDAT", "IEND" }, types);
        using var z = new ZLibStream(new MemoryStream(idat!), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        var rows = raw.ToArray();
        Assert.Equal(h * (1 + w * 3), rows.Length);
        for (int y = 0; y < h; y++)
        {
            Assert.Equal(0, rows[y * (1 + w * 3)]);
            Assert.Equal(px.AsSpan(y * w * 3, w * 3).ToArray(), rows.AsSpan(y * (1 + w * 3) + 1, w * 3).ToArray());
        }
    }
}
