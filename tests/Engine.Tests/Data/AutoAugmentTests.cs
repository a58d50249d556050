using Engine.Data;

namespace Engine.Tests.Data;

/// <summary>Each AutoAugment op on small known images (expected values worked by hand and checked against PIL 9.4).</summary>
public class AutoAugmentTests
{
    // 3x3 grey image a[y][x] = (3y + x) / 10.
    private static Image A() => new(1, 3, 3, [0f, .1f, .2f, .3f, .4f, .5f, .6f, .7f, .8f]);
    private static float[] Op(AugmentOp op, float m) => AugmentOps.Apply(A(), op, m).Data;
    private static void Near(float[] expect, float[] actual)
    {
        Assert.Equal(expect.Length, actual.Length);
        for (int i = 0; i < expect.Length; i++) Assert.True(MathF.Abs(expect[i] - actual[i]) < 1e-5f, $"index {i}: expected {expect[i]}, got {actual[i]}");
    }

    [Fact]
    public void Geometry()
    {
        const float F = 0f;   // fill
        // Rotate 90 counter-clockwise (PIL: Image.rotate(90) of [[0,1,2],[3,4,5],[6,7,8]] is [[2,5,8],[1,4,7],[0,3,6]]).
        Near([.2f, .5f, .8f, .1f, .4f, .7f, 0f, .3f, .6f], Op(AugmentOp.Rotate, 90));
        Near([.6f, .3f, 0f, .7f, .4f, .1f, .8f, .5f, .2f], Op(AugmentOp.Rotate, -90));
        Near(A().Data, Op(AugmentOp.Rotate, 0));
        // ShearX m: x_src = x + m (y - 1): row 0 moves right, row 2 left.
        Near([F, 0f, .1f, .3f, .4f, .5f, .7f, .8f, F], Op(AugmentOp.ShearX, 1));
        // ShearY m: y_src = y + m (x - 1): column 0 moves down, column 2 up.
        Near([F, .1f, .5f, 0f, .4f, .8f, .3f, .7f, F], Op(AugmentOp.ShearY, 1));
        // Translate by whole pixels (positive: right / down), fill where nothing comes in.
        Near([F, 0f, .1f, F, .3f, .4f, F, .6f, .7f], Op(AugmentOp.TranslateX, 1));
        Near([.1f, .2f, F, .4f, .5f, F, .7f, .8f, F], Op(AugmentOp.TranslateX, -1));
        Near([F, F, F, 0f, .1f, .2f, .3f, .4f, .5f], Op(AugmentOp.TranslateY, 1.7f));   // truncated to 1 pixel
        Near([.5f, .5f, .5f, 0f, .1f, .2f, .3f, .4f, .5f], AugmentOps.Apply(A(), AugmentOp.TranslateY, 1, fill: .5f).Data);
    }

    [Fact]
    public void PointOps()
    {
        Near([1f, .9f, .8f, .7f, .6f, .5f, .4f, .3f, .2f], Op(AugmentOp.Invert, 0));
        Near([0f, .1f, .2f, .3f, .4f, .5f, .4f, .3f, .2f], Op(AugmentOp.Solarize, .5f));   // x >= 0.5 -> 1 - x
        Near(A().Data.Select(v => v / .8f).ToArray(), Op(AugmentOp.AutoContrast, 0));
        Near([0f, .15f, .3f, .45f, .6f, .75f, .9f, 1f, 1f], Op(AugmentOp.Brightness, .5f));   // factor 1.5, clamped
        Near(A().Data.Select(v => .5f * v + .2f).ToArray(), Op(AugmentOp.Contrast, -.5f));   // factor 0.5 around the mean 0.4
        Near(A().Data, Op(AugmentOp.Color, .9f));                                             // identity on one channel
        // Posterize to 2 bits keeps the top two bits of the 8-bit level.
        int[] levels = [0, 63, 64, 127, 128, 191, 192, 255, 100];
        var p = AugmentOps.Posterize(new Image(1, 3, 3, levels.Select(l => l / 255f).ToArray()), 2);
        Near(new[] { 0, 0, 64, 64, 128, 128, 192, 192, 64 }.Select(l => l / 255f).ToArray(), p.Data);
        Assert.Equal(levels.Select(l => l / 255f), AugmentOps.Posterize(new Image(1, 3, 3, levels.Select(l => l / 255f).ToArray()), 8).Data);
    }

    [Fact]
    public void ColorMixesWithLuminanceOnRgb()
    {
        var red = new Image(3, 1, 1, [1f, 0f, 0f]);
        Near([.299f, .299f, .299f], AugmentOps.Color(red, 0f).Data);
        var half = AugmentOps.Color(new Image(3, 1, 1, [1f, 0f, 0f]), .5f);
        Near([.6495f, .1495f, .1495f], half.Data);
        // Contrast on RGB blends with the mean luminance.
        var c = AugmentOps.Contrast(new Image(3, 1, 2, [1f, 0f, 0f, 0f, 0f, 0f]), 0f);
        Near(Enumerable.Repeat(.1495f, 6).ToArray(), c.Data);
    }

