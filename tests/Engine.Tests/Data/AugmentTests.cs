using Engine.Data;

namespace Engine.Tests.Data;

public class AugmentTests
{
    /// <summary>[C,H,W] image with value c*100 + y*10 + x.</summary>
    private static Image Coded(int c, int h, int w)
    {
        var img = new Image(c, h, w);
        for (int k = 0; k < c; k++) for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img[k, y, x] = k * 100 + y * 10 + x;
        return img;
    }

    [Fact]
    public void FlipsMirrorExactlyAndPZeroIsIdentity()
    {
        var h = new RandomHorizontalFlip(1.0, new Generator(0)).Apply(Coded(2, 3, 4));
        var v = new RandomVerticalFlip(1.0, new Generator(0)).Apply(Coded(2, 3, 4));
        for (int c = 0; c < 2; c++) for (int y = 0; y < 3; y++) for (int x = 0; x < 4; x++)
        {
            Assert.Equal(c * 100 + y * 10 + (3 - x), h[c, y, x]);
            Assert.Equal(c * 100 + (2 - y) * 10 + x, v[c, y, x]);
        }
        Assert.Equal(Coded(2, 3, 4).Data, new RandomHorizontalFlip(0, new Generator(0)).Apply(Coded(2, 3, 4)).Data);
        // p = 0.5 flips about half of the time.
        var f = new RandomHorizontalFlip(0.5, new Generator(1));
        int flipped = Enumerable.Range(0, 1000).Count(_ => f.Apply(Coded(1, 1, 2))[0, 0, 0] == 1);
        Assert.InRange(flipped, 430, 570);
    }

