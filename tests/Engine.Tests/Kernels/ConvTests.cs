using Engine.Kernels.Cpu;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Engine.Tests.Kernels;

// The CPU backend's conv kernels (im2col + packed GEMM, direct depthwise) against ConvNaive,
// forward and both backward passes, on random geometries.
public class ConvTests
{
    public sealed record Case(int N, int G, int Cg, int Kg, int H, int W, int R, int S, int Sh, int Sw, int Ph, int Pw, int Dh, int Dw, bool Bias)
    {
        public Conv2dArgs Args => new(Sh, Sw, Ph, Pw, Dh, Dw, G);
        public int C => G * Cg;
        public int K => G * Kg;
        // The dilated kernel must fit in the padded input (PyTorch's rule; C#'s truncating division would say 1 output).
        public bool Valid => H + 2 * Ph >= Dh * (R - 1) + 1 && W + 2 * Pw >= Dw * (S - 1) + 1;
        public override string ToString() => $"x[{N},{C},{H},{W}] w[{K},{Cg},{R},{S}] stride {Sh}x{Sw} pad {Ph}x{Pw} dil {Dh}x{Dw} groups {G} bias {Bias}";
    }

    /// <summary>Random geometries: batch, groups, channels per group and image side drawn from the given ranges;
    /// kernel 1-3, padding 0-2, dilation 1-2 and bias either way.</summary>
    private static Gen<Case> Geometries(int maxN, int maxG, int maxCg, int maxKg, int minHw, int maxHw, int maxStride) =>
        (from n in Gen.Choose(1, maxN)
         from g in Gen.Choose(1, maxG)
         from cg in Gen.Choose(1, maxCg)
         from kg in Gen.Choose(1, maxKg)
         from h in Gen.Choose(minHw, maxHw)
         from w in Gen.Choose(minHw, maxHw)
         from r in Gen.Choose(1, 3)
         from s in Gen.Choose(1, 3)
         from sh in Gen.Choose(1, maxStride)
         from sw in Gen.Choose(1, maxStride)
         from ph in Gen.Choose(0, 2)
         from pw in Gen.Choose(0, 2)
         from dh in Gen.Choose(1, 2)
         from dw in Gen.Choose(1, 2)
         from bias in Gen.Elements(true, false)
         select new Case(n, g, cg, kg, h, w, r, s, sh, sw, ph, pw, dh, dw, bias)).Where(c => c.Valid);

    private static readonly Gen<Case> General = Geometries(maxN: 3, maxG: 3, maxCg: 4, maxKg: 4, minHw: 1, maxHw: 12, maxStride: 3);

    // Wide images and up to 40 channels per group: the flipped-kernel input gradient (>= 16 channels), several K blocks
    // (Cg*R*S > 256) starting mid-kernel, and GEMM panels that span output rows.
    private static readonly Gen<Case> Wide = Geometries(maxN: 2, maxG: 2, maxCg: 40, maxKg: 8, minHw: 14, maxHw: 40, maxStride: 2);

    // One input channel per group (the depthwise kernel), wide enough for the 8-lane paths; channel multiplier 1 or 2.
    private static readonly Gen<Case> DepthwiseCases =
        (from n in Gen.Choose(1, 2)
         from c in Gen.Choose(2, 5)
         from m in Gen.Choose(1, 2)
         from h in Gen.Choose(1, 20)
         from w in Gen.Choose(1, 20)
         from r in Gen.Choose(1, 5)
         from s in Gen.Choose(1, 5)
         from sh in Gen.Choose(1, 2)
         from sw in Gen.Choose(1, 2)
         from ph in Gen.Choose(0, 2)
         from pw in Gen.Choose(0, 2)
         from dh in Gen.Choose(1, 2)
         from dw in Gen.Choose(1, 2)
         from bias in Gen.Elements(true, false)
         select new Case(n, c, 1, m, h, w, r, s, sh, sw, ph, pw, dh, dw, bias)).Where(c => c.Valid);

    internal static void CheckAgainstNaive(Case k, int seed)
    {
        var be = CpuBackend.Instance;
        var x = Tensor.FromArray(KernelAssert.Random(k.N * k.C * k.H * k.W, seed), k.N, k.C, k.H, k.W);
        var w = Tensor.FromArray(KernelAssert.Random(k.K * k.Cg * k.R * k.S, seed + 1), k.K, k.Cg, k.R, k.S);
        var b = k.Bias ? Tensor.FromArray(KernelAssert.Random(k.K, seed + 2), k.K) : null;
        var a = k.Args;
        float tol = 1e-5f * MathF.Sqrt(k.Cg * k.R * k.S * k.N * 9 + 1);
        var want = ConvNaive.Forward(be, x, w, b, a).ToArray();
        var y = be.Conv2d(x, w, b, a);
        KernelAssert.Close(want, y.ToArray(), tol, $"forward {k}");
        var dy = Tensor.FromArray(KernelAssert.Random(y.Numel, seed + 3), y.Shape.ToArray());
        KernelAssert.Close(ConvNaive.BackwardInput(be, dy, w, x.Shape, a).ToArray(), be.Conv2dBackwardInput(dy, w, x.Shape, a).ToArray(), tol, $"input grad {k}");
        KernelAssert.Close(ConvNaive.BackwardWeight(be, dy, x, w.Shape, a).ToArray(), be.Conv2dBackwardWeight(dy, x, w.Shape, a).ToArray(), tol, $"weight grad {k}");
    }

    [Property(MaxTest = 150)]
    public Property GemmPathMatchesNaive() => Prop.ForAll(General.ToArbitrary(), k => CheckAgainstNaive(k, k.GetHashCode()));

    [Property(MaxTest = 40)]
    public Property GemmPathMatchesNaiveOnWideImages() => Prop.ForAll(Wide.ToArbitrary(), k => CheckAgainstNaive(k, k.GetHashCode()));

