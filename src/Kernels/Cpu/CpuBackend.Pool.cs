using System.Runtime.CompilerServices;
namespace Engine.Kernels.Cpu;

// Max and average pooling over each [H,W] plane of x[N,C,H,W]; output [N,C,P,Q].
// The 2x2 stride-2 window without padding (nearly every CNN) runs the SIMD kernels of Pool/Pool2x2.cs;
// every other geometry (ceil mode, dilation of max pooling included) runs the generic loops below, which are also
// the reference for the fast path. Ceil mode only adds outputs whose window runs past the right/bottom padding: the
// loops skip cells outside the input and the divisor clips to the padded input (Pool2dArgs.Divisor).
public sealed partial class CpuBackend
{
    public unsafe Tensor MaxPool2d(Tensor x, Pool2dArgs a, out Tensor indices)
    {
        a.OutputOf(x.Shape, "max_pool2d");
        var xc = ContiguousF32(x, "max_pool2d");
        int planes = x.Shape[0] * x.Shape[1], H = x.Shape[2], W = x.Shape[3], P = a.OutH(H), Q = a.OutW(W);
        var y = New(Shape.Wrap([x.Shape[0], x.Shape[1], P, Q]));
        var idx = New(y.Shape, dtype: DType.Int32);
        float[] xs = F(xc), ys = F(y); int[] ids = I(idx); int xo = xc.Layout.Offset;
        // The fast kernel carries indices as floats: exact below 2^24 elements per plane.
        if (Pool.Pool2x2.Applies(a) && (long)H * W < 1 << 24)
        {
            Par.For(planes, (long)planes * H * W, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
            {
                fixed (float* xp = xs, yp = ys) fixed (int* ip = ids)
                {
                    using var r0 = Checked.Region(xp, xs.Length, "max_pool2d x"); using var r1 = Checked.Region(yp, ys.Length, "max_pool2d y");
                    using var r2 = Checked.Region((float*)ip, ids.Length, "max_pool2d indices");
                    for (int pl = p0; pl < p1; pl++)
                        Pool.Pool2x2.MaxPlane(xp + xo + (long)pl * H * W, H, W, yp + (long)pl * P * Q, ip + (long)pl * P * Q);
                }
            });
            DisposeIfTemp(xc, x);
            indices = idx;
            return y;
        }
        MaxPoolGeneric(xs, xo, ys, ids, planes, H, W, P, Q, a);
        DisposeIfTemp(xc, x);
        indices = idx;
        return y;
    }