    [Fact]
    public void EqualizeMatchesPil()
    {
        // 1024 pixels: 512 at level 10, 256 at 20, 256 at 30. step = (1024 - 256) / 255 = 3,
        // lut[10] = 1/3 = 0, lut[20] = 513/3 = 171, lut[30] = min(255, 769/3). PIL gives 0, 171, 255.
        var data = Enumerable.Repeat(10 / 255f, 512).Concat(Enumerable.Repeat(20 / 255f, 256)).Concat(Enumerable.Repeat(30 / 255f, 256)).ToArray();
        var r = AugmentOps.Equalize(new Image(1, 32, 32, data));
        Assert.Equal(new[] { 0f, 171 / 255f, 1f }, r.Data.Distinct().Order());
        Assert.Equal(512, r.Data.Count(v => v == 0));
        // Too few pixels for a step: unchanged.
        Near(A().Data, Op(AugmentOp.Equalize, 0));
    }

    [Fact]
    public void SharpnessBlendsWithPilSmoothKernel()
    {
        var dot = new float[9]; dot[4] = 1;
        // factor 0 is the smoothed image: interior (5 * 1) / 13, border kept (PIL: 98 of 255 at the centre).
        var s0 = AugmentOps.Sharpness(new Image(1, 3, 3, (float[])dot.Clone()), 0f);
        Near([0, 0, 0, 0, 5 / 13f, 0, 0, 0, 0], s0.Data);
        var s = AugmentOps.Apply(new Image(1, 3, 3, (float[])dot.Clone()), AugmentOp.Sharpness, -.5f);   // factor 0.5
        Assert.Equal(.5f + .5f * 5 / 13f, s.Data[4], 5);
        Near(dot, AugmentOps.Sharpness(new Image(1, 3, 3, (float[])dot.Clone()), 1f).Data);
    }

    [Fact]
    public void PoliciesAndMagnitudesAreThePublishedOnes()
    {
        foreach (var p in Enum.GetValues<AutoAugmentPolicy>())
        {
            var sub = AutoAugmentPolicies.Get(p);
            Assert.Equal(25, sub.Count);
            foreach (var (a, b) in sub)
                foreach (var s in new[] { a, b })
                {
                    Assert.InRange(s.Probability, 0, 1);
                    bool hasMagnitude = s.Op is not (AugmentOp.AutoContrast or AugmentOp.Equalize or AugmentOp.Invert);
                    Assert.Equal(hasMagnitude, s.Bin.HasValue);
                    if (s.Bin is int bin) Assert.InRange(bin, 0, 9);
                }
        }
        Assert.Equal(new PolicyStep(AugmentOp.Posterize, 0.4, 8), AutoAugmentPolicies.ImageNet[0].Item1);
        Assert.Equal(new PolicyStep(AugmentOp.TranslateY, 0.7, 9), AutoAugmentPolicies.Cifar10[24].Item1);
        Assert.Equal(new PolicyStep(AugmentOp.Invert, 0.1, null), AutoAugmentPolicies.Svhn[24].Item2);
        Assert.Equal(0.3f, AutoAugment.Magnitude(AugmentOp.ShearX, 9, 32, 32), 6);
        Assert.Equal(150f / 331 * 32 * 4 / 9, AutoAugment.Magnitude(AugmentOp.TranslateX, 4, 28, 32), 4);
        Assert.Equal(30f, AutoAugment.Magnitude(AugmentOp.Rotate, 9, 8, 8), 6);
        Assert.Equal(new[] { 8f, 8, 7, 7, 6, 6, 5, 5, 4, 4 }, Enumerable.Range(0, 10).Select(i => AutoAugment.Magnitude(AugmentOp.Posterize, i, 8, 8)));
        Assert.Equal(1f, AutoAugment.Magnitude(AugmentOp.Solarize, 0, 8, 8));
        Assert.Equal(0f, AutoAugment.Magnitude(AugmentOp.Solarize, 9, 8, 8), 6);
    }

    [Fact]
    public void AutoAugmentIsSeededAndStaysInRange()
    {
        var src = new Generator(3);
        var imgs = Enumerable.Range(0, 40).Select(_ => new Image(3, 8, 8, Enumerable.Range(0, 192).Select(_ => src.NextFloat()).ToArray())).ToArray();
        foreach (var p in Enum.GetValues<AutoAugmentPolicy>())
        {
            var a = new AutoAugment(p, generator: new Generator(1));
            var b = new AutoAugment(p, generator: new Generator(1));
            var used = new HashSet<int>();
            for (int i = 0; i < imgs.Length; i++)
            {
                var ra = a.Apply(imgs[i].Clone()); var rb = b.Apply(imgs[i].Clone());
                Assert.Equal(ra.Data, rb.Data);
                Assert.All(ra.Data, v => Assert.InRange(v, 0f, 1f));
                used.Add(a.LastSubPolicy);
            }
            Assert.True(used.Count > 15, $"{p}: only {used.Count} sub-policies chosen in 40 draws");
        }
        // On Fashion-MNIST-like 1-channel images too (Color is the identity there).
        var grey = new AutoAugment(AutoAugmentPolicy.ImageNet, generator: new Generator(2));
        for (int i = 0; i < 50; i++) Assert.Equal(784, grey.Apply(new Image(1, 28, 28)).Data.Length);
    }
}
