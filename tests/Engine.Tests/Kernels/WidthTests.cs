using Engine.Kernels.Cpu;

namespace Engine.Tests.Kernels;

// The CPU kernels at every width this machine supports (CpuSettings.UseSimd: AVX-512, AVX2, scalar) against each other.
// Where every output is the same sequence of operations whatever the width (elementwise ops, the depthwise gathers, the
// pooling windows, the recurrent cells, GEMMs and the convolutions built on them: each C element is one FMA chain over
// k in order) the bits must be equal; where a sum is split into lanes and then added across them (the depthwise
// weight and bias gradients) the widths agree to float rounding (rtol 1e-5 of the mean magnitude). Shapes are wide
// enough for whole 16-lane vectors and ragged enough for tails.
public class WidthTests
{
    private static readonly CpuBackend Cpu = CpuBackend.Instance;

    private static float[] Random(int n, int seed)
    {
        var g = new Generator(seed);
        return Enumerable.Range(0, n).Select(_ => (float)g.NextGaussian()).ToArray();
    }

    /// <summary>run at every supported width; the first (scalar) is the reference.</summary>
    private static void AtEveryWidth(string what, Func<float[][]> run, bool exact, float rtol = 1e-5f)
    {
        float[][]? reference = null;
        foreach (var level in CpuSettings.SupportedLevels)
        {
            float[][] got;
            using (CpuSettings.UseSimd(level)) got = run();
            if (reference == null) { reference = got; continue; }
            for (int o = 0; o < got.Length; o++)
            {
                double scale = reference[o].Sum(v => Math.Abs((double)v)) / Math.Max(1, reference[o].Length) + 1e-6;
                for (int i = 0; i < got[o].Length; i++)
                {
                    bool ok = exact
                        ? BitConverter.SingleToInt32Bits(got[o][i]) == BitConverter.SingleToInt32Bits(reference[o][i])
                        : Math.Abs(got[o][i] - reference[o][i]) <= rtol * (Math.Abs(reference[o][i]) + scale);
                    if (!ok) Assert.Fail($"{what}: output {o} element {i} is {got[o][i]:G9} at {level}, {reference[o][i]:G9} at scalar");
                }
            }
        }
    }

    [Theory]
    [InlineData(3, 1, 1)]       // 3x3 unrolled stencils
    [InlineData(5, 2, 2)]       // the general stencil, dilated
    public void DepthwiseConvAtEveryWidth(int k, int pad, int dil)
    {
        var x = Tensor.FromArray(Random(2 * 4 * 19 * 37, 1), 2, 4, 19, 37);
        var w = Tensor.FromArray(Random(8 * k * k, 2), 8, 1, k, k);
        var b = Tensor.FromArray(Random(8, 3), 8);
        var a = new Conv2dArgs(PadH: pad, PadW: pad, DilationH: dil, DilationW: dil, Groups: 4);
        var yShape = Cpu.Conv2d(x, w, b, a).Shape;
        var dy = Tensor.FromArray(Random(yShape.Numel, 4), yShape.ToArray());
        AtEveryWidth($"depthwise {k}x{k} forward and input gradient", () =>
        {
            var (dx, _, _) = Cpu.Conv2dBackward(dy, x, w, a, true, false, false);
            return [Cpu.Conv2d(x, w, b, a).ToArray(), dx!.ToArray()];
        }, exact: true);
        AtEveryWidth($"depthwise {k}x{k} weight and bias gradients", () =>
        {
            var (_, dw, db) = Cpu.Conv2dBackward(dy, x, w, a, false, true, true);
            return [dw!.ToArray(), db!.ToArray()];
        }, exact: false);
        var strided = a with { StrideH = 2, StrideW = 2 };
        var dys = Tensor.FromArray(Random(Cpu.Conv2d(x, w, b, strided).Numel, 5), Cpu.Conv2d(x, w, b, strided).Shape.ToArray());
        AtEveryWidth($"depthwise {k}x{k} stride 2", () => [Cpu.Conv2d(x, w, b, strided).ToArray(), Cpu.Conv2dBackwardInput(dys, w, x.Shape, strided).ToArray()], exact: true);
    }

    [Fact]
    public void PoolingAtEveryWidth()
    {
        var v = Random(2 * 3 * 34 * 71, 6);
        v[17] = float.NaN; v[100] = v[101];                               // a NaN wins; ties keep the first
        var x = Tensor.FromArray(v, 2, 3, 34, 71);
        var p = new Pool2dArgs(2, 2, 2, 2);
        AtEveryWidth("2x2 pooling", () =>
        {
            var y = Cpu.MaxPool2d(x, p, out var idx);
            return [y.ToArray(), idx.ToIntArray().Select(i => (float)i).ToArray(), Cpu.AvgPool2d(x, p).ToArray()];
        }, exact: true);
    }

    [Fact]
    public void RecurrentCellsAtEveryWidth()
    {
        int B = 3, H = 37;
        var gates = Tensor.FromArray(Random(B * 4 * H, 7), B, 4 * H); var c = Tensor.FromArray(Random(B * H, 8), B, H);
        var xg = Tensor.FromArray(Random(B * 3 * H, 9), B, 3 * H); var hg = Tensor.FromArray(Random(B * 3 * H, 10), B, 3 * H);
        var dh = Tensor.FromArray(Random(B * H, 11), B, H);
        AtEveryWidth("lstm and gru cells", () =>
        {
            var (h1, c1, act) = Cpu.LstmCell(gates, c);
            var (dg, dcp) = Cpu.LstmCellBackward(dh, dh, act, c, c1);
            var (h2, act2) = Cpu.GruCell(xg, hg, c);
            var (dxg, dhg, dhp) = Cpu.GruCellBackward(dh, act2, hg, c);
            return [h1.ToArray(), c1.ToArray(), dg.ToArray(), dcp.ToArray(), h2.ToArray(), dxg.ToArray(), dhg.ToArray(), dhp.ToArray()];
        }, exact: true);
    }

    [Fact]
    public void GemmAndDenseConvAtEveryWidth()
    {
        var a = Tensor.FromArray(Random(37 * 300, 12), 37, 300); var bm = Tensor.FromArray(Random(300 * 129, 13), 300, 129);
        var x = Tensor.FromArray(Random(2 * 16 * 14 * 15, 14), 2, 16, 14, 15); var w = Tensor.FromArray(Random(24 * 16 * 9, 15), 24, 16, 3, 3);
        var args = new Conv2dArgs(PadH: 1, PadW: 1);
        var dy = Tensor.FromArray(Random(2 * 24 * 14 * 15, 16), 2, 24, 14, 15);
        AtEveryWidth("gemm and conv", () =>
        {
            var (dx, dw, db) = Cpu.Conv2dBackward(dy, x, w, args, true, true, true);
            return [a.Matmul(bm).ToArray(), a.Matmul(bm.T.Contiguous().T).ToArray(), Cpu.Conv2d(x, w, null, args).ToArray(), dx!.ToArray(), dw!.ToArray(), db!.ToArray()];
        }, exact: true);   // every C element is the same FMA chain over k, KC at a time, at every tile
    }
}