    /// <summary>Any window, stride, padding, dilation and ceil mode: the reference for <see cref="Pool.Pool2x2.MaxPlane"/>.</summary>
    internal static void MaxPoolGeneric(float[] xs, int xo, float[] ys, int[] ids, int planes, int H, int W, int P, int Q, Pool2dArgs a)
    {
        Par.For(planes, (long)planes * P * Q * a.KernelH * a.KernelW, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            for (int pl = p0; pl < p1; pl++)
                for (int p = 0; p < P; p++)
                    for (int q = 0; q < Q; q++)
                    {
                        float best = float.NegativeInfinity; int bi = -1;
                        for (int r = 0; r < a.KernelH; r++)
                        {
                            int h = p * a.StrideH - a.PadH + r * a.DilationH;
                            if ((uint)h >= (uint)H) continue;
                            for (int s = 0; s < a.KernelW; s++)
                            {
                                int w = q * a.StrideW - a.PadW + s * a.DilationW;
                                if ((uint)w >= (uint)W) continue;
                                float v = xs[xo + (pl * H + h) * W + w];
                                if (v > best || bi < 0 || float.IsNaN(v)) { best = v; bi = h * W + w; }
                            }
                        }
                        int o = (pl * P + p) * Q + q;
                        ys[o] = best; ids[o] = bi;
                    }
        });
    }

    public Tensor MaxPool2dBackward(Tensor dy, Tensor indices, Shape xShape)
    {
        if (xShape.Rank != 4 || dy.Rank != 4 || dy.Shape != indices.Shape || dy.Shape[0] != xShape[0] || dy.Shape[1] != xShape[1])
            throw new ShapeException($"max_pool2d backward: dy {dy.Shape} and indices {indices.Shape} must be [N,C,P,Q] of input {xShape}");
        var dyc = ContiguousF32(dy, "max_pool2d backward");
        int planes = xShape[0] * xShape[1], HW = xShape[2] * xShape[3], PQ = dy.Shape[2] * dy.Shape[3];
        var dx = New(xShape, zero: true);
        float[] ds = F(dyc), xs = F(dx); var ids = indices.IsContiguous ? I(indices) : indices.ToIntArray();
        int io = indices.IsContiguous ? indices.Layout.Offset : 0, dof = dyc.Layout.Offset;
        Par.For(planes, (long)planes * PQ, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            for (int pl = p0; pl < p1; pl++)
                for (int i = 0; i < PQ; i++)
                {
                    int j = ids[io + pl * PQ + i];
                    if (j >= HW) throw new ArgumentException($"max_pool2d backward: index {j} is outside its plane of {HW} elements");
                    if (j >= 0) xs[pl * HW + j] += ds[dof + pl * PQ + i];
                }
        });
        DisposeIfTemp(dyc, dy);
        return dx;
    }

    public unsafe Tensor AvgPool2d(Tensor x, Pool2dArgs a)
    {
        a.OutputOf(x.Shape, "avg_pool2d");
        var xc = ContiguousF32(x, "avg_pool2d");
        int planes = x.Shape[0] * x.Shape[1], H = x.Shape[2], W = x.Shape[3], P = a.OutH(H), Q = a.OutW(W);
        var y = New(Shape.Wrap([x.Shape[0], x.Shape[1], P, Q]));
        float[] xs = F(xc), ys = F(y); int xo = xc.Layout.Offset;
        if (Pool.Pool2x2.Applies(a))
        {
            Par.For(planes, (long)planes * H * W, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
            {
                fixed (float* xp = xs, yp = ys)
                {
                    using var r0 = Checked.Region(xp, xs.Length, "avg_pool2d x"); using var r1 = Checked.Region(yp, ys.Length, "avg_pool2d y");
                    for (int pl = p0; pl < p1; pl++)
                        Pool.Pool2x2.AvgPlane(xp + xo + (long)pl * H * W, H, W, yp + (long)pl * P * Q);
                }
            });
            DisposeIfTemp(xc, x);
            return y;
        }
        Par.For(planes, (long)planes * P * Q * a.KernelH * a.KernelW, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            for (int pl = p0; pl < p1; pl++)
                for (int p = 0; p < P; p++)
                    for (int q = 0; q < Q; q++)
                    {
                        float s = 0;
                        for (int r = 0; r < a.KernelH; r++)
                        {
                            int h = p * a.StrideH - a.PadH + r;
                            if ((uint)h >= (uint)H) continue;
                            for (int u = 0; u < a.KernelW; u++)
                            {
                                int w = q * a.StrideW - a.PadW + u;
                                if ((uint)w >= (uint)W) continue;
                                s += xs[xo + (pl * H + h) * W + w];
                            }
                        }
                        ys[(pl * P + p) * Q + q] = s / a.Divisor(p, q, H, W);
                    }
        });
        DisposeIfTemp(xc, x);
        return y;
    }

    public unsafe Tensor AvgPool2dBackward(Tensor dy, Shape xShape, Pool2dArgs a)
    {
        var want = a.OutputOf(xShape, "avg_pool2d backward");
        if (dy.Shape != want) throw new ShapeException($"avg_pool2d backward: dy {dy.Shape} must have the output shape {want} of input {xShape} with {a}");
        var dyc = ContiguousF32(dy, "avg_pool2d backward");
        int planes = xShape[0] * xShape[1], H = xShape[2], W = xShape[3], P = dy.Shape[2], Q = dy.Shape[3];
        var dx = New(xShape, zero: true);
        float[] ds = F(dyc), xs = F(dx); int dof = dyc.Layout.Offset;
        if (Pool.Pool2x2.Applies(a))
        {
            Par.For(planes, (long)planes * H * W, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
            {
                fixed (float* dp = ds, xp = xs)
                {
                    using var r0 = Checked.Region(dp, ds.Length, "avg_pool2d dy"); using var r1 = Checked.Region(xp, xs.Length, "avg_pool2d dx");
                    for (int pl = p0; pl < p1; pl++)
                        Pool.Pool2x2.AvgBackwardPlane(dp + dof + (long)pl * P * Q, H, W, xp + (long)pl * H * W);
                }
            });
            DisposeIfTemp(dyc, dy);
            return dx;
        }
        Par.For(planes, (long)planes * P * Q * a.KernelH * a.KernelW, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            for (int pl = p0; pl < p1; pl++)
                for (int p = 0; p < P; p++)
                    for (int q = 0; q < Q; q++)
                    {
                        float g = ds[dof + (pl * P + p) * Q + q] / a.Divisor(p, q, H, W);
                        for (int r = 0; r < a.KernelH; r++)
                        {
                            int h = p * a.StrideH - a.PadH + r;
                            if ((uint)h >= (uint)H) continue;
                            for (int u = 0; u < a.KernelW; u++)
                            {
                                int w = q * a.StrideW - a.PadW + u;
                                if ((uint)w < (uint)W) xs[(pl * H + h) * W + w] += g;
                            }
                        }
                    }
        });
        DisposeIfTemp(dyc, dy);
        return dx;
    }
}
