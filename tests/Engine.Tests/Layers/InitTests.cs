namespace Engine.Tests.Layers;

/// <summary>Initializers: bounds, mean, std and orthogonality on large tensors; PyTorch's defaults per layer.</summary>
[Collection(SerialGenerator.Name)]
public class InitTests
{
    private static (double mean, double std, double min, double max) Stats(Tensor t)
    {
        var v = t.ToArray().Select(x => (double)x).ToArray();
        double m = v.Average();
        return (m, Math.Sqrt(v.Select(x => (x - m) * (x - m)).Average()), v.Min(), v.Max());
    }

    [Theory]
    [InlineData("linear", null, 1.0)]
    [InlineData("conv2d", null, 1.0)]
    [InlineData("sigmoid", null, 1.0)]
    [InlineData("tanh", null, 5.0 / 3)]
    [InlineData("relu", null, 1.4142135623730951)]
    [InlineData("leaky_relu", null, 1.4141428569978354)]   // sqrt(2 / (1 + 0.01^2))
    [InlineData("leaky_relu", 2.23606797749979, 0.5773502691896258)]   // a = sqrt 5: sqrt(1/3)
    [InlineData("selu", null, 0.75)]
    public void GainsMatchCalculateGain(string nl, double? param, double expected) => Assert.Equal(expected, Init.CalculateGain(nl, param), 12);

    [Fact]
    public void UniformAndNormalFamilies()
    {
        Seed.Everything(11);
        var w = Tensor.Zeros(256, 128, 3, 3);                      // fanIn 1152, fanOut 2304
        double fi = 1152, fo = 2304;

        var s = Stats(Init.KaimingUniform(w, nonlinearity: "relu"));
        double b = Math.Sqrt(2) * Math.Sqrt(3 / fi);
        Assert.InRange(s.max, b * 0.99, b); Assert.InRange(s.min, -b, -b * 0.99);
        Assert.InRange(s.std, b / Math.Sqrt(3) * 0.99, b / Math.Sqrt(3) * 1.01);
        double se = 5 / Math.Sqrt(w.Numel);                   // 5 standard errors of the mean
        Assert.InRange(s.mean, -se * s.std, se * s.std);

        s = Stats(Init.KaimingNormal(w, mode: FanMode.FanOut, nonlinearity: "relu"));
        Assert.InRange(s.std, Math.Sqrt(2 / fo) * 0.99, Math.Sqrt(2 / fo) * 1.01);

        s = Stats(Init.XavierUniform(w, gain: 2));
        b = 2 * Math.Sqrt(6 / (fi + fo));
        Assert.InRange(s.max, b * 0.99, b);
        Assert.InRange(s.std, b / Math.Sqrt(3) * 0.99, b / Math.Sqrt(3) * 1.01);

        s = Stats(Init.XavierNormal(w));
        Assert.InRange(s.std, Math.Sqrt(2 / (fi + fo)) * 0.99, Math.Sqrt(2 / (fi + fo)) * 1.01);
        Assert.InRange(s.mean, -se * s.std, se * s.std);

        Assert.All(Init.Constant(Tensor.Zeros(3, 2), 0.5f).ToArray(), v => Assert.Equal(0.5f, v));
        Assert.All(Init.Zeros(Tensor.Ones(3, 2)).ToArray(), v => Assert.Equal(0f, v));
        Assert.Throws<ShapeException>(() => Init.XavierUniform(Tensor.Zeros(5)));
    }

    [Theory]
    [InlineData(8, 20)]     // wide: rows orthonormal
    [InlineData(20, 8)]     // tall: columns orthonormal
    [InlineData(6, 2 * 3)]
    public void OrthogonalIsOrthogonal(int rows, int cols)
    {
        Seed.Everything(5);
        var w = Init.Orthogonal(Tensor.Zeros(rows, cols), gain: 2);
        var g = rows <= cols ? w.Matmul(w.T) : w.T.Matmul(w);      // = gain^2 I
        int n = Math.Min(rows, cols);
        var v = g.ToArray();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                Assert.Equal(i == j ? 4f : 0f, v[i * n + j], 4);
    }

    [Fact]
    public void LayerDefaultsMatchPyTorch()
    {
        Seed.Everything(3);
        var lin = new Linear(400, 300);
        double b = 1 / Math.Sqrt(400);                             // kaiming_uniform(a = sqrt 5): gain sqrt(1/3) * sqrt(3/fanIn)
        var s = Stats(lin.Weight);
        Assert.InRange(s.max, b * 0.99, b); Assert.InRange(s.min, -b, -b * 0.99);
        Assert.InRange(s.std, b / Math.Sqrt(3) * 0.98, b / Math.Sqrt(3) * 1.02);
        s = Stats(lin.Bias!);
        Assert.InRange(s.max, b * 0.9, b); Assert.InRange(s.min, -b, -b * 0.9);

        var conv = new Conv2d(16, 32, 3, groups: 4);                // fanIn = 16/4 * 9 = 36
        b = 1 / 6.0;
        s = Stats(conv.Weight);
        Assert.InRange(s.max, b * 0.98, b); Assert.InRange(s.std, b / Math.Sqrt(3) * 0.95, b / Math.Sqrt(3) * 1.05);
        Assert.InRange(Stats(conv.Bias!).max, b * 0.8, b);

        var lstm = new LSTM(10, 64);
        b = 1 / 8.0;
        foreach (var p in lstm.Parameters()) { s = Stats(p); Assert.InRange(s.max, b * 0.9, b); Assert.InRange(s.min, -b, -b * 0.9); }

        var emb = new Embedding(1000, 50, paddingIdx: 7);
        s = Stats(emb.Weight);
        Assert.InRange(s.std, 0.98, 1.02);
        Assert.All(emb.Weight.Narrow(0, 7, 1).ToArray(), v => Assert.Equal(0f, v));

        var bn = new BatchNorm2d(4);
        Assert.All(bn.Weight!.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(bn.Bias!.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(bn.RunningVar!.ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void SameSeedSameWeights()
    {
        Seed.Everything(42); var a = new Linear(5, 4).Weight.ToArray();
        Seed.Everything(42); var b = new Linear(5, 4).Weight.ToArray();
        Seed.Everything(43); var c = new Linear(5, 4).Weight.ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }
}
