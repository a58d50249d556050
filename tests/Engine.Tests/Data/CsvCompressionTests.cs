using System.IO.Compression;
using System.Text;
using Engine.Data;

namespace Engine.Tests.Data;

/// <summary>Csv.Read on gzip files (by magic bytes, not by name), and clear refusals of other compressed or binary files.</summary>
public class CsvCompressionTests
{
    private const string Text = "a,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n";

    private static string Temp(string name) => Path.Combine(Directory.CreateTempSubdirectory("engine-csv-").FullName, name);

    private static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    [Theory]
    [InlineData("data.csv.gz")]
    [InlineData("data.csv")]          // gzip with a plain name reads too: the bytes decide
    public void GzipReadsAsThePlainFile(string name)
    {
        var path = Temp(name);
        File.WriteAllBytes(path, Gzip(Encoding.UTF8.GetBytes(Text)));
        var plain = Temp("plain.csv");
        File.WriteAllText(plain, Text);
        var a = Csv.Read(path, labelColumn: "label");
        var b = Csv.Read(plain, labelColumn: "label");
        Assert.Equal(b.Features, a.Features);
        Assert.Equal(b.Labels, a.Labels);
        Assert.Equal(["cat", "dog"], a.ClassNames!);
    }

    [Fact]
    public void HeaderlessColumnsAreNamedByPosition()
    {
        var path = Temp("digits.csv.gz");
        File.WriteAllBytes(path, Gzip(Encoding.UTF8.GetBytes("0.5,1,7\n0.25,2,3\n")));
        var d = Csv.Read(path, hasHeader: false, labelColumn: "c2");
        Assert.Equal([7, 3], d.Labels!);
        Assert.Equal(["c0", "c1", "c2"], Csv.ReadTable(path, hasHeader: false).Columns);
    }

    [Theory]
    [InlineData(new byte[] { 0x50, 0x4B, 0x03, 0x04, 1, 2, 3, 4 }, "zip archive")]
    [InlineData(new byte[] { 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0, 0 }, "xz-compressed")]
    [InlineData(new byte[] { 0x42, 0x5A, 0x68, 0x39, 1, 2, 3, 4 }, "bzip2-compressed")]
    [InlineData(new byte[] { 0x28, 0xB5, 0x2F, 0xFD, 1, 2, 3, 4 }, "zstd-compressed")]
    [InlineData(new byte[] { 0x01, 0x02, 0x00, 0x7F, 0x10 }, "binary file")]
    public void OtherFormatsSayWhatTheyAre(byte[] head, string what)
    {
        var path = Temp("data.csv");
        File.WriteAllBytes(path, head);
        var e = Assert.Throws<InvalidDataException>(() => Csv.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void ATruncatedGzipIsNamed()
    {
        var gz = Gzip(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(Text, 200))));
        var path = Temp("data.csv.gz");
        File.WriteAllBytes(path, gz[..(gz.Length / 2)]);
        var e = Assert.ThrowsAny<Exception>(() => Csv.Read(path, labelColumn: "label"));
        Assert.IsType<InvalidDataException>(e);
        Assert.Contains(path, e.Message);
    }
}
