using Engine.Data;

namespace Engine.Tests.Data;

public class FileFormatTests
{
    [Fact]
    public void IdxWrongMagicNamesFileAndByte()
    {
        var dir = TestData.TempDir();
        var bytes = TestData.Idx([2], [1, 2]);
        bytes[1] = 0x12;
        var p = TestData.Write(dir, "bad-magic-idx1-ubyte", bytes);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadBytes(p));
        Assert.Contains(p, e.Message);
        Assert.Contains("wrong IDX magic at byte 0", e.Message);
    }

    [Fact]
    public void IdxTruncatedDataIsAnErrorNotZeroFilled()
    {
        var dir = TestData.TempDir();
        var p = TestData.Write(dir, "short-idx3-ubyte", TestData.Idx([2, 2, 2], [1, 2, 3, 4, 5]));
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadBytes(p));
        Assert.Contains(p, e.Message);
        Assert.Contains("truncated data", e.Message);
        Assert.Contains("8 values", e.Message);
        Assert.Contains("only 5 bytes", e.Message);
    }

    [Fact]
    public void IdxTruncatedHeaderAndTrailingBytes()
    {
        var e1 = Assert.Throws<InvalidDataException>(() => Idx.Parse(new byte[] { 0, 0, 8, 3, 0, 0 }, "h.idx"));
        Assert.Contains("truncated header", e1.Message);
        var e2 = Assert.Throws<InvalidDataException>(() => Idx.Parse(TestData.Idx([2], [1, 2, 3]), "t.idx"));
        Assert.Contains("trailing", e2.Message);
    }

    [Fact]
    public void IdxGzipRoundTrip()
    {
        var dir = TestData.TempDir();
        var raw = TestData.Idx([3], [7, 8, 9]);
        var p = Path.Combine(dir, "x-idx1-ubyte.gz");
        using (var f = File.Create(p))
        using (var gz = new System.IO.Compression.GZipStream(f, System.IO.Compression.CompressionLevel.Fastest))
            gz.Write(raw);
        var a = Idx.ReadBytes(p);
        Assert.Equal(new[] { 3 }, a.Dims);
        Assert.Equal(new byte[] { 7, 8, 9 }, a.Data);
    }

    [Fact]
    public void ImageAndLabelCountMismatchNamesBothFiles()
    {
        var dir = TestData.TempDir();
        TestData.Write(dir, "train-images-idx3-ubyte", TestData.Idx([3, 2, 2], new byte[12]));
        TestData.Write(dir, "train-labels-idx1-ubyte", TestData.Idx([2], [0, 1]));
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir, "train"));
        Assert.Contains("3 images", e.Message);
        Assert.Contains("2 labels", e.Message);
        Assert.Contains("train-images-idx3-ubyte", e.Message);
        Assert.Contains("train-labels-idx1-ubyte", e.Message);
    }

    [Fact]
    public void ShippedFashionMnistSubsetLoads()
    {
        var split = FashionMnist.Load(Path.Combine(TestData.RepoRoot(), "data", "fashion-mnist-subset"), "t10k");
        Assert.Equal(28, split.Rows);
        Assert.Equal(split.Count, split.Labels.Length);
        Assert.Equal(split.Count * 784, split.Images.Length);
        Assert.All(ClassIndex.Counts(split.Labels, 10), c => Assert.True(c > 0));
        var ds = TensorDataset.From(split);
        Assert.Equal(new[] { 1, 28, 28 }, ds[0].x.Shape.ToArray());
    }

    [Fact]
    public void CsvRaggedRowNamesFileLineAndColumn()
    {
        var dir = TestData.TempDir();
        var p = TestData.WriteText(dir, "ragged.csv", "a,b,label\n1,2,0\n3,4\n");
        var e = Assert.Throws<InvalidDataException>(() => Csv.Read(p, labelColumn: "label"));
        Assert.Contains(p, e.Message);
        Assert.Contains("line 3", e.Message);
        Assert.Contains("ragged row: 2 fields", e.Message);
        Assert.Contains("column 3, 'label'", e.Message);
        var p2 = TestData.WriteText(dir, "long.csv", "a,b\n1,2\n3,4,5\n");
        var e2 = Assert.Throws<InvalidDataException>(() => Csv.Read(p2));
        Assert.Contains("line 3", e2.Message);
        Assert.Contains("extra field at column 3", e2.Message);
    }

    [Fact]
    public void CsvNonNumericAndEmptyFieldsNameLineAndColumn()
    {
        var dir = TestData.TempDir();
        var p = TestData.WriteText(dir, "text.csv", "a,b,label\n1,2,0\n3,oops,1\n");
        var e = Assert.Throws<InvalidDataException>(() => Csv.Read(p, labelColumn: "label"));
        Assert.Contains($"{p}, line 3, column 2 ('b'): 'oops' is not a number", e.Message);
        var p2 = TestData.WriteText(dir, "empty.csv", "1,,0\n");
        var e2 = Assert.Throws<InvalidDataException>(() => Csv.Read(p2, hasHeader: false));
        Assert.Contains("line 1, column 2", e2.Message);
        Assert.Contains("empty field", e2.Message);
    }

    [Fact]
    public void CsvBlankLineInsideAndUnclosedQuote()
    {
        var e = Assert.Throws<InvalidDataException>(() => Csv.ParseTable(["a,b", "1,2", "", "3,4"], "m.csv"));
        Assert.Contains("m.csv, line 3: blank line", e.Message);
        var e2 = Assert.Throws<InvalidDataException>(() => Csv.ParseTable(["a,b", "\"1,2"], "q.csv"));
        Assert.Contains("q.csv, line 2, column 1: quote opened at character 1 is never closed", e2.Message);
    }

    [Fact]
    public void CsvReadsNumbersQuotesAndClassNames()
    {
        var t = Csv.ParseTable(["x,\"y, quoted\",species", "1.5,-2e1,setosa", "3,4,virginica", "\"5\",6,setosa", ""], "ok.csv");
        Assert.Equal(new[] { "x", "y, quoted", "species" }, t.Columns);
        var d = Csv.ToNumeric(t, "species");
        Assert.Equal(new[] { 1.5f, -20f, 3f, 4f, 5f, 6f }, d.Features);
        Assert.Equal(new[] { "setosa", "virginica" }, d.ClassNames);
        Assert.Equal(new[] { 0, 1, 0 }, d.Labels);
        var ds = d.ToDataset();
        Assert.Equal(new[] { 2 }, ds.SampleShape);
        // Integer labels are kept as they are; a column can be named by its number.
        var d2 = Csv.ToNumeric(Csv.ParseTable(["4,1", "5,7"], "n.csv", hasHeader: false), "1");
        Assert.Equal(new[] { 1, 7 }, d2.Labels);
        Assert.Throws<ArgumentException>(() => Csv.ToNumeric(t, "nope"));
    }
}
