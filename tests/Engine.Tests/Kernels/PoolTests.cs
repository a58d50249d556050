using Engine.Kernels.Cpu;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Engine.Tests.Kernels;

// The 2x2 stride-2 pooling kernels against the generic loops, on planes with ties, NaNs and odd sizes.
public class PoolTests
{
    private static readonly Pool2dArgs Two = new(2, 2, 2, 2);

    /// <summary>Small integers (many ties inside a window) and the odd NaN.</summary>
    private static float[] Values(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => r.Next(40) == 0 ? float.NaN : r.Next(-3, 4)).ToArray();
    }

    [Property(MaxTest = 80)]
    public Property MaxPoolMatchesGeneric() =>
        Prop.ForAll(Gen.Choose(1, 3).ToArbitrary(), Gen.Choose(2, 21).ToArbitrary(), Gen.Choose(2, 40).ToArbitrary(), (planes, h, w) =>
        {
            var xs = Values(planes * h * w, planes * 1000 + h * 50 + w);
            int P = h / 2, Q = w / 2;
            var ys = new float[planes * P * Q]; var ids = new int[ys.Length];
            CpuBackend.MaxPoolGeneric(xs, 0, ys, ids, planes, h, w, P, Q, Two);
            // At every width: rows shorter than a vector, and the tails past the last whole vector, take the padded path.
            foreach (var level in CpuSettings.SupportedLevels)
                using (CpuSettings.UseSimd(level))
                {
                    var y = CpuBackend.Instance.MaxPool2d(Tensor.FromArray(xs, 1, planes, h, w), Two, out var idx);
                    Assert.Equal(ys, y.ToArray()); // NaN equals NaN in Assert.Equal for floats
                    Assert.Equal(ids, idx.ToIntArray());
                }
        });

    [Property(MaxTest = 60)]
    public Property AvgPoolForwardAndBackward() =>
        Prop.ForAll(Gen.Choose(1, 3).ToArbitrary(), Gen.Choose(2, 21).ToArbitrary(), Gen.Choose(2, 40).ToArbitrary(), (planes, h, w) =>
        {
            var be = CpuBackend.Instance;
            var xs = KernelAssert.Random(planes * h * w, h * 100 + w);
            int P = h / 2, Q = w / 2;
            var want = new float[planes * P * Q];
            for (int c = 0; c < planes; c++)
                for (int p = 0; p < P; p++)
                    for (int q = 0; q < Q; q++)
                    {
                        int o = (c * h + 2 * p) * w + 2 * q;
                        want[(c * P + p) * Q + q] = (xs[o] + xs[o + 1] + xs[o + w] + xs[o + w + 1]) / 4;
                    }
            KernelAssert.Close(want, be.AvgPool2d(Tensor.FromArray(xs, planes, 1, h, w), Two).ToArray(), 1e-6f, "avg pool");

            var dy = KernelAssert.Random(planes * P * Q, w);
            var dx = be.AvgPool2dBackward(Tensor.FromArray(dy, planes, 1, P, Q), Shape.Wrap([planes, 1, h, w]), Two).ToArray();
            var dxWant = new float[xs.Length];
            for (int c = 0; c < planes; c++)
                for (int p = 0; p < P; p++)
                    for (int q = 0; q < Q; q++)
                    {
                        int o = (c * h + 2 * p) * w + 2 * q; float g = dy[(c * P + p) * Q + q] / 4;
                        dxWant[o] = g; dxWant[o + 1] = g; dxWant[o + w] = g; dxWant[o + w + 1] = g;
                    }
            KernelAssert.Close(dxWant, dx, 1e-6f, "avg pool backward");
        });
}
