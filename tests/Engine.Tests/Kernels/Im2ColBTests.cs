using Engine.Kernels.Conv;
using Engine.Kernels.Gemm;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Engine.Tests.Kernels;

// The implicit-GEMM packer against its reference: every panel Im2ColB packs straight from the image must equal the
// panel the strided packer makes from the explicit column matrix of Im2Col.Pack (bit for bit: both only copy).
// ConvGemm uses the implicit path only for big column matrices, so the conv tests rarely reach it; this does.
public class Im2ColBTests
{
    public sealed record Geo(int C, int H, int W, int R, int S, int Ph, int Pw, int Dh, int Dw)
    {
        public Conv2dArgs Args => new(1, 1, Ph, Pw, Dh, Dw);
        public bool Valid => H + 2 * Ph >= Dh * (R - 1) + 1 && W + 2 * Pw >= Dw * (S - 1) + 1;
    }

    private static readonly Gen<Geo> Geos =
        (from c in Gen.Choose(1, 40)
         from h in Gen.Choose(1, 30)
         from w in Gen.Choose(1, 40)
         from r in Gen.Choose(1, 5)
         from s in Gen.Choose(1, 5)
         from ph in Gen.Choose(0, 3)
         from pw in Gen.Choose(0, 3)
         from dh in Gen.Choose(1, 2)
         from dw in Gen.Choose(1, 2)
         select new Geo(c, h, w, r, s, ph, pw, dh, dw)).Where(g => g.Valid);

    private static unsafe void Check(Geo g, int seed)
    {
        var a = g.Args;
        int P = a.OutH(g.H, g.R), Q = a.OutW(g.W, g.S), L = g.C * g.R * g.S, PQ = P * Q;
        var x = KernelAssert.Random(g.C * g.H * g.W, seed);
        var col = new float[L * PQ];
        const int MaxNR = 32;
        var want = new float[MaxNR * L]; var got = new float[MaxNR * L];
        fixed (float* xp = x, cp = col, wp = want, gp = got)
        {
            using var r0 = Engine.Kernels.Checked.Region(xp, x.Length, "test x"); using var r1 = Engine.Kernels.Checked.Region(cp, col.Length, "test col");
            using var r2 = Engine.Kernels.Checked.Region(wp, want.Length, "test want"); using var r3 = Engine.Kernels.Checked.Region(gp, got.Length, "test got");
            Im2Col.Pack(xp, g.C, g.H, g.W, g.R, g.S, P, Q, a, cp);
            var implicitB = new Im2ColB(xp, g.H, g.W, g.R, g.S, Q, a);
            var explicitB = new StridedB(cp, PQ, 1);
            // Every panel of columns, at both tiles' panel widths (AVX2 16, AVX-512 32), for K blocks that start
            // mid-kernel (k0 = 1, 7, ...) as well as at 0.
            foreach (int NR in new[] { 16, 32 })
            foreach (int k0 in new[] { 0, Math.Min(1, L - 1), Math.Min(7, L - 1) })
                for (int j0 = 0; j0 < PQ; j0 += NR)
                {
                    int n = Math.Min(NR, PQ - j0), kc = L - k0;
                    Array.Fill(got, float.NaN);
                    explicitB.PackPanel(k0, kc, j0, n, wp, NR);
                    implicitB.PackPanel(k0, kc, j0, n, gp, NR);
                    for (int i = 0; i < kc * NR; i++)
                        if (BitConverter.SingleToInt32Bits(want[i]) != BitConverter.SingleToInt32Bits(got[i]))
                            Assert.Fail($"{g} NR {NR} k0 {k0} j0 {j0}: packed[{i / NR}][{i % NR}] is {got[i]}, expected {want[i]}");
                }
        }
    }

    [Property(MaxTest = 120)]
    public Property PanelsMatchExplicitColumns() =>
        Prop.ForAll(Geos.ToArbitrary(), g => { if (Im2ColB.Supports(g.Args)) Check(g, g.GetHashCode()); });

    [Fact]
    public void StridedGeometryIsRefused() =>
        Assert.Throws<ArgumentException>(() => { unsafe { _ = new Im2ColB(null, 8, 8, 3, 3, 3, new Conv2dArgs(StrideH: 2, StrideW: 2)); } });
}
