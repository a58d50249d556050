namespace Engine.Kernels.Cpu;

// Convolution dispatch to the fast kernels of src/Kernels/Conv (im2col or implicit GEMM, direct depthwise); at the
// bottom of this file ConvNaive, the direct seven-loop reference they are tested against.
// Shape letters as in ConvShape: N batch, C in-channels, K out-channels, H W input, R S kernel, P Q output,
// G groups (Cg = C/G, Kg = K/G channels per group).
//   y[n,k,p,q] = b[k] + sum_{c<Cg,r,s} x[n, g*Cg+c, p*sh-ph+r*dh, q*sw-pw+s*dw] * w[k,c,r,s],  g = k / Kg
public sealed partial class CpuBackend
{
    /// <summary>Which kernel runs a convolution: the direct depthwise kernel when each group has one input channel, else im2col + packed GEMM.</summary>
    internal enum ConvAlgo { Gemm, Depthwise }

    internal static ConvAlgo ChooseConv(Shape w, Conv2dArgs a) => w[1] == 1 && a.Groups > 1 ? ConvAlgo.Depthwise : ConvAlgo.Gemm;

    /// <summary>
    /// The fast kernels index raw memory without bounds checks: every entry resolves and validates the geometry
    /// (<see cref="ConvShape.Of"/>) and the shapes of the tensors it was handed, whoever calls it.
    /// </summary>
    private static ConvShape CheckFits(Shape x, Shape w, Conv2dArgs a, string op, Tensor? bias = null, Tensor? dy = null)
    {
        var g = ConvShape.Of(x, w, a, op, bias?.Shape);
        if (dy != null) g.CheckOutput(dy.Shape, op);
        return g;
    }

    /// <summary>The checked build's registration of a tensor's pinned array (its whole storage).</summary>
    private static unsafe Checked.Pin Region(float* p, Tensor? t, string what) => t == null ? default : Checked.Region(p, F(t).Length, what);

    public unsafe Tensor Conv2d(Tensor x, Tensor w, Tensor? bias, Conv2dArgs a)
    {
        var g = CheckFits(x.Shape, w.Shape, a, "conv2d", bias);
        var xc = ContiguousF32(x, "conv2d"); var wc = ContiguousF32(w, "conv2d");
        var bc = bias == null ? null : ContiguousF32(bias, "conv2d");
        var y = New(Shape.Wrap([x.Shape[0], w.Shape[0], a.OutH(x.Shape[2], w.Shape[2]), a.OutW(x.Shape[3], w.Shape[3])]));
        fixed (float* xs = F(xc), ws = F(wc), bs = bc == null ? null : F(bc), ys = F(y))
        {
            using var r0 = Region(xs, xc, "conv2d x"); using var r1 = Region(ws, wc, "conv2d w");
            using var r2 = Region(bs, bc, "conv2d bias"); using var r3 = Region(ys, y, "conv2d y");
            float* bp = bc == null ? null : bs + bc.Layout.Offset;
            if (ChooseConv(w.Shape, a) == ConvAlgo.Depthwise)
                Conv.Depthwise.Forward(xs + xc.Layout.Offset, ws + wc.Layout.Offset, bp, ys, g);
            else
                Conv.ConvGemm.Forward(xs + xc.Layout.Offset, ws + wc.Layout.Offset, bp, ys, g);
        }
        DisposeIfTemp(xc, x); DisposeIfTemp(wc, w);
        if (bc != null) DisposeIfTemp(bc, bias!);
        return y;
    }

    public unsafe Tensor Conv2dBackwardInput(Tensor dy, Tensor w, Shape xShape, Conv2dArgs a)
    {
        var g = CheckFits(xShape, w.Shape, a, "conv2d backward", dy: dy);
        var dyc = ContiguousF32(dy, "conv2d backward"); var wc = ContiguousF32(w, "conv2d backward");
        var dx = New(xShape);
        fixed (float* ds = F(dyc), ws = F(wc), xs = F(dx))
        {
            using var r0 = Region(ds, dyc, "conv2d dy"); using var r1 = Region(ws, wc, "conv2d w"); using var r2 = Region(xs, dx, "conv2d dx");
            if (ChooseConv(w.Shape, a) == ConvAlgo.Depthwise)
                Conv.Depthwise.BackwardInput(ds + dyc.Layout.Offset, ws + wc.Layout.Offset, xs, g);
            else
                Conv.ConvGemm.BackwardInput(ds + dyc.Layout.Offset, ws + wc.Layout.Offset, xs, g);
        }
        DisposeIfTemp(dyc, dy); DisposeIfTemp(wc, w);
        return dx;
    }

