using Engine.Tests.Layers;
using Engine.Tests.TestUtil;

namespace Engine.Tests.Backends;

// A backend that implements IBackend alone (ForwardOnlyBackend) passes the op tests and the layer tests against
// PyTorch: autograd composes the gradients of conv2d (as convolutions), of max and average pooling (scatter-add,
// strided views) and the LSTM/GRU cells (from sigmoid, tanh and products) where a backend has no IFusedKernels.
[Collection(SerialGenerator.Name)]
public class ForwardOnlyBackendTests
{
    private static Device Dev => ForwardOnlyBackend.Device;

    [Fact]
    public void TheBackendHasNoFusedKernels()
    {
        Assert.IsNotAssignableFrom<IFusedKernels>(Dev.Backend);
        Assert.IsAssignableFrom<IFusedKernels>(Device.Cpu.Backend);
    }

    public static TheoryData<string> OpCases() => new(TestUtil.Fixtures.Ops.Keys.Order());

    [Theory]
    [MemberData(nameof(OpCases))]
    public void EveryOpMatchesPyTorch(string name)
    {
        var c = TestUtil.Fixtures.Ops[name];
        using var _ = Tensor.Scope();
        var xs = c.Inputs.Select(i => LayerFixtureTests.OnDevice(i.ToTensor(), Dev).RequiresGrad_()).ToArray();
        var y = Engine.Tests.Autograd.OpTable.Run(c, xs);
        Assert.Equal(Dev, y.Device);
        Approx.Equal(c.Out.Shape, c.Out.Data, y, rtol: 2e-5, atol: 2e-5, what: $"{name} forward on {Dev}");
        y.Backward(LayerFixtureTests.OnDevice(new FixtureTensor(c.Out.Shape, c.Upstream).ToTensor(), Dev));
        for (int k = 0; k < xs.Length; k++)
        {
            var grad = xs[k].Grad ?? throw new Xunit.Sdk.XunitException($"{name}: input {k} got no gradient");
            Approx.Equal(c.Grads[k].Shape, c.Grads[k].Data, grad, rtol: 1e-4, atol: 5e-5, what: $"{name} gradient of input {k} on {Dev}");
        }
    }

    public static IEnumerable<object[]> LayerCases => LayerFixtureTests.Cases;

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void EveryLayerMatchesPyTorch(string name) => LayerFixtureTests.Check(name, Dev);

    [Fact]
    public void ComposedConvGradientsMatchTheFusedOnesOnStridedDilatedGroupedGeometries()
    {
        // conv geometries the layer fixtures do not reach: stride with a remainder row, padding beyond the kernel's
        // reach, depthwise with a multiplier, 1x1; gradients of the composed path against the CPU's kernels.
        var cases = new (int N, int C, int K, int H, int W, int R, int S, Conv2dArgs A)[]
        {
            (2, 4, 6, 9, 8, 3, 3, new Conv2dArgs(2, 2, 1, 1, 1, 1, 2)),
            (1, 3, 2, 7, 10, 3, 2, new Conv2dArgs(1, 3, 3, 0, 2, 1, 1)),
            (2, 3, 6, 8, 8, 3, 3, new Conv2dArgs(2, 1, 1, 1, 1, 2, 3)),
            (3, 2, 4, 5, 5, 1, 1, new Conv2dArgs()),
            (1, 2, 2, 6, 6, 5, 5, new Conv2dArgs(3, 3, 2, 2, 1, 1, 1)),
        };
        var g = new Generator(3);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)g.NextGaussian()).ToArray();
        foreach (var (N, C, K, H, W, R, S, a) in cases)
        {
            int Cg = C / a.Groups;
            var xv = Rand(N * C * H * W); var wv = Rand(K * Cg * R * S); var bv = Rand(K);
            float[][] Grads(Device d)
            {
                var x = Tensor.FromArray(xv, [N, C, H, W], d).RequiresGrad_();
                var w = Tensor.FromArray(wv, [K, Cg, R, S], d).RequiresGrad_();
                var b = Tensor.FromArray(bv, [K], d).RequiresGrad_();
                var y = x.Conv2d(w, b, a);
                y.Mul(y).Sum().Backward();
                return [y.ToArray(), x.Grad!.ToArray(), w.Grad!.ToArray(), b.Grad!.ToArray()];
            }
            var want = Grads(Device.Cpu); var got = Grads(Dev);
            string[] what = ["y", "dx", "dw", "db"];
            for (int i = 0; i < 4; i++) Engine.Tests.Layers.Close.Assert(want[i], got[i], $"{what[i]} of conv {a} x [{N},{C},{H},{W}] w [{K},{Cg},{R},{S}]", 1e-4f, 1e-4f);
        }
    }
}
