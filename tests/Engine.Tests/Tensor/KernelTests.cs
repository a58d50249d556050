using Engine.Tests.TestUtil;

namespace Engine.Tests.Tensors;

/// <summary>
/// The fast CPU kernels (coalesced runs, Vector256 bodies with scalar tails, Parallel.For splits above
/// 32768 elements) against naive float64 references, on sizes that take each path.
/// </summary>
public class KernelTests
{
    private static float[] Values(int n, int seed = 3) => GradCheck.Values(n, -3f, 3f, seed);

    [Theory]
    [InlineData(7)]          // scalar tail only
    [InlineData(8)]          // one vector
    [InlineData(70001)]      // one long run split across cores, with a tail
    public void ElementwiseContiguous(int n)
    {
        var a = Values(n, 1); var b = Values(n, 2);
        var ta = Tensor.FromArray(a); var tb = Tensor.FromArray(b);
        Approx.Equal(a.Zip(b, (p, q) => p * q + 0f).ToArray(), ta.Mul(tb).ToArray(), 0, 0, "mul");
        Approx.Equal(a.Select(v => (double)MathF.Exp(v)).ToList(), ta.Exp().ToArray(), 2e-6, 0, "exp");
        Approx.Equal(a.Select(v => Math.Tanh(v)).ToList(), ta.Tanh().ToArray(), 1e-5, 1e-6, "tanh");
        Approx.Equal(a.Select(v => 1 / (1 + Math.Exp(-v))).ToList(), ta.Sigmoid().ToArray(), 1e-5, 1e-7, "sigmoid");
        Approx.Equal(a.Select(v => v > 0 ? v : 0f).ToArray(), ta.Relu().ToArray(), 0, 0, "relu");
        Approx.Equal(a.Select(v => Math.Log(Math.Abs(v) + 0.5)).ToList(), ta.Abs().Add(0.5f).Log().ToArray(), 1e-5, 1e-6, "log");
    }

    [Fact]
    public void ElementwiseStridedAndBroadcastLarge()
    {
        // [300, 250] transposed (every inner run strided) plus a row broadcast: 75000 elements, parallel over runs
        var a = Tensor.FromArray(Values(300 * 250, 4), 300, 250).T;
        var b = Tensor.FromArray(Values(300, 5), 1, 300);
        var y = a.Sub(b);
        Approx.Equal(Naive.Zip(a.Contiguous().ToArray(), a.Shape, b.ToArray(), b.Shape, y.Shape, (p, q) => p - q), y.ToArray(), 0, 0, "strided sub");
        var z = a.Contiguous();
        z.Mul_(2f);
        Approx.Equal(a.ToArray().Select(v => v * 2).ToArray(), z.ToArray(), 0, 0, "in-place affine");
    }

    public static TheoryData<int[], int[]> ReduceCases() => new()
    {
        { [512, 100], [1] }, { [512, 100], [0] }, { [64, 100, 8], [1] }, { [64, 100, 8], [0, 2] }, { [64, 100, 8], [0, 1, 2] },
        { [3, 1, 5], [1] }, { [1, 1], [0, 1] }, { [5], [0] }, { [40, 30, 30], [2] },
    };

    [Theory]
    [MemberData(nameof(ReduceCases))]
    public void ReductionsMatchFloat64(int[] shape, int[] dims)
    {
        var xv = Values(Shape.Wrap(shape).Numel, 6);
        var x = Tensor.FromArray(xv, shape);
        var keep = shape.Select((s, d) => dims.Contains(d) ? 1 : s).ToArray();
        var sum = new double[Shape.Wrap(keep).Numel];
        var max = Enumerable.Repeat(double.NegativeInfinity, sum.Length).ToArray();
        var min = Enumerable.Repeat(double.PositiveInfinity, sum.Length).ToArray();
        var idx = new int[shape.Length];
        for (int i = 0; i < xv.Length; i++)
        {
            int o = Naive.BroadcastFlat(idx, Shape.Wrap(keep));
            sum[o] += xv[i]; max[o] = Math.Max(max[o], xv[i]); min[o] = Math.Min(min[o], xv[i]);
            Naive.Next(idx, Shape.Wrap(shape));
        }
        int count = dims.Aggregate(1, (p, d) => p * shape[d]);
        // float32 summation error grows like sqrt(count) ulps of the partial sums
        Approx.Equal(sum, x.Sum(dims, keepDim: true).ToArray(), 1e-5, 1e-5 * Math.Sqrt(count) * 3, $"sum {Shape.Format(shape)} over {Shape.Format(dims)}");
        Approx.Equal(max, x.Max(dims, keepDim: true).ToArray(), 0, 0, "max");
        Approx.Equal(min, x.Min(dims, keepDim: true).ToArray(), 0, 0, "min");
        // the same through a non-contiguous view of the same values
        var p = Tensor.FromArray(xv, shape).Permute(Enumerable.Range(0, shape.Length).Reverse().ToArray()).Contiguous()
            .Permute(Enumerable.Range(0, shape.Length).Reverse().ToArray());
        Approx.Equal(max, p.Max(dims, keepDim: true).ToArray(), 0, 0, "max of strided");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void SoftmaxLargeMatchesFloat64(int dim)
    {
        int r = 200, c = 300;
        var xv = Values(r * c, 8).Select(v => v * 5).ToArray();
        var x = Tensor.FromArray(xv, r, c);
        var y = x.Softmax(dim).ToArray();
        var ly = x.LogSoftmax(dim).ToArray();
        int outer = dim == 1 ? r : c, n = dim == 1 ? c : r;
        var expected = new double[xv.Length]; var logExpected = new double[xv.Length];
        for (int o = 0; o < outer; o++)
        {
            int At(int i) => dim == 1 ? o * c + i : i * c + o;
            double m = Enumerable.Range(0, n).Max(i => (double)xv[At(i)]);
            double s = Enumerable.Range(0, n).Sum(i => Math.Exp(xv[At(i)] - m));
            for (int i = 0; i < n; i++) { expected[At(i)] = Math.Exp(xv[At(i)] - m) / s; logExpected[At(i)] = xv[At(i)] - m - Math.Log(s); }
        }
        Approx.Equal(expected, y, 1e-5, 1e-9, $"softmax dim {dim}");
        Approx.Equal(logExpected, ly, 1e-5, 1e-5, $"log_softmax dim {dim}");
    }

    [Fact]
    public void SoftmaxAtExtremeLogitsHasNoNaN()
    {
        var x = Tensor.FromArray([1e4f, -1e4f, 0, -1e4f, -1e4f, -1e4f, 3e38f, -3e38f, 1], 3, 3).RequiresGrad_();
        var ls = x.LogSoftmax(-1);
        var s = x.Softmax(-1);
        Assert.All(ls.ToArray(), v => Assert.False(float.IsNaN(v)));
        Assert.All(s.ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.Equal([1f, 0, 0], s.ToArray().Take(3));
        ls.Sum().Backward();
        Assert.All(x.Grad!.ToArray(), v => Assert.True(float.IsFinite(v), $"gradient {v}"));
    }
}
