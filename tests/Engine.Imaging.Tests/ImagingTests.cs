using System.Buffers.Binary;
using System.IO.Compression;
using Engine.Data;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SharpImage = SixLabors.ImageSharp.Image;

namespace Engine.Imaging.Tests;

/// <summary>Decoding, bad files, the transforms' own arithmetic and ImageFolder, with images written by the tests.</summary>
public sealed class ImagingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("engine-imaging-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Pixels(int h, int w, int c, int seed)
    {
        var r = new Random(seed);
        var p = new byte[h * w * c];
        r.NextBytes(p);
        return p;
    }

    private string WritePng(string name, byte[] pixels, int h, int w, int c)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Png.Write(path, pixels, w, h, c);
        return path;
    }

    [Fact]
    public void DecodesAPngToChwFloatsOver255()
    {
        var px = Pixels(5, 7, 3, 1);
        var img = ImageFile.Read(WritePng("a.png", px, 5, 7, 3));
        Assert.Equal((3, 5, 7), (img.C, img.H, img.W));
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 7; x++)
                for (int c = 0; c < 3; c++)
                    Assert.Equal(px[(y * 7 + x) * 3 + c] / 255f, img[c, y, x]);
        // A grey PNG: RGB repeats the grey level; Grey keeps one channel.
        var g = Pixels(4, 3, 1, 2);
        var path = WritePng("g.png", g, 4, 3, 1);
        var rgb = ImageFile.Read(path);
        var grey = ImageFile.Read(path, ColorMode.Grey);
        Assert.Equal(3, rgb.C);
        Assert.Equal(1, grey.C);
        for (int i = 0; i < 12; i++) { Assert.Equal(g[i] / 255f, grey.Data[i]); Assert.Equal(g[i] / 255f, rgb.Data[24 + i]); }
    }

    [Fact]
    public void DecodesAJpeg()
    {
        // A smooth image survives JPEG at quality 95 within a few levels.
        using var src = new SixLabors.ImageSharp.Image<Rgb24>(16, 12);
        for (int y = 0; y < 12; y++)
            for (int x = 0; x < 16; x++)
                src[x, y] = new Rgb24((byte)(x * 15), (byte)(y * 20), 128);
        var path = Path.Combine(_dir, "s.jpg");
        SixLabors.ImageSharp.ImageExtensions.Save(src, path, new JpegEncoder { Quality = 95 });
        var img = ImageFile.Read(path);
        Assert.Equal((3, 12, 16), (img.C, img.H, img.W));
        for (int y = 0; y < 12; y++)
            for (int x = 0; x < 16; x++)
                Assert.True(Math.Abs(img[0, y, x] * 255 - x * 15) < 12 && Math.Abs(img[1, y, x] * 255 - y * 20) < 12, $"pixel ({y},{x})");
    }

    [Fact]
    public void FilesThatAreNotImagesAreOneClearErrorNamingTheFile()
    {
        var text = Path.Combine(_dir, "cat.png");
        File.WriteAllText(text, "this is not a picture of a cat");
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Read(text));
        Assert.Contains(text, e.Message);
        Assert.Contains("not a PNG or JPEG", e.Message);

        var empty = Path.Combine(_dir, "empty.jpg");
        File.WriteAllBytes(empty, []);
        Assert.Contains("is empty", Assert.Throws<InvalidDataException>(() => ImageFile.Read(empty)).Message);

        // A GIF is an image, but not a format Engine decodes.
        var gif = Path.Combine(_dir, "x.gif");
        File.WriteAllBytes(gif, "GIF89a\x01\0\x01\0\0\0\0;"u8.ToArray());
        Assert.Contains(gif, Assert.Throws<InvalidDataException>(() => ImageFile.Read(gif)).Message);
        Assert.Throws<FileNotFoundException>(() => ImageFile.Read(Path.Combine(_dir, "missing.png")));
    }

    [Fact]
    public void TruncatedAndCorruptedPngsAreOneClearError()
    {
        var path = WritePng("t.png", Pixels(32, 32, 3, 3), 32, 32, 3);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Read(path));
        Assert.Contains(path, e.Message);

        // Scrambled compressed data (CRCs left wrong too): an error, never a crash.
        var bad = (byte[])bytes.Clone();
        for (int i = 60; i < bad.Length - 20; i += 7) bad[i] ^= 0x5a;
        File.WriteAllBytes(path, bad);
        Assert.Contains(path, Assert.Throws<InvalidDataException>(() => ImageFile.Read(path)).Message);
    }

    [Fact]
    public void AHugeDeclaredSizeIsRefusedBeforeDecoding()
    {
        // A valid 1x1 PNG whose IHDR (with a correct CRC) claims 100000 x 100000 pixels.
        var path = WritePng("bomb.png", [7], 1, 1, 1);
        var b = File.ReadAllBytes(path);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(16), 100_000);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(20), 100_000);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(29), Crc32(b.AsSpan(12, 17)));
        File.WriteAllBytes(path, b);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Read(path));
        Assert.Contains("declares 100000 x 100000 pixels", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "the decoder allocated for the declared size");
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (var x in data)
        {
            c ^= x;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return c ^ 0xFFFFFFFF;
    }

    // ---- transforms ---------------------------------------------------------------------------------------

    private static Image Random(int c, int h, int w, int seed)
    {
        var r = new Random(seed);
        var img = new Image(c, h, w);
        for (int i = 0; i < img.Data.Length; i++) img.Data[i] = (float)r.NextDouble();
        return img;
    }

    [Theory]
    [InlineData(13, 17, 5, 6)]     // down
    [InlineData(4, 5, 11, 9)]      // up
    [InlineData(9, 30, 20, 7)]     // up in H, down in W
    [InlineData(64, 48, 7, 224)]
    public void SeparableResizeEqualsTheNaive2DSum(int h, int w, int oh, int ow)
    {
        var img = Random(2, h, w, h * 31 + w);
        var fast = Resize.Bilinear(img, oh, ow);
        var naive = Resize.Naive(img, oh, ow);
        for (int i = 0; i < fast.Data.Length; i++) Assert.True(Math.Abs(fast.Data[i] - naive.Data[i]) < 1e-6, $"element {i}: {fast.Data[i]} vs {naive.Data[i]}");
    }

    [Fact]
    public void ResizeAveragesWhenHalvingAndKeepsConstants()
    {
        // Halving exactly: each output pixel is the mean of its 2x2 block (the triangle over scale 2 covers the
        // block's pixels at weight 3/4 and the neighbours' at 1/4: torch's antialias result for factor 2 is
        // (x[i-1] + 3x[i] + 3x[i+1] + x[i+2]) / 8 per axis).
        var img = new Image(1, 1, 8, [0, 8, 16, 24, 32, 40, 48, 56]);
        var r = Resize.Bilinear(img, 1, 4);
        // Output 0 at the border: taps 0, 1, 2 with weights 3/4, 3/4, 1/4 normalized: (0*3 + 8*3 + 16) / 7.
        Assert.Equal((0 * 3 + 8 * 3 + 16) / 7f, r.Data[0], 5);
        Assert.Equal((8 + 16 * 3 + 24 * 3 + 32) / 8f, r.Data[1], 5);
        var flat = new Image(3, 9, 13);
        Array.Fill(flat.Data, 0.3f);
        Assert.All(Resize.Bilinear(flat, 4, 29).Data, v => Assert.Equal(0.3f, v, 6));
        Assert.Equal((256, 384), new Resize(256).OutputSize(200, 300));
        Assert.Equal((341, 256), new Resize(256).OutputSize(400, 300));   // (int)(256 * 400 / 300) = 341
    }

    [Fact]
    public void CenterCropRoundsHalfToEvenAndPads()
    {
        var img = new Image(1, 4, 5, Enumerable.Range(0, 20).Select(i => (float)i).ToArray());
        // (5 - 2) / 2 = 1.5 -> 2 (even); (4 - 1) / 2 = 1.5 -> 2.
        Assert.Equal(new float[] { 12, 13 }, new CenterCrop(1, 2).Apply(img).Data);
        var padded = new CenterCrop(6, 5).Apply(img);   // one zero row above and below
        Assert.Equal(new float[5], padded.Data[..5]);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (float)i), padded.Data[5..25]);
    }

    [Fact]
    public void NormalizeUsesImageNetStatistics()
    {
        var img = new Image(3, 1, 1, [0.485f, 0.456f + 0.224f, 0]);
        var n = Normalize.ImageNet.Apply(img);
        Assert.Equal(0f, n.Data[0], 6);
        Assert.Equal(1f, n.Data[1], 5);
        Assert.Equal(-0.406f / 0.225f, n.Data[2], 5);
        Assert.Contains("1 channels", Assert.Throws<ShapeException>(() => Normalize.ImageNet.Apply(new Image(1, 2, 2))).Message);
    }

    // ---- ImageFolder ------------------------------------------------------------------------------------------

    [Fact]
    public void ImageFolderSortsClassesAndFilesAndFeedsTheDataLoader()
    {
        var root = Path.Combine(_dir, "folder");
        WritePng("folder/b/2.png", Pixels(6, 8, 3, 4), 6, 8, 3);
        WritePng("folder/b/1.PNG", Pixels(6, 8, 3, 5), 6, 8, 3);
        WritePng("folder/a/x.png", Pixels(6, 8, 1, 6), 6, 8, 1);
        WritePng("folder/a/sub/y.png", Pixels(6, 8, 3, 7), 6, 8, 3);
        WritePng("folder/C/z.png", Pixels(6, 8, 3, 8), 6, 8, 3);
        File.WriteAllText(Path.Combine(root, "a", "notes.txt"), "not an image: skipped");

        var ds = new ImageFolder(root);
        Assert.Equal(["C", "a", "b"], ds.Classes);   // code-point order, as Python's sorted
        Assert.Equal(5, ds.Count);
        Assert.Equal(new[] { 0, 1, 1, 2, 2 }, ds.Labels);
        Assert.Equal(["z.png", "x.png", "y.png", "1.PNG", "2.png"], ds.Samples.Select(s => Path.GetFileName(s.Path)));
        var (x, y) = ds[1];
        Assert.Equal(new Shape(3, 6, 8), x.Shape);   // grey file read as RGB
        Assert.Equal(1, y);

        var loader = new DataLoader(Dataset.Transform(ds, new Resize(4, 4)), batchSize: 2, prefetch: 0);
        var batches = loader.ToList();
        Assert.Equal(3, batches.Count);
        Assert.Equal(new Shape(2, 3, 4, 4), batches[0].x.Shape);
        Assert.Equal(new[] { 0, 1 }, batches[0].y.ToIntArray());
        Assert.Equal(ds.Labels, Dataset.Labels(Dataset.Transform(ds, new Resize(4, 4))));
    }

    [Fact]
    public void ImageFolderErrorsNameTheFolderOrFile()
    {
        var root = Path.Combine(_dir, "bad");
        Directory.CreateDirectory(root);
        Assert.Contains("no sub-folders", Assert.Throws<InvalidDataException>(() => new ImageFolder(root)).Message);
        WritePng("bad/ok/1.png", Pixels(2, 2, 3, 9), 2, 2, 3);
        Directory.CreateDirectory(Path.Combine(root, "none"));
        Assert.Contains("'none'", Assert.Throws<InvalidDataException>(() => new ImageFolder(root)).Message);
        Directory.Delete(Path.Combine(root, "none"));

        var broken = Path.Combine(root, "ok", "2.png");
        File.WriteAllText(broken, "garbage");
        var ds = new ImageFolder(root);
        Assert.Equal(new[] { 0, 0 }, Dataset.Labels(ds));   // labels come from the folders: nothing decoded
        Assert.Contains(broken, Assert.Throws<InvalidDataException>(() => ds[1]).Message);
        Assert.Throws<DirectoryNotFoundException>(() => new ImageFolder(Path.Combine(_dir, "nowhere")));
    }

    [Fact]
    public void TheReadmeImagingExampleRuns()
    {
        // The README's lines, on a JPEG and a two-class folder written here.
        using (var src = new SixLabors.ImageSharp.Image<Rgb24>(300, 260))
            SixLabors.ImageSharp.ImageExtensions.Save(src, Path.Combine(_dir, "cat.jpg"), new JpegEncoder());
        for (int i = 0; i < 3; i++)
        {
            WritePng($"pets/train/cat/{i}.png", Pixels(70, 90, 3, i), 70, 90, 3);
            WritePng($"pets/train/dog/{i}.png", Pixels(80, 64, 3, 10 + i), 80, 64, 3);
        }
        var x = Presets.ImageNetEval().Apply(ImageFile.Read(Path.Combine(_dir, "cat.jpg"))).ToTensor();
        var train = new ImageFolder(Path.Combine(_dir, "pets/train"), new Compose(new Resize(64), new CenterCrop(64), new RandomHorizontalFlip(), Normalize.ImageNet));
        var loader = new DataLoader(train, batchSize: 32, shuffle: true);
        Assert.Equal(new Shape(3, 224, 224), x.Shape);
        Assert.Equal(-0.485f / 0.229f, x.ToArray()[0], 4);   // a black image, normalized
        var (bx, by) = loader.First();
        Assert.Equal(new Shape(6, 3, 64, 64), bx.Shape);
        Assert.Equal(["cat", "dog"], train.Classes);
        Assert.Equal(3, by.ToIntArray().Count(v => v == 1));
    }

    [Fact]
    public void RandomlyDamagedPngsAndJpegsOnlyEverGiveInvalidData()
    {
        // Seeded mutations of a PNG and a JPEG: each decodes or is one InvalidDataException naming the file.
        var png = File.ReadAllBytes(WritePng("f.png", Pixels(24, 20, 3, 5), 24, 20, 3));
        var jpgPath = Path.Combine(_dir, "f.jpg");
        using (var src = new SixLabors.ImageSharp.Image<Rgb24>(24, 20))
            SixLabors.ImageSharp.ImageExtensions.Save(src, jpgPath, new JpegEncoder { Quality = 80 });
        var jpg = File.ReadAllBytes(jpgPath);
        var rng = new Random(99);
        int refused = 0;
        for (int i = 0; i < 300; i++)
        {
            var b = (byte[])(i % 2 == 0 ? png : jpg).Clone();
            for (int k = rng.Next(1, 6); k > 0; k--) b[rng.Next(b.Length)] = (byte)rng.Next(256);
            if (rng.Next(4) == 0) b = b[..rng.Next(1, b.Length)];
            try { ImageFile.Decode(b, $"mutant{i}"); }
            catch (InvalidDataException e) { Assert.Contains($"mutant{i}", e.Message); refused++; }
        }
        Assert.True(refused > 30, $"only {refused} of 300 mutations were refused");
    }
}
