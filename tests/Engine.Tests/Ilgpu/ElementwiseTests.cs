using Engine.Kernels.Ops;
using static Engine.Tests.Ilgpu.IlgpuTestKit;

namespace Engine.Tests.Ilgpu;

// Memory, copies and elementwise ops on ILGPU's CPU accelerator against the CPU backend.
// Tolerance: 1e-5 absolute + 1e-4 relative (the same float math; exp/log/tanh may differ in the last bits).
[Collection("ilgpu")]
public class ElementwiseTests
{
    [Fact]
    public void UploadDownloadRoundTripsEveryDType()
    {
        var f = Values(37, 1);
        Assert.Equal(f, Tensor.FromArray(f, [37], Dev).ToArray());
        int[] ints = [3, -1, 7, int.MaxValue, int.MinValue];
        Assert.Equal(ints, Tensor.Create(Gpu.Upload(ints), Layout.Contiguous(new Shape(5))).ToIntArray());
        var h = new[] { (System.Half)1.5f, (System.Half)(-2.25f), System.Half.MaxValue, (System.Half)0.0001f, (System.Half)3f };
        var th = Tensor.Create(Gpu.Upload(h), Layout.Contiguous(new Shape(5)));
        Assert.Equal(h.Select(x => (float)x).ToArray(), th.ToArray());
    }

    [Fact]
    public void StridedDownloadAndCopyConvertBetweenDTypes()
    {
        var p = Pair(2, 3, 4, 5);
        var t = View(p, l => l.Permute([2, 0, 1]).Slice(1, 0, 3, 2));
        Close(t.cpu.Contiguous(), t.gpu.Contiguous());
        Close(t.cpu.ToArray(), t.gpu.ToArray());
        foreach (var (from, to) in new[] { (DType.Float32, DType.Float16), (DType.Float32, DType.Int32) })
        {
            var c = t.cpu.ToDType(to); var g = t.gpu.ToDType(to);
            Close(c, g, what: $"{from}->{to}");
            Close(c.ToDType(DType.Float32), g.ToDType(DType.Float32), what: $"{to}->{from}");
        }
        var ih = IntPair([1, -2, 300, 4], 4);
        Close(ih.cpu.ToDType(DType.Float16), ih.gpu.ToDType(DType.Float16));
        Close(ih.cpu.ToDType(DType.Float16).ToDType(DType.Int32), ih.gpu.ToDType(DType.Float16).ToDType(DType.Int32));
    }

    [Fact]
    public void FillWritesStridedViewsOfEveryDType()
    {
        foreach (var dt in new[] { DType.Float32, DType.Float16, DType.Int32 })
        {
            var c = Tensor.Zeros(new Shape(4, 6), Device.Cpu, dt); var g = Tensor.Zeros(new Shape(4, 6), Dev, dt);
            Cpu.Fill(Tensor.Create(c.Storage, c.Layout.Slice(1, 1, 6, 2)), 2.5f);
            Gpu.Fill(Tensor.Create(g.Storage, g.Layout.Slice(1, 1, 6, 2)), 2.5f);
            Close(c, g, what: dt.ToString());
        }
    }

    [Fact]
    public void MapMatchesCpuForEveryUnaryOp()
    {
        var p = Pair(3, 5, 7);
        var pos = (Tensor.FromArray(p.cpu.ToArray().Select(MathF.Abs).ToArray(), 5, 7), Tensor.FromArray(p.cpu.ToArray().Select(MathF.Abs).ToArray(), [5, 7], Dev));
        void Check<TOp>(TOp op, (Tensor cpu, Tensor gpu) x) where TOp : struct, IUnaryOp
            => Close(Cpu.Map(x.cpu, op), Gpu.Map(x.gpu, op), what: typeof(TOp).Name);
        Check(new NegOp(), p); Check(new AffineOp(2f, -1f), p); Check(new ExpOp(), p); Check(new LogOp(), pos);
        Check(new SqrtOp(), pos); Check(new AbsOp(), p); Check(new SignOp(), p); Check(new SquareOp(), p);
        Check(new ReciprocalOp(), p); Check(new PowScalarOp(3f), p); Check(new PowScalarOp(0.5f), pos); Check(new ReluOp(), p);
        Check(new LeakyReluOp(0.1f), p); Check(new ClampOp(-0.5f, 0.5f), p); Check(new SigmoidOp(), p);
        Check(new TanhOp(), p); Check(new GeluOp(), p); Check(new IdentityOp(), p);
    }