    [Fact]
    public void RandomCropIsAWindowOfThePaddedImage()
    {
        var crop = new RandomCrop(4, 4, padding: 2, fill: -1f, generator: new Generator(3));
        var seen = new HashSet<(int, int)>();
        for (int t = 0; t < 300; t++)
        {
            var src = Coded(1, 4, 4);
            var r = crop.Apply(src);
            var (top, left) = crop.LastOffset;
            seen.Add((top, left));
            Assert.InRange(top, 0, 4); Assert.InRange(left, 0, 4);
            for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++)
            {
                int sy = top + y - 2, sx = left + x - 2;
                float expect = sy is >= 0 and < 4 && sx is >= 0 and < 4 ? sy * 10 + sx : -1f;
                Assert.Equal(expect, r[0, y, x]);
            }
        }
        Assert.Equal(25, seen.Count);   // every offset in [0,4]^2 occurs
        Assert.Throws<ShapeException>(() => new RandomCrop(9, 9, 2, 0, new Generator(0)).Apply(Coded(1, 4, 4)));
    }

    [Fact]
    public void BilinearMatchesPyTorchHalfPixelResize()
    {
        // torch.nn.functional.interpolate(tensor([[[[0.,1.],[2.,3.]]]]), size=(4,4), mode="bilinear", align_corners=False)
        var r = Bilinear.Resize(new Image(1, 2, 2, [0, 1, 2, 3]), 4, 4);
        float[] expect = [0, 0.25f, 0.75f, 1, 0.5f, 0.75f, 1.25f, 1.5f, 1.5f, 1.75f, 2.25f, 2.5f, 2, 2.25f, 2.75f, 3];
        for (int i = 0; i < 16; i++) Assert.Equal(expect[i], r.Data[i], 5);
        // Same size is the identity; downscaling by 2 averages pairs.
        var img = Coded(2, 4, 6);
        Assert.Equal(img.Data, Bilinear.Resize(img, 4, 6).Data);
        var half = Bilinear.Resize(new Image(1, 1, 4, [0, 2, 4, 6]), 1, 2);
        Assert.Equal(new[] { 1f, 5f }, half.Data);
    }

    [Fact]
    public void RandomResizedCropBoxesRespectScaleAndRatio()
    {
        var rrc = new RandomResizedCrop(8, 8, scale: (0.25, 0.75), ratio: (0.5, 2.0), generator: new Generator(4));
        for (int t = 0; t < 500; t++)
        {
            var (top, left, h, w) = rrc.SampleBox(40, 60);
            Assert.True(top >= 0 && left >= 0 && top + h <= 40 && left + w <= 60, $"box ({top},{left}) {h}x{w} leaves the image");
            // Rounding w and h moves the area by at most about (w + h) / 2 + 1/4 pixels.
            double slack = (w + h) / 2.0 + 1;
            Assert.InRange(h * w, 0.25 * 2400 - slack, 0.75 * 2400 + slack);
            Assert.InRange((double)w / h, 0.5 * (1 - 1.0 / h) - 0.05, 2.0 * (1 + 1.0 / h) + 0.05);
        }
        var r = rrc.Apply(Coded(3, 40, 60));
        Assert.Equal((3, 8, 8), (r.C, r.H, r.W));
        // A box of the whole image reproduces the resize of the whole image.
        var full = new RandomResizedCrop(20, 30, scale: (1, 1), ratio: (1.5, 1.5), generator: new Generator(0));
        var img = Coded(1, 20, 30);
        Assert.Equal(img.Data, full.Apply(img).Data);
        Assert.Equal((0, 0, 20, 30), full.LastBox);
        // No box can have ratio 2..3 and the full area of a square: the centred fallback clamps the ratio to 2.
        var fallback = new RandomResizedCrop(4, 4, scale: (1, 1), ratio: (2, 3), generator: new Generator(0));
        Assert.Equal((10, 0, 20, 40), fallback.SampleBox(40, 40));
    }

    [Fact]
    public void CutoutHolesHaveTheSizeAndOnlyTheHoleIsZero()
    {
        var cut = new Cutout(length: 4, holes: 1, generator: new Generator(8));
        bool sawFull = false, sawClipped = false;
        for (int t = 0; t < 400; t++)
        {
            var img = new Image(2, 10, 12); Array.Fill(img.Data, 1f);
            cut.Apply(img);
            var (y0, y1, x0, x1) = cut.LastHoles[0];
            Assert.True(y1 - y0 <= 4 && x1 - x0 <= 4);
            if (y1 - y0 == 4 && x1 - x0 == 4) sawFull = true; else sawClipped = true;
            for (int c = 0; c < 2; c++) for (int y = 0; y < 10; y++) for (int x = 0; x < 12; x++)
                Assert.Equal(y >= y0 && y < y1 && x >= x0 && x < x1 ? 0f : 1f, img[c, y, x]);
        }
        Assert.True(sawFull && sawClipped);
        var two = new Cutout(3, holes: 2, generator: new Generator(1));
        two.Apply(new Image(1, 8, 8));
        Assert.Equal(2, two.LastHoles.Count);
    }

    [Fact]
    public void RandomErasingAreaAndAspectWithinBounds()
    {
        var re = new RandomErasing(p: 1, sl: 0.05, sh: 0.3, r1: 0.4, generator: new Generator(2));
        int H = 32, W = 32;
        for (int t = 0; t < 500; t++)
        {
            var img = new Image(1, H, W); Array.Fill(img.Data, -5f);
            re.Apply(img);
            var (top, left, h, w) = re.LastRect!.Value;
            Assert.True(h < H && w < W && top + h <= H && left + w <= W);
            double slack = (w + h) / 2.0 + 1;
            Assert.InRange(h * w, 0.05 * H * W - slack, 0.3 * H * W + slack);
            Assert.InRange((double)h / w, 0.4 * (1 - 1.0 / w) - 0.1, 1 / 0.4 * (1 + 1.0 / w) + 0.1);
            // Inside: random values in [0, 1); outside untouched.
            for (int y = 0; y < H; y++) for (int x = 0; x < W; x++)
            {
                bool inside = y >= top && y < top + h && x >= left && x < left + w;
                if (inside) Assert.InRange(img[0, y, x], 0f, 1f); else Assert.Equal(-5f, img[0, y, x]);
            }
        }
        var never = new RandomErasing(p: 0, generator: new Generator(0));
        var z = new Image(1, 8, 8);
        never.Apply(z);
        Assert.Null(never.LastRect);
        // Mean fill writes the per-channel mean.
        var mean = new RandomErasing(p: 1, fill: EraseFill.Mean, mean: [0.25f, 0.75f], generator: new Generator(3));
        var two = new Image(2, 16, 16);
        mean.Apply(two);
        var (t0, l0, _, _) = mean.LastRect!.Value;
        Assert.Equal(0.25f, two[0, t0, l0]); Assert.Equal(0.75f, two[1, t0, l0]);
        // Normal fill: standard normal values (for standardized images).
        var normal = new RandomErasing(p: 1, sl: 0.3, sh: 0.4, fill: EraseFill.Normal, generator: new Generator(4));
        var big = new Image(1, 64, 64);
        normal.Apply(big);
        var (nt, nl, nh, nw) = normal.LastRect!.Value;
        var vals = Enumerable.Range(nt, nh).SelectMany(y => Enumerable.Range(nl, nw).Select(x => (double)big[0, y, x])).ToArray();
        Assert.InRange(vals.Average(), -0.1, 0.1);
        Assert.InRange(Math.Sqrt(vals.Select(v => v * v).Average()), 0.9, 1.1);
    }

    [Fact]
    public void RicapWeightsAreThePatchAreasAndLabelsMixByThem()
    {
        int B = 6, C = 2, H = 8, W = 10, K = 4;
        var x = new float[B * C * H * W];
        for (int b = 0; b < B; b++) for (int i = 0; i < C * H * W; i++) x[b * C * H * W + i] = b * 1000 + i;
        var labels = new[] { 0, 1, 2, 3, 0, 1 };
        var ricap = new Ricap(beta: 0.3, generator: new Generator(5));
        for (int trial = 0; trial < 20; trial++)
        {
            var r = ricap.Apply(Tensor.FromArray(x, B, C, H, W), Tensor.FromArray(labels, B), K);
            var (w, h) = r.Boundary;
            Assert.Equal(1f, r.Weights.Sum(), 5);
            Assert.Equal((float)w * h / (W * H), r.Weights[0], 6);
            Assert.Equal((float)(W - w) * (H - h) / (W * H), r.Weights[3], 6);
            var soft = r.SoftTargets.ToArray();
            var img = r.X.ToArray();
            int[] oy = [0, 0, h, h], ox = [0, w, 0, w], hs = [h, h, H - h, H - h], ws = [w, W - w, w, W - w];
            for (int b = 0; b < B; b++)
            {
                Assert.Equal(1f, soft.Skip(b * K).Take(K).Sum(), 5);
                var expect = new float[K];
                for (int k = 0; k < 4; k++) expect[labels[r.Sources[k][b]]] += r.Weights[k];
                for (int c = 0; c < K; c++) Assert.Equal(expect[c], soft[b * K + c], 6);
                // Every pixel of patch k comes from its source image at the crop offset.
                for (int k = 0; k < 4; k++)
                    for (int c = 0; c < C; c++) for (int yy = 0; yy < hs[k]; yy++) for (int xx = 0; xx < ws[k]; xx++)
                    {
                        int s = r.Sources[k][b];
                        float want = s * 1000 + (c * H + r.Crops[k].top + yy) * W + r.Crops[k].left + xx;
                        Assert.Equal(want, img[((b * C + c) * H + oy[k] + yy) * W + ox[k] + xx]);
                    }
            }
        }
    }

    [Fact]
    public void BetaSamplerHasTheRightMean()
    {
        var g = new Generator(12);
        double m1 = Enumerable.Range(0, 20000).Average(_ => Distributions.Beta(g, 0.3, 0.3));
        double m2 = Enumerable.Range(0, 20000).Average(_ => Distributions.Beta(g, 2, 6));
        Assert.InRange(m1, 0.49, 0.51 + 0.005);
        Assert.InRange(m2, 0.25 - 0.005, 0.25 + 0.005);
        // Beta(0.3, 0.3) is U-shaped: most mass near 0 and 1.
        int edges = Enumerable.Range(0, 10000).Count(_ => Distributions.Beta(g, 0.3, 0.3) is < 0.1 or > 0.9);
        Assert.InRange(edges, 5000, 6500);   // exact: 2 I_0.1(0.3, 0.3) = 0.575
    }

    [Fact]
    public void ComposeChainsInOrderAndTensorShapesArePreserved()
    {
        var t = Tensor.FromArray(Coded(1, 2, 3).Data, 2, 3);   // [H,W] stays [H,W]
        var r = new Compose(new RandomHorizontalFlip(1, new Generator(0)), new RandomVerticalFlip(1, new Generator(0))).Apply(t);
        Assert.Equal(new[] { 2, 3 }, r.Shape.ToArray());
        Assert.Equal(new[] { 12f, 11, 10, 2, 1, 0 }, r.ToArray());
        var batch = new RandomCrop(2, 2, 0, 0, new Generator(1)).ApplyBatch(Tensor.Zeros(3, 1, 4, 4));
        Assert.Equal(new[] { 3, 1, 2, 2 }, batch.Shape.ToArray());
    }
}