    public unsafe Tensor Conv2dBackwardWeight(Tensor dy, Tensor x, Shape wShape, Conv2dArgs a)
    {
        var g = CheckFits(x.Shape, wShape, a, "conv2d backward", dy: dy);
        var dyc = ContiguousF32(dy, "conv2d backward"); var xc = ContiguousF32(x, "conv2d backward");
        var dw = New(wShape);
        fixed (float* ds = F(dyc), xs = F(xc), ws = F(dw))
        {
            using var r0 = Region(ds, dyc, "conv2d dy"); using var r1 = Region(xs, xc, "conv2d x"); using var r2 = Region(ws, dw, "conv2d dw");
            if (ChooseConv(wShape, a) == ConvAlgo.Depthwise)
                Conv.Depthwise.BackwardWeight(ds + dyc.Layout.Offset, xs + xc.Layout.Offset, ws, g);
            else
                Conv.ConvGemm.BackwardWeight(ds + dyc.Layout.Offset, xs + xc.Layout.Offset, ws, g);
        }
        DisposeIfTemp(dyc, dy); DisposeIfTemp(xc, x);
        return dw;
    }

    /// <summary>
    /// All asked-for gradients of a convolution. Unit-stride depthwise runs the fused kernel (one pass over dy, read in
    /// place whatever its strides); the rest materializes dy once and runs the separate kernels.
    /// </summary>
    public unsafe (Tensor? dx, Tensor? dw, Tensor? db) Conv2dBackward(Tensor dy, Tensor x, Tensor w, Conv2dArgs a, bool needDx, bool needDw, bool needDb)
    {
        var g = CheckFits(x.Shape, w.Shape, a, "conv2d backward", dy: dy);
        CheckDevice(dy, "conv2d backward");
        bool fused = ChooseConv(w.Shape, a) == ConvAlgo.Depthwise && Conv.DepthwiseUnitStride.Applies(a)
                     && dy.DType == DType.Float32 && x.DType == DType.Float32 && w.DType == DType.Float32;
        if (!fused)
        {
            var dyc = ContiguousF32(dy, "conv2d backward");
            var r = (needDx ? Conv2dBackwardInput(dyc, w, x.Shape, a) : null,
                     needDw ? Conv2dBackwardWeight(dyc, x, w.Shape, a) : null,
                     needDb ? Reduce(ReduceKind.Sum, dy.DType == DType.Float32 ? dyc : dy, [0, 2, 3], false) : null);
            DisposeIfTemp(dyc, dy);
            return r;
        }
        var xc = needDw ? ContiguousF32(x, "conv2d backward") : null;
        var wc = needDx ? ContiguousF32(w, "conv2d backward") : null;
        var dx = needDx ? New(x.Shape) : null;
        var dw = needDw ? New(w.Shape) : null;
        var db = needDb ? New(Shape.Wrap([w.Shape[0]])) : null;
        fixed (float* dys = F(dy), xs = xc == null ? null : F(xc), ws = wc == null ? null : F(wc))
        fixed (float* dxs = dx == null ? null : F(dx), dws = dw == null ? null : F(dw), dbs = db == null ? null : F(db))
        {
            using var r0 = Region(dys, dy, "conv2d dy"); using var r1 = Region(xs, xc, "conv2d x"); using var r2 = Region(ws, wc, "conv2d w");
            using var r3 = Region(dxs, dx, "conv2d dx"); using var r4 = Region(dws, dw, "conv2d dw"); using var r5 = Region(dbs, db, "conv2d db");
            Conv.DepthwiseUnitStride.Backward(dys + dy.Layout.Offset, dy.Layout.Strides, xc == null ? null : xs + xc.Layout.Offset,
                wc == null ? null : ws + wc.Layout.Offset, dxs, dws, dbs, g);
        }
        if (xc != null) DisposeIfTemp(xc, x);
        if (wc != null) DisposeIfTemp(wc, w);
        return (dx, dw, db);
    }
}

/// <summary>The direct seven-loop convolution: slow, obviously right, and the reference the fast kernels are tested against.</summary>
internal static class ConvNaive
{
    public static Tensor Forward(CpuBackend be, Tensor x, Tensor w, Tensor? bias, Conv2dArgs a)
    {
        var xc = be.ContiguousF32(x, "conv2d"); var wc = be.ContiguousF32(w, "conv2d");
        var bc = bias == null ? null : be.ContiguousF32(bias, "conv2d");
        int N = x.Shape[0], C = x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        int K = w.Shape[0], Cg = w.Shape[1], R = w.Shape[2], S = w.Shape[3], G = a.Groups, Kg = K / G;
        int P = a.OutH(H, R), Q = a.OutW(W, S);
        var y = be.New(Shape.Wrap([N, K, P, Q]));
        float[] xs = CpuBackend.F(xc), ws = CpuBackend.F(wc), ys = CpuBackend.F(y);
        float[]? bs = bc == null ? null : CpuBackend.F(bc);
        int xo = xc.Layout.Offset, wo = wc.Layout.Offset, bo = bc?.Layout.Offset ?? 0;
        Par.For(N * K, (long)N * K * P * Q * Cg * R * S, (t0, t1) =>
        {
            for (int t = t0; t < t1; t++)
            {
                int n = t / K, k = t % K, g = k / Kg;
                for (int p = 0; p < P; p++)
                    for (int q = 0; q < Q; q++)
                    {
                        float s = bs == null ? 0f : bs[bo + k];
                        for (int c = 0; c < Cg; c++)
                            for (int r = 0; r < R; r++)
                            {
                                int h = p * a.StrideH - a.PadH + r * a.DilationH;
                                if ((uint)h >= (uint)H) continue;
                                for (int u = 0; u < S; u++)
                                {
                                    int ww = q * a.StrideW - a.PadW + u * a.DilationW;
                                    if ((uint)ww >= (uint)W) continue;
                                    s += xs[xo + ((n * C + g * Cg + c) * H + h) * W + ww] * ws[wo + ((k * Cg + c) * R + r) * S + u];
                                }
                            }
                        ys[((n * K + k) * P + p) * Q + q] = s;
                    }
            }
        });
        CpuBackend.DisposeIfTemp(xc, x); CpuBackend.DisposeIfTemp(wc, w);
        if (bc != null) CpuBackend.DisposeIfTemp(bc, bias!);
        return y;
    }