    [Property(MaxTest = 150)]
    public Property DepthwiseMatchesNaive() => Prop.ForAll(DepthwiseCases.ToArbitrary(), k =>
    {
        Assert.Equal(CpuBackend.ConvAlgo.Depthwise, CpuBackend.ChooseConv(Shape.Wrap([k.K, 1, k.R, k.S]), k.Args));
        CheckAgainstNaive(k, k.GetHashCode());
    });

    [Theory]
    [InlineData(4, 1, 3, 16, 20, 20, 3, 1, 1, false)]  // first layer of a CNN: few channels, image-parallel
    [InlineData(3, 1, 24, 20, 9, 9, 3, 1, 1, true)]    // L = 216: one KC block
    [InlineData(2, 1, 32, 8, 6, 6, 3, 1, 1, true)]     // L = 288: two KC blocks
    [InlineData(2, 2, 8, 6, 7, 5, 1, 1, 0, true)]      // 1x1 stride 1: GEMM straight on x, two groups
    [InlineData(2, 1, 5, 7, 9, 9, 1, 2, 0, false)]     // 1x1 stride 2: columns again
    [InlineData(2, 8, 1, 1, 33, 17, 3, 1, 1, true)]    // depthwise, wide rows
    public void FixedShapesMatchNaive(int n, int g, int cg, int kg, int h, int w, int r, int stride, int pad, bool bias) =>
        CheckAgainstNaive(new Case(n, g, cg, kg, h, w, r, r, stride, stride, pad, pad, 1, 1, bias), n * 100 + cg);

    [Fact]
    public void KernelLargerThanPaddedInputIsRefused()
    {
        // 6 + 0 < 2*(4-1)+1: no output position exists; the kernels must not read past the plane.
        var x = Tensor.Zeros(1, 2, 6, 6); var w = Tensor.Zeros(2, 1, 4, 4);
        var ex = Assert.Throws<ShapeException>(() => CpuBackend.Instance.Conv2d(x, w, null, new Conv2dArgs(DilationW: 2, Groups: 2)));
        Assert.Contains("[2,1,4,4]", ex.Message);
    }
}

// Finite differences of loss = sum(conv(x, w, b) * g) through autograd (fast kernels underneath): a check that does
// not lean on ConvNaive.
public class ConvGradCheckTests
{
    [Theory]
    [InlineData(1, 1, false)] // im2col + GEMM
    [InlineData(2, 3, true)]  // depthwise (groups = channels = 3), stride 2
    public void GradientsMatchFiniteDifferences(int dilation, int groups, bool strided)
    {
        int C = 3, K = 3 * (groups == 1 ? 2 : 1);
        var args = new Conv2dArgs(strided ? 2 : 1, strided ? 2 : 1, 1, 1, dilation, dilation, groups);
        var xv = KernelAssert.Random(2 * C * 7 * 8, 1); var wv = KernelAssert.Random(K * (C / groups) * 9, 2);
        var bv = KernelAssert.Random(K, 3);
        int P = args.OutH(7, 3), Q = args.OutW(8, 3);
        var g = Tensor.FromArray(KernelAssert.Random(2 * K * P * Q, 4), 2, K, P, Q);
        double Loss(float[] x, float[] w)
        {
            using var _ = Tensor.NoGrad();
            var y = Tensor.FromArray(x, 2, C, 7, 8).Conv2d(Tensor.FromArray(w, K, C / groups, 3, 3), Tensor.FromArray(bv, K), args);
            var ys = y.ToArray(); var gs = g.ToArray(); double s = 0;
            for (int i = 0; i < ys.Length; i++) s += (double)ys[i] * gs[i];
            return s;
        }
        var xt = Tensor.FromArray(xv, 2, C, 7, 8).RequiresGrad_(); var wt = Tensor.FromArray(wv, K, C / groups, 3, 3).RequiresGrad_();
        (xt.Conv2d(wt, Tensor.FromArray(bv, K), args) * g).Sum().Backward();
        float[] dx = xt.Grad!.ToArray(), dw = wt.Grad!.ToArray();
        const float e = 1e-2f;
        foreach (var (vals, grad, what) in new[] { (xv, dx, "dx"), (wv, dw, "dw") })
            for (int i = 0; i < vals.Length; i += 5)
            {
                float keep = vals[i];
                vals[i] = keep + e; double up = what == "dx" ? Loss(vals, wv) : Loss(xv, vals);
                vals[i] = keep - e; double down = what == "dx" ? Loss(vals, wv) : Loss(xv, vals);
                vals[i] = keep;
                double num = (up - down) / (2 * e);
                Assert.True(Math.Abs(num - grad[i]) <= 1e-2 * (1 + Math.Abs(num)), $"{what}[{i}]: backward {grad[i]}, finite difference {num}");
            }
    }
}

public class ConvGeometryTests
{
    [Fact]
    public void AKernelThatDoesNotFitIsAClearErrorNotAOneByOneOutput()
    {
        var a = new Conv2dArgs(StrideH: 2, StrideW: 2, DilationH: 3, DilationW: 3);
        Assert.Equal(-1, a.OutH(4, 3));                // extent 7 > 4: floor((4 - 7) / 2) + 1 = -1 (C# truncation said 0 + 1 = 1)
        Assert.Equal(1, a.OutH(7, 3));
        var x = Tensor.Ones(1, 1, 4, 4);
        var w = Tensor.Ones(1, 1, 3, 3);
        var e = Assert.Throws<ShapeException>(() => x.Conv2d(w, null, a));
        Assert.Contains("too small", e.Message);
        Assert.Equal(0, new Pool2dArgs(5, 5, 2, 2).OutH(3));
    }
}