    [Fact]
    public void ZipMatchesCpuForEveryBinaryOpWithBroadcast()
    {
        var a = Pair(4, 2, 3, 4);
        var b = Pair(5, 3, 1);            // broadcasts to [2,3,4]
        var pos = (Tensor.FromArray(a.cpu.ToArray().Select(x => MathF.Abs(x) + 0.1f).ToArray(), 2, 3, 4), Tensor.FromArray(a.cpu.ToArray().Select(x => MathF.Abs(x) + 0.1f).ToArray(), [2, 3, 4], Dev));
        void Check<TOp>(TOp op, (Tensor cpu, Tensor gpu) x, (Tensor cpu, Tensor gpu) y) where TOp : struct, IBinaryOp
            => Close(Cpu.Zip(x.cpu, y.cpu, op), Gpu.Zip(x.gpu, y.gpu, op), what: typeof(TOp).Name);
        Check(new AddOp(), a, b); Check(new SubOp(), b, a); Check(new MulOp(), a, b); Check(new DivOp(), a, b);
        Check(new AddScaledOp(0.3f), a, b); Check(new LinearCombOp(0.9f, 0.1f), a, b); Check(new PowOp(), pos, b);
        Check(new MaximumOp(), a, b); Check(new MinimumOp(), a, b);
        foreach (var k in Enum.GetValues<Compare>()) Check(new CompareOp(k), a, b);
        Check(new ReluGradOp(), a, b); Check(new LeakyReluGradOp(0.2f), a, b); Check(new SigmoidGradOp(), a, b);
        Check(new TanhGradOp(), a, b); Check(new GeluGradOp(), a, b); Check(new ClampGradOp(-0.3f, 0.3f), a, b);
    }

    [Fact]
    public void ZipReadsTransposedSlicedAndScalarOperands()
    {
        var a = View(Pair(6, 4, 6), l => l.Transpose(0, 1).Slice(0, 1, 6, 2));   // [3,4], strided
        var b = View(Pair(7, 3), l => l.Unsqueeze(1));                            // [3,1]
        var s = Pair(8);                                                          // scalar
        Close(Cpu.Zip(a.cpu, b.cpu, new MulOp()), Gpu.Zip(a.gpu, b.gpu, new MulOp()));
        Close(Cpu.Zip(s.cpu, a.cpu, new SubOp()), Gpu.Zip(s.gpu, a.gpu, new SubOp()));
    }

    [Fact]
    public void HighRankIterationIsSplitIntoLaunches()
    {
        // 8 dims that cannot merge (every other dim sliced): more than Geo.MaxRank after coalescing.
        var p = View(Pair(9, 2, 4, 2, 4, 2, 4, 2, 4), l => l.Slice(1, 0, 4, 2).Slice(3, 1, 4, 2).Slice(5, 0, 4, 2).Slice(7, 1, 4, 2));
        Close(Cpu.Map(p.cpu, new AffineOp(3f, 1f)), Gpu.Map(p.gpu, new AffineOp(3f, 1f)));
    }

    [Fact]
    public void InPlaceOpsUpdateTheDestinationThroughViews()
    {
        var a = Pair(10, 4, 5); var b = Pair(11, 5);
        Cpu.ZipInPlace(a.cpu, b.cpu, new AddScaledOp(-0.1f)); Gpu.ZipInPlace(a.gpu, b.gpu, new AddScaledOp(-0.1f));
        Close(a.cpu, a.gpu);
        var va = View(a, l => l.Transpose(0, 1));
        Cpu.MapInPlace(va.cpu, new ClampOp(-0.2f, 0.4f)); Gpu.MapInPlace(va.gpu, new ClampOp(-0.2f, 0.4f));
        Close(a.cpu, a.gpu);
        var e = View(Pair(12, 1, 5), l => l.Expand(new Shape(3, 5)));
        Assert.Throws<InvalidOperationException>(() => Gpu.MapInPlace(e.gpu, new NegOp()));
    }

    [Fact]
    public void WhereBroadcastsAllThree()
    {
        var c = (Tensor.FromArray([1f, 0, 1], 3, 1), Tensor.FromArray([1f, 0, 1], [3, 1], Dev));
        var a = Pair(13, 3, 4); var b = Pair(14, 4);
        Close(Cpu.Where(c.Item1, a.cpu, b.cpu), Gpu.Where(c.Item2, a.gpu, b.gpu));
    }

    [Fact]
    public void Float16InputsAreComputedInFloat32()
    {
        var a = Pair(15, 6, 3);
        var ch = a.cpu.ToDType(DType.Float16); var gh = a.gpu.ToDType(DType.Float16);
        Close(Cpu.Map(ch, new ExpOp()), Gpu.Map(gh, new ExpOp()));
        Close(Cpu.Zip(ch, a.cpu, new MulOp()), Gpu.Zip(gh, a.gpu, new MulOp()));
    }

    [Fact]
    public void MixingDevicesIsAnErrorNamingBoth()
    {
        var c = Tensor.Ones(new Shape(2), Device.Cpu); var g = Tensor.Ones(new Shape(2), Dev);
        var e = Assert.Throws<DeviceMismatchException>(() => Gpu.Zip(g, c, new AddOp()));
        Assert.Contains("cpu", e.Message);
        Assert.Contains("ilgpu-cpu", e.Message);
    }
}