    public static Tensor BackwardInput(CpuBackend be, Tensor dy, Tensor w, Shape xShape, Conv2dArgs a)
    {
        var dyc = be.ContiguousF32(dy, "conv2d backward"); var wc = be.ContiguousF32(w, "conv2d backward");
        int N = xShape[0], C = xShape[1], H = xShape[2], W = xShape[3];
        int K = w.Shape[0], Cg = w.Shape[1], R = w.Shape[2], S = w.Shape[3], G = a.Groups, Kg = K / G;
        int P = dy.Shape[2], Q = dy.Shape[3];
        var dx = be.New(xShape, zero: true);
        float[] ds = CpuBackend.F(dyc), ws = CpuBackend.F(wc), xs = CpuBackend.F(dx);
        int dof = dyc.Layout.Offset, wo = wc.Layout.Offset;
        Par.For(N, (long)N * K * P * Q * Cg * R * S, (n0, n1) =>
        {
            for (int n = n0; n < n1; n++)
                for (int k = 0; k < K; k++)
                {
                    int g = k / Kg;
                    for (int p = 0; p < P; p++)
                        for (int q = 0; q < Q; q++)
                        {
                            float d = ds[dof + ((n * K + k) * P + p) * Q + q];
                            if (d == 0) continue;
                            for (int c = 0; c < Cg; c++)
                                for (int r = 0; r < R; r++)
                                {
                                    int h = p * a.StrideH - a.PadH + r * a.DilationH;
                                    if ((uint)h >= (uint)H) continue;
                                    for (int u = 0; u < S; u++)
                                    {
                                        int ww = q * a.StrideW - a.PadW + u * a.DilationW;
                                        if ((uint)ww >= (uint)W) continue;
                                        xs[((n * C + g * Cg + c) * H + h) * W + ww] += d * ws[wo + ((k * Cg + c) * R + r) * S + u];
                                    }
                                }
                        }
                }
        });
        CpuBackend.DisposeIfTemp(dyc, dy); CpuBackend.DisposeIfTemp(wc, w);
        return dx;
    }

    public static Tensor BackwardWeight(CpuBackend be, Tensor dy, Tensor x, Shape wShape, Conv2dArgs a)
    {
        var dyc = be.ContiguousF32(dy, "conv2d backward"); var xc = be.ContiguousF32(x, "conv2d backward");
        int N = x.Shape[0], C = x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        int K = wShape[0], Cg = wShape[1], R = wShape[2], S = wShape[3], G = a.Groups, Kg = K / G;
        int P = dy.Shape[2], Q = dy.Shape[3];
        var dw = be.New(wShape, zero: true);
        float[] ds = CpuBackend.F(dyc), xs = CpuBackend.F(xc), ws = CpuBackend.F(dw);
        int dof = dyc.Layout.Offset, xo = xc.Layout.Offset;
        Par.For(K, (long)N * K * P * Q * Cg * R * S, (k0, k1) =>
        {
            for (int k = k0; k < k1; k++)
            {
                int g = k / Kg;
                for (int c = 0; c < Cg; c++)
                    for (int r = 0; r < R; r++)
                        for (int u = 0; u < S; u++)
                        {
                            double s = 0;
                            for (int n = 0; n < N; n++)
                                for (int p = 0; p < P; p++)
                                {
                                    int h = p * a.StrideH - a.PadH + r * a.DilationH;
                                    if ((uint)h >= (uint)H) continue;
                                    for (int q = 0; q < Q; q++)
                                    {
                                        int ww = q * a.StrideW - a.PadW + u * a.DilationW;
                                        if ((uint)ww >= (uint)W) continue;
                                        s += ds[dof + ((n * K + k) * P + p) * Q + q] * xs[xo + ((n * C + g * Cg + c) * H + h) * W + ww];
                                    }
                                }
                            ws[((k * Cg + c) * R + r) * S + u] = (float)s;
                        }
            }
        });
        CpuBackend.DisposeIfTemp(dyc, dy); CpuBackend.DisposeIfTemp(xc, x);
        return dw;
    }
}
