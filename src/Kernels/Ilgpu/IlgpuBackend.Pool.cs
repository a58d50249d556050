using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Ilgpu;

// Max and average pooling over each [H,W] plane of x[N,C,H,W]; output [N,C,P,Q].
public sealed partial class IlgpuBackend
{
    /// <summary>The kernels' geometry, validated by <see cref="Pool2dArgs.OutputOf"/> (the CPU's rules and messages).</summary>
    private static PoolGeo PoolGeometry(Shape x, Pool2dArgs a, string op)
    {
        var y = a.OutputOf(x, op);
        return new PoolGeo { H = x[2], W = x[3], P = y[2], Q = y[3], KH = a.KernelH, KW = a.KernelW, SH = a.StrideH, SW = a.StrideW, PH = a.PadH, PW = a.PadW, CountIncludePad = a.CountIncludePad ? 1 : 0, DH = a.DilationH, DW = a.DilationW };
    }

    public Tensor MaxPool2d(Tensor x, Pool2dArgs a, out Tensor indices)
    {
        var g = PoolGeometry(x.Shape, a, "max_pool2d");
        var xc = ContiguousF32(x, "max_pool2d");
        var y = New(Shape.Wrap([x.Shape[0], x.Shape[1], g.P, g.Q]));
        var idx = New(y.Shape, dtype: DType.Int32);
        var k = Kernel("pool.max", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, PoolGeo>(PoolKernels.MaxForward));
        if (y.Numel > 0) k(y.Numel, Data(xc), F(y), I(idx), g);
        DisposeIfTemp(xc, x);
        indices = idx;
        return y;
    }

    public Tensor MaxPool2dBackward(Tensor dy, Tensor indices, Shape xShape)
    {
        var dyc = ContiguousF32(dy, "max_pool2d backward");
        var ic = ContiguousI32(indices, "max_pool2d backward");
        if (xShape.Rank != 4 || dy.Rank != 4 || dy.Shape != indices.Shape || dy.Shape[0] != xShape[0] || dy.Shape[1] != xShape[1])
            throw new ShapeException($"max_pool2d backward: dy {dy.Shape} and indices {indices.Shape} must be [N,C,P,Q] of input {xShape}");
        var dx = New(xShape, zero: true);
        var k = Kernel("pool.max.dx", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int>(PoolKernels.MaxBackward));
        if (dy.Numel > 0) k(dy.Numel, Data(dyc), I(ic).SubView(ic.Layout.Offset, ic.Numel), F(dx), xShape[2] * xShape[3], dy.Shape[2] * dy.Shape[3]);
        DisposeIfTemp(dyc, dy); DisposeIfTemp(ic, indices);
        return dx;
    }

    public Tensor AvgPool2d(Tensor x, Pool2dArgs a)
    {
        var g = PoolGeometry(x.Shape, a, "avg_pool2d");
        var xc = ContiguousF32(x, "avg_pool2d");
        var y = New(Shape.Wrap([x.Shape[0], x.Shape[1], g.P, g.Q]));
        var k = Kernel("pool.avg", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, PoolGeo>(PoolKernels.AvgForward));
        if (y.Numel > 0) k(y.Numel, Data(xc), F(y), g);
        DisposeIfTemp(xc, x);
        return y;
    }

    public Tensor AvgPool2dBackward(Tensor dy, Shape xShape, Pool2dArgs a)
    {
        var g = PoolGeometry(xShape, a, "avg_pool2d backward");
        if (dy.Shape != Shape.Wrap([xShape[0], xShape[1], g.P, g.Q]))
            throw new ShapeException($"avg_pool2d backward: dy {dy.Shape} must have the output shape [{xShape[0]},{xShape[1]},{g.P},{g.Q}] of input {xShape} with {a}");
        var dyc = ContiguousF32(dy, "avg_pool2d backward");
        var dx = New(xShape);
        var k = Kernel("pool.avg.dx", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, PoolGeo>(PoolKernels.AvgBackward));
        if (dx.Numel > 0) k(dx.Numel, Data(dyc), F(dx), g);
        DisposeIfTemp(dyc, dy);
        return dx;
    }
}
