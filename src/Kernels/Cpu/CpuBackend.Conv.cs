namespace Engine.Kernels.Cpu;

// Direct convolution, the naive reference. Shape letters: N batch, C in-channels, K out-channels,
// H W input, R S kernel, P Q output, G groups (Cg = C/G, Kg = K/G channels per group).
//   y[n,k,p,q] = b[k] + sum_{c<Cg,r,s} x[n, g*Cg+c, p*sh-ph+r*dh, q*sw-pw+s*dw] * w[k,c,r,s],  g = k / Kg
// The fast kernels (packed GEMM / depthwise SIMD) replace these per shape and are tested against them.
public sealed partial class CpuBackend
{
    public Tensor Conv2d(Tensor x, Tensor w, Tensor? bias, Conv2dArgs a) => ConvNaive.Forward(this, x, w, bias, a);
    public Tensor Conv2dBackwardInput(Tensor dy, Tensor w, Shape xShape, Conv2dArgs a) => ConvNaive.BackwardInput(this, dy, w, xShape, a);
    public Tensor Conv2dBackwardWeight(Tensor dy, Tensor x, Shape wShape, Conv2dArgs a) => ConvNaive.BackwardWeight(this, dy, x, wShape, a);
}

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
