using Engine.Kernels.Cpu;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Engine.Tests.Kernels;

// The CPU backend's combined Conv2dBackward (fused for unit-stride depthwise: dx, dw and db from one pass over dy, dy
// read in place at any strides) against ConvNaive and a naive bias sum, on random depthwise geometries, with random
// subsets of the gradients asked for and dy given contiguous, expanded (over P and Q; over everything, the gradient of
// a sum; over the batch), column-transposed or as a narrowed view.
public class DepthwiseBackwardTests
{
    public enum DyKind { Contiguous, Expanded, Scalar, BatchShared, Transposed, Narrowed }

    public sealed record Case(ConvTests.Case Conv, bool Dx, bool Dw, bool Db, DyKind Dy)
    {
        public override string ToString() => $"{Conv} dx {Dx} dw {Dw} db {Db} dy {Dy}";
    }

    // Padding up to 3 also covers a padding beyond the kernel's reach (1xS with padding 2: the dx gather crops dy).
    private static readonly Gen<Case> Cases =
        (from n in Gen.Choose(1, 3)
         from c in Gen.Choose(1, 5)
         from m in Gen.Choose(1, 3)
         from h in Gen.Choose(1, 19)
         from w in Gen.Choose(1, 19)
         from r in Gen.Choose(1, 5)
         from s in Gen.Choose(1, 5)
         from st in Gen.Elements(1, 1, 1, 2)
         from ph in Gen.Choose(0, 3)
         from pw in Gen.Choose(0, 3)
         from dh in Gen.Choose(1, 2)
         from dw in Gen.Choose(1, 2)
         from needs in Gen.Choose(1, 7)
         from dy in Gen.Elements(Enum.GetValues<DyKind>())
         select new Case(new ConvTests.Case(n, c, 1, m, h, w, r, s, st, st, ph, pw, dh, dw, true), (needs & 1) != 0, (needs & 2) != 0, (needs & 4) != 0, dy))
        .Where(k => k.Conv.Valid && k.Conv.Args.OutH(k.Conv.H, k.Conv.R) > 0 && k.Conv.Args.OutW(k.Conv.W, k.Conv.S) > 0);

    /// <summary>dy [N,K,P,Q] with the given layout, and a contiguous copy of its values.</summary>
    private static (Tensor dy, Tensor dense) MakeDy(DyKind kind, int N, int K, int P, int Q, int seed)
    {
        Tensor dy = kind switch
        {
            DyKind.Expanded => Tensor.FromArray(KernelAssert.Random(N * K, seed), N, K, 1, 1).Expand(N, K, P, Q),
            // One value everywhere (the gradient of sum()), and one [K,P,Q] block shared by every image: planes that
            // share their source, which the fused kernel copies once.
            DyKind.Scalar => Tensor.FromArray(KernelAssert.Random(1, seed), 1, 1, 1, 1).Expand(N, K, P, Q),
            DyKind.BatchShared => Tensor.FromArray(KernelAssert.Random(K * P * Q, seed), 1, K, P, Q).Expand(N, K, P, Q),
            DyKind.Transposed => Tensor.FromArray(KernelAssert.Random(N * K * P * Q, seed), N, K, Q, P).Transpose(2, 3),
            DyKind.Narrowed => Tensor.FromArray(KernelAssert.Random(N * K * (P + 1) * (Q + 3), seed), N, K, P + 1, Q + 3).Narrow(3, 2, Q).Narrow(2, 1, P),
            _ => Tensor.FromArray(KernelAssert.Random(N * K * P * Q, seed), N, K, P, Q),
        };
        return (dy, Tensor.FromArray(dy.ToArray(), N, K, P, Q));
    }

