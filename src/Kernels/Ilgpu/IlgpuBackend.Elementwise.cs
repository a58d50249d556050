using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Ilgpu;

// Copies, fills and the elementwise driver: each op is one launch per (coalesced) iteration,
// generic over the op struct of src/Kernels/Ops (only its scalar Invoke is compiled for the device).
public sealed partial class IlgpuBackend
{
    public override void Copy(Tensor src, Tensor dst)
    {
        CheckDevice(src, "copy"); CheckDevice(dst, "copy");
        if (src.Shape != dst.Shape) throw new ShapeException($"copy: source shape {src.Shape} differs from destination shape {dst.Shape}");
        switch (src.DType, dst.DType)
        {
            case (DType.Float32, DType.Float32): CopyAs(src, dst, F(src), F(dst), new SameConv<float>()); break;
            case (DType.Int32, DType.Int32): CopyAs(src, dst, I(src), I(dst), new SameConv<int>()); break;
            case (DType.Float16, DType.Float16): CopyAs(src, dst, H(src), H(dst), new SameConv<ushort>()); break;
            case (DType.Float32, DType.Float16): CopyAs(src, dst, F(src), H(dst), new F32ToF16()); break;
            case (DType.Float16, DType.Float32): CopyAs(src, dst, H(src), F(dst), new F16ToF32()); break;
            case (DType.Int32, DType.Float32): CopyAs(src, dst, I(src), F(dst), new I32ToF32()); break;
            case (DType.Float32, DType.Int32): CopyAs(src, dst, F(src), I(dst), new F32ToI32()); break;
            case (DType.Int32, DType.Float16): CopyAs(src, dst, I(src), H(dst), new I32ToF16()); break;
            case (DType.Float16, DType.Int32): CopyAs(src, dst, H(src), I(dst), new F16ToI32()); break;
        }
        dst.Storage.BumpVersion();
    }

    private void CopyAs<TS, TD, TC>(Tensor src, Tensor dst, ArrayView<TS> s, ArrayView<TD> d, TC conv)
        where TS : unmanaged where TD : unmanaged where TC : struct, IConvert<TS, TD>
    {
        var k = Kernel("copy", typeof((TS, TD, TC)), a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<TS>, ArrayView<TD>, Geo, Operand, Operand, TC>(ElementwiseKernels.Copy<TS, TD, TC>));
        StridedLaunch.Run(dst.Shape, [src.Layout, dst.Layout], (g, o, n) => k(n, s, d, g, o[0], o[1], conv));
    }

    public void Fill(Tensor dst, float value)
    {
        CheckDevice(dst, "fill");
        switch (dst.DType)
        {
            case DType.Float32: FillAs(dst, F(dst), value); break;
            case DType.Float16: FillAs(dst, H(dst), HalfBits.FromFloat(value)); break;
            default: FillAs(dst, I(dst), (int)value); break;
        }
        dst.Storage.BumpVersion();
    }

    private void FillAs<T>(Tensor dst, ArrayView<T> d, T value) where T : unmanaged
    {
        var k = Kernel("fill", typeof(T), a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, Geo, Operand, T>(ElementwiseKernels.Fill<T>));
        StridedLaunch.Run(dst.Shape, [dst.Layout], (g, o, n) => k(n, d, g, o[0], value));
    }

    protected override void MapInto<TOp>(Tensor x, Tensor y, TOp op)
    {
        var k = Kernel("map", typeof(TOp), a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, Geo, Operand, Operand, TOp>(ElementwiseKernels.Map<TOp>));
        ArrayView<float> xs = F(x), ys = F(y);
        StridedLaunch.Run(y.Shape, [x.Layout, y.Layout], (g, o, n) => k(n, xs, ys, g, o[0], o[1], op));
    }

    protected override void ZipInto<TOp>(Tensor a, Layout al, Tensor b, Layout bl, Tensor y, TOp op)
    {
        var k = Kernel("zip", typeof(TOp), acc =>
            acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, Geo, Operand, Operand, Operand, TOp>(ElementwiseKernels.Zip<TOp>));
        ArrayView<float> av = F(a), bv = F(b), yv = F(y);
        StridedLaunch.Run(y.Shape, [al, bl, y.Layout], (g, o, n) => k(n, av, bv, yv, g, o[0], o[1], o[2], op));
    }

    public Tensor Where(Tensor cond, Tensor a, Tensor b)
    {
        var cf = AsF32(cond, "where"); var af = AsF32(a, "where"); var bf = AsF32(b, "where");
        var shape = Shape.Broadcast(Shape.Broadcast(cond.Shape, a.Shape, "where"), b.Shape, "where");
        var y = New(shape);
        var k = Kernel("where", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Geo, Operand, Operand, Operand, Operand>(ElementwiseKernels.Where));
        ArrayView<float> cv = F(cf), av = F(af), bv = F(bf), yv = F(y);
        StridedLaunch.Run(shape, [cf.Layout.Expand(shape), af.Layout.Expand(shape), bf.Layout.Expand(shape), y.Layout],
            (g, o, n) => k(n, cv, av, bv, yv, g, o[0], o[1], o[2], o[3]));
        DisposeIfTemp(cf, cond); DisposeIfTemp(af, a); DisposeIfTemp(bf, b);
        return y;
    }
}
