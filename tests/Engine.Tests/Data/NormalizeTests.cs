using Engine.Data;

namespace Engine.Tests.Data;

public class NormalizeTests
{
    // 2 channels of 3x1 pixels, 4 samples: channel 0 around 10, channel 1 around -5.
    private static TensorDataset Train()
    {
        var g = new Generator(1);
        var x = new float[4 * 2 * 3];
        for (int n = 0; n < 4; n++)
            for (int c = 0; c < 2; c++)
                for (int p = 0; p < 3; p++) x[(n * 2 + c) * 3 + p] = (c == 0 ? 10f : -5f) + (c + 1) * (float)g.NextGaussian();
        return new TensorDataset(x, [0, 1, 0, 1], 2, 3, 1);
    }

    private static (double mean, double std) Naive(TensorDataset ds, int c)
    {
        var v = Enumerable.Range(0, ds.Count).SelectMany(n => Enumerable.Range(0, 3).Select(p => (double)ds.Data[(n * 2 + c) * 3 + p])).ToArray();
        double m = v.Average();
        return (m, Math.Sqrt(v.Select(a => (a - m) * (a - m)).Average()));
    }

    [Fact]
    public void StandardizeFitsPerChannelStatistics()
    {
        var train = Train();
        var s = Standardize.Fit(train);
        for (int c = 0; c < 2; c++)
        {
            var (m, sd) = Naive(train, c);
            Assert.Equal(m, s.Mean[c], 4);
            Assert.Equal(sd, s.Std[c], 4);
        }
        var z = s.Apply(train);
        for (int c = 0; c < 2; c++)
        {
            var (m, sd) = Naive(z, c);
            Assert.Equal(0, m, 5);
            Assert.Equal(1, sd, 4);
        }
    }

    [Fact]
    public void ValidationUsesTheTrainingStatisticsUnchanged()
    {
        var train = Train();
        var s = Standardize.Fit(train);
        var valid = new TensorDataset(Enumerable.Repeat(100f, 6).ToArray(), [0], 2, 3, 1);
        var v = s.Apply(valid);
        Assert.Equal((100 - s.Mean[0]) / s.Std[0], v.Data[0], 4);
        Assert.Equal((100 - s.Mean[1]) / s.Std[1], v.Data[3], 4);
        // The per-sample transform (for a pipeline) agrees with the dataset path.
        var t = s.Apply(valid[0].x).ToArray();
        Assert.Equal(v.Data, t);
    }

    [Fact]
    public void MinMaxMapsTrainingRangeOntoMinusOneOne()
    {
        var train = Train();
        var mm = MinMaxScale.Fit(train);
        var z = mm.Apply(train);
        for (int c = 0; c < 2; c++)
        {
            var v = Enumerable.Range(0, 4).SelectMany(n => z.Data.Skip((n * 2 + c) * 3).Take(3)).ToArray();
            Assert.Equal(-1f, v.Min(), 5);
            Assert.Equal(1f, v.Max(), 5);
        }
        // Outside the training range stays affine (no clipping): max + range maps to 3.
        float range = mm.Max[0] - mm.Min[0];
        var img = new Image(2, 1, 1, [mm.Max[0] + range, mm.Min[1]]);
        mm.Apply(img);
        Assert.Equal(3f, img.Data[0], 4);
        Assert.Equal(-1f, img.Data[1], 5);
    }

    [Fact]
    public void ConstantChannelAndChannelMismatch()
    {
        var ds = new TensorDataset([2f, 2f, 2f, 2f], [0, 0], 1, 2);
        var s = Standardize.Fit(ds);
        Assert.Equal(0f, s.Std[0]);
        Assert.All(s.Apply(ds).Data, v => Assert.Equal(0f, v));
        Assert.All(MinMaxScale.Fit(ds).Apply(ds).Data, v => Assert.Equal(0f, v));
        Assert.Throws<ShapeException>(() => s.Apply(new Image(3, 2, 2)));
    }
}