    private static void Check(Case k, int seed)
    {
        var be = CpuBackend.Instance;
        var cv = k.Conv; var a = cv.Args;
        int P = a.OutH(cv.H, cv.R), Q = a.OutW(cv.W, cv.S);
        var x = Tensor.FromArray(KernelAssert.Random(cv.N * cv.C * cv.H * cv.W, seed), cv.N, cv.C, cv.H, cv.W);
        var w = Tensor.FromArray(KernelAssert.Random(cv.K * cv.R * cv.S, seed + 1), cv.K, 1, cv.R, cv.S);
        var (dy, dense) = MakeDy(k.Dy, cv.N, cv.K, P, Q, seed + 2);
        float tol = 1e-5f * MathF.Sqrt(cv.R * cv.S * cv.N * 9 + 1);

        var (dx, dw, db) = be.Conv2dBackward(dy, x, w, a, k.Dx, k.Dw, k.Db);
        Assert.Equal(k.Dx, dx != null); Assert.Equal(k.Dw, dw != null); Assert.Equal(k.Db, db != null);
        if (dx != null) KernelAssert.Close(ConvNaive.BackwardInput(be, dense, w, x.Shape, a).ToArray(), dx.ToArray(), tol, $"dx {k}");
        if (dw != null) KernelAssert.Close(ConvNaive.BackwardWeight(be, dense, x, w.Shape, a).ToArray(), dw.ToArray(), tol, $"dw {k}");
        if (db != null)
        {
            // The reference sums in double. A float sum's rounding error grows with the sum of the magnitudes, not with
            // the result: when the terms nearly cancel (a random dy expanded over 800 positions summed to 0.025 once,
            // off by 1e-4), a tolerance on the result alone is too tight. So each channel's tolerance has a term in
            // sum |dy| (1e-6 of it, about 16 float ulps of the magnitudes).
            var d = dense.ToArray(); var want = new double[cv.K]; var mag = new double[cv.K];
            for (int n = 0; n < cv.N; n++)
                for (int c = 0; c < cv.K; c++)
                    for (int i = 0; i < P * Q; i++) { double v = d[(n * cv.K + c) * P * Q + i]; want[c] += v; mag[c] += Math.Abs(v); }
            Assert.Equal([cv.K], db.Shape.ToArray());
            var got = db.ToArray();
            for (int c = 0; c < cv.K; c++)
                Assert.True(Math.Abs(got[c] - want[c]) <= tol + 1e-6 * mag[c],
                    $"db {k}: element {c} is {got[c]:G9}, expected {want[c]:G9} (tol {tol} + 1e-6 x sum |dy| = {mag[c]:G6})");
        }
    }

    [Property(MaxTest = 200)]
    public Property FusedBackwardMatchesNaive() => Prop.ForAll(Cases.ToArbitrary(), k => Check(k, k.GetHashCode()));

    [Theory]
    [InlineData(2, 8, 1, 32, 32, DyKind.Expanded)]    // the benchmark's shape, smaller batch: dy = the expanded grad of sum()
    [InlineData(3, 4, 2, 15, 21, DyKind.Contiguous)]  // channel multiplier 2, rows that end mid-vector
    [InlineData(1, 3, 1, 7, 7, DyKind.Narrowed)]
    [InlineData(40, 2, 1, 5, 9, DyKind.Transposed)]   // few channels, many images: the batch is split into slices
    public void FixedShapesMatchNaive(int n, int c, int m, int h, int w, DyKind dy) =>
        Check(new Case(new ConvTests.Case(n, c, 1, m, h, w, 3, 3, 1, 1, 1, 1, 1, 1, true), true, true, true, dy), n * 31 + w);

    [Fact]
    public void AnEmptyBatchGivesZeroWeightAndBiasGradients()
    {
        var a = new Conv2dArgs(PadH: 1, PadW: 1, Groups: 4);
        var x = Tensor.Zeros(0, 4, 6, 6); var w = Tensor.Ones(4, 1, 3, 3);
        var (dx, dw, db) = CpuBackend.Instance.Conv2dBackward(Tensor.Zeros(0, 4, 6, 6), x, w, a, true, true, true);
        Assert.Equal([0, 4, 6, 6], dx!.Shape.ToArray());
        Assert.All(dw!.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(db!.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void AutogradTakesTheFusedPathAndMatchesTheSeparateKernels()
    {
        // loss = sum(conv(x, w, b)): dy reaches Conv2d.Backward as an expanded scalar.
        var a = new Conv2dArgs(PadH: 1, PadW: 1, Groups: 6);
        var x = Tensor.FromArray(KernelAssert.Random(2 * 6 * 10 * 12, 5), 2, 6, 10, 12).RequiresGrad_();
        var w = Tensor.FromArray(KernelAssert.Random(6 * 9, 6), 6, 1, 3, 3).RequiresGrad_();
        var b = Tensor.FromArray(KernelAssert.Random(6, 7), 6).RequiresGrad_();
        x.Conv2d(w, b, a).Sum().Backward();
        var be = CpuBackend.Instance;
        using var ones = Tensor.Ones(2, 6, 10, 12);
        KernelAssert.Close(ConvNaive.BackwardInput(be, ones, w, x.Shape, a).ToArray(), x.Grad!.ToArray(), 1e-5f, "dx");
        KernelAssert.Close(ConvNaive.BackwardWeight(be, ones, x, w.Shape, a).ToArray(), w.Grad!.ToArray(), 1e-5f, "dw");
        KernelAssert.Close(Enumerable.Repeat(2f * 10 * 12, 6).ToArray(), b.Grad!.ToArray(), 1e-6f, "db");
    }
}
