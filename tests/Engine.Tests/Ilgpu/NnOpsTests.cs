using Engine.Kernels.Ilgpu;
using static Engine.Tests.Ilgpu.IlgpuTestKit;

namespace Engine.Tests.Ilgpu;

// Convolution, pooling, recurrent cells and index ops on ILGPU's CPU accelerator against the CPU
// backend's naive kernels. Tolerance 1e-4 abs + 1e-4 rel (sums of up to a few hundred N(0,1) products).
[Collection("ilgpu")]
public class NnOpsTests
{
    public static TheoryData<int, int, int, int, int, Conv2dArgs> ConvCases => new()
    {
        // N, C, K, HW, RS, args
        { 2, 3, 4, 7, 3, new Conv2dArgs(PadH: 1, PadW: 1) },
        { 1, 4, 6, 9, 3, new Conv2dArgs(StrideH: 2, StrideW: 2, PadH: 1, PadW: 2, DilationH: 2, DilationW: 1) },
        { 2, 4, 6, 6, 2, new Conv2dArgs(Groups: 2) },
        { 2, 4, 4, 6, 3, new Conv2dArgs(PadH: 1, PadW: 1, Groups: 4) },            // depthwise: direct kernels
        { 1, 3, 6, 7, 3, new Conv2dArgs(StrideH: 2, StrideW: 1, PadH: 2, PadW: 0, Groups: 3) },   // depthwise x2 multiplier
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void ConvForwardAndBackwardMatchCpu(int N, int C, int K, int HW, int RS, Conv2dArgs a)
    {
        var x = Pair(40, N, C, HW, HW + 1);
        var w = Pair(41, K, C / a.Groups, RS, RS);
        var b = Pair(42, K);
        var yc = Cpu.Conv2d(x.cpu, w.cpu, b.cpu, a);
        Close(yc, Gpu.Conv2d(x.gpu, w.gpu, b.gpu, a), 1e-4f, 1e-4f, "y");
        Close(Cpu.Conv2d(x.cpu, w.cpu, null, a), Gpu.Conv2d(x.gpu, w.gpu, null, a), 1e-4f, 1e-4f, "y without bias");
        var dy = Pair(43, yc.Shape.ToArray());
        Close(Cpu.Conv2dBackwardInput(dy.cpu, w.cpu, x.cpu.Shape, a), Gpu.Conv2dBackwardInput(dy.gpu, w.gpu, x.gpu.Shape, a), 1e-4f, 1e-4f, "dx");
        Close(Cpu.Conv2dBackwardWeight(dy.cpu, x.cpu, w.cpu.Shape, a), Gpu.Conv2dBackwardWeight(dy.gpu, x.gpu, w.gpu.Shape, a), 1e-4f, 1e-4f, "dw");
    }

    [Fact]
    public void ConvInBatchChunksMatchesOneChunk()
    {
        // A tiny im2col budget forces one sample per chunk: results must not change.
        var x = Pair(44, 3, 2, 5, 5); var w = Pair(45, 3, 2, 3, 3); var a = new Conv2dArgs(PadH: 1, PadW: 1);
        var y1 = Gpu.Conv2d(x.gpu, w.gpu, null, a);
        var dy = Pair(46, y1.Shape.ToArray());
        var dx1 = Gpu.Conv2dBackwardInput(dy.gpu, w.gpu, x.gpu.Shape, a); var dw1 = Gpu.Conv2dBackwardWeight(dy.gpu, x.gpu, w.gpu.Shape, a);
        // A backend of its own with the tiny budget: the shared device's backend (other tests) is not touched.
        var small = Gpu.WithOptions(new IlgpuOptions { ColBudget = 1 });
        Close(y1.ToArray(), small.Conv2d(x.gpu, w.gpu, null, a).ToArray(), 1e-5f);
        Close(dx1.ToArray(), small.Conv2dBackwardInput(dy.gpu, w.gpu, x.gpu.Shape, a).ToArray(), 1e-5f);
        Close(dw1.ToArray(), small.Conv2dBackwardWeight(dy.gpu, x.gpu, w.gpu.Shape, a).ToArray(), 1e-4f);
    }

    [Fact]
    public void ConvShapeErrorsNameTheShapes()
    {
        var x = Pair(47, 1, 3, 5, 5); var w = Pair(48, 4, 2, 3, 3);
        var e = Assert.Throws<ShapeException>(() => Gpu.Conv2d(x.gpu, w.gpu, null, new Conv2dArgs()));
        Assert.Contains("[4,2,3,3]", e.Message);
    }

    public static TheoryData<Pool2dArgs> PoolCases => new()
    {
        new Pool2dArgs(2, 2, 2, 2),
        new Pool2dArgs(3, 3, 2, 2, 1, 1),
        new Pool2dArgs(3, 2, 1, 2, 1, 0, CountIncludePad: false),
        new Pool2dArgs(2, 2, 2, 2, CeilMode: true),                            // 7x6: a last partial row of windows
        new Pool2dArgs(3, 3, 2, 2, 1, 1, CountIncludePad: false, CeilMode: true),
    };

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void PoolingForwardAndBackwardMatchCpu(Pool2dArgs a)
    {
        var x = Pair(50, 2, 3, 7, 6);
        var yc = Cpu.MaxPool2d(x.cpu, a, out var ic); var yg = Gpu.MaxPool2d(x.gpu, a, out var ig);
        Close(yc, yg); Close(ic, ig);
        var dy = Pair(51, yc.Shape.ToArray());
        Close(Cpu.MaxPool2dBackward(dy.cpu, ic, x.cpu.Shape), Gpu.MaxPool2dBackward(dy.gpu, ig, x.gpu.Shape), 1e-5f);
        Close(Cpu.AvgPool2d(x.cpu, a), Gpu.AvgPool2d(x.gpu, a), 1e-5f);
        Close(Cpu.AvgPool2dBackward(dy.cpu, x.cpu.Shape, a), Gpu.AvgPool2dBackward(dy.gpu, x.gpu.Shape, a), 1e-5f);
    }

    [Fact]
    public void LstmAndGruCellsAndTheirBackwardMatchCpu()
    {
        int B = 3, H = 5;
        var gates = Pair(60, B, 4 * H); var cPrev = Pair(61, B, H);
        var (hc, cc, ac) = Cpu.LstmCell(gates.cpu, cPrev.cpu); var (hg, cg, ag) = Gpu.LstmCell(gates.gpu, cPrev.gpu);
        Close(hc, hg); Close(cc, cg); Close(ac, ag);
        var dh = Pair(62, B, H); var dc = Pair(63, B, H);
        var (d1c, d2c) = Cpu.LstmCellBackward(dh.cpu, dc.cpu, ac, cPrev.cpu, cc); var (d1g, d2g) = Gpu.LstmCellBackward(dh.gpu, dc.gpu, ag, cPrev.gpu, cg);
        Close(d1c, d1g); Close(d2c, d2g);
        var (e1c, e2c) = Cpu.LstmCellBackward(dh.cpu, null, ac, cPrev.cpu, cc); var (e1g, e2g) = Gpu.LstmCellBackward(dh.gpu, null, ag, cPrev.gpu, cg);
        Close(e1c, e1g); Close(e2c, e2g);

        var xg = Pair(64, B, 3 * H); var hgt = Pair(65, B, 3 * H); var hp = Pair(66, B, H);
        var (gh, gac) = Cpu.GruCell(xg.cpu, hgt.cpu, hp.cpu); var (ggh, gag) = Gpu.GruCell(xg.gpu, hgt.gpu, hp.gpu);
        Close(gh, ggh); Close(gac, gag);
        var (a1, a2, a3) = Cpu.GruCellBackward(dh.cpu, gac, hgt.cpu, hp.cpu); var (b1, b2, b3) = Gpu.GruCellBackward(dh.gpu, gag, hgt.gpu, hp.gpu);
        Close(a1, b1); Close(a2, b2); Close(a3, b3);
    }

    [Fact]
    public void IndexSelectAndIndexAddMatchCpuWithDuplicates()
    {
        var x = Pair(70, 4, 5, 3);
        var idx = IntPair([3, 0, 3, 1], 4);
        for (int dim = 0; dim < 3; dim++)
        {
            var i = dim == 2 ? IntPair([2, 2, 0], 3) : idx;
            Close(Cpu.IndexSelect(x.cpu, dim, i.cpu), Gpu.IndexSelect(x.gpu, dim, i.gpu), what: $"select dim {dim}");
            var shape = x.cpu.Shape.ToArray(); shape[dim] = i.cpu.Numel;
            var src = Pair(71 + dim, shape);
            var dc = Tensor.Zeros(x.cpu.Shape, Device.Cpu); var dg = Tensor.Zeros(x.cpu.Shape, Dev);
            Cpu.IndexAdd(dc, dim, i.cpu, src.cpu); Gpu.IndexAdd(dg, dim, i.gpu, src.gpu);
            Close(dc, dg, 1e-5f, 1e-5f, $"index_add dim {dim}");
        }
        var bad = IntPair([0, 4], 2);
        var e = Assert.Throws<IndexOutOfRangeException>(() => Gpu.IndexSelect(x.gpu, 0, bad.gpu));
        Assert.Contains("[0, 3]", e.Message);
    }

    [Fact]
    public void GatherAndScatterAddMatchCpuOnStridedInputs()
    {
        var x = View(Pair(80, 5, 4), l => l.Transpose(0, 1));   // [4,5], strided
        var idx = IntPair([0, 4, 4, 1, 2, 3, 0, 0], 4, 2);
        Close(Cpu.Gather(x.cpu, 1, idx.cpu), Gpu.Gather(x.gpu, 1, idx.gpu));
        var idx0 = IntPair([3, 0, 1, 3, 2, 2], 2, 3);
        Close(Cpu.Gather(x.cpu, 0, idx0.cpu), Gpu.Gather(x.gpu, 0, idx0.gpu));
        var src = Pair(81, 4, 3);
        var dc = Tensor.Zeros(new Shape(4, 5), Device.Cpu); var dg = Tensor.Zeros(new Shape(4, 5), Dev);
        Cpu.ScatterAdd(dc, 1, idx.cpu, src.cpu); Gpu.ScatterAdd(dg, 1, idx.gpu, src.gpu);
        Close(dc, dg, 1e-5f, 1e-5f);
    }
}
