using System.Runtime.CompilerServices;
using Engine.Kernels.Cpu;

namespace Engine.Kernels.Conv;

// Depthwise convolution (one input channel per group, Cg = 1): a direct SIMD kernel, since each output plane is a
// small stencil over one input plane and im2col would only add memory traffic to a memory-bound op.
// Shape letters: N batch, C in-channels, K out-channels (K = C*M, output k reads input channel c = k / M),
// H W input, R S kernel, P Q output. Stride 1 runs DepthwiseUnitStride (gathers only, fused backward); the code here
// is the general (strided) path. Each input plane is first copied into a zero-padded plane xp of
// (H + 2ph) x (W + 2pw), so the inner loops have no bounds checks:
//   y[n,k,p,q]  = b[k] + sum_{r,s} w[k,r,s] * xp[n,c, p*sh + r*dh, q*sw + s*dw]     (vectorized along q when sw = 1, at the width CpuSettings.Simd selects)
//   dw[k,r,s]   = sum_{n,p,q} dy[n,k,p,q] * xp[n,c, p*sh + r*dh, q*sw + s*dw]
//   dxp[n,c, p*sh + r*dh, q*sw + s*dw] += w[k,r,s] * dy[n,k,p,q];  dx = the interior of dxp
internal static unsafe class Depthwise
{
    /// <summary>The strides of a contiguous dy[N,K,P,Q].</summary>
    private static int[] DyStrides(in ConvShape g) => [g.K * g.P * g.Q, g.P * g.Q, g.Q, 1];

    /// <summary>Copies plane x[H,W] into the interior of the zeroed padded plane xp[Hp,Wp].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pad(float* x, in ConvShape g, in Conv2dArgs a, float* xp)
    {
        Mem.Writes(xp, (long)g.Hp * g.Wp); Mem.Reads(x, (long)g.H * g.W);
        new Span<float>(xp, g.Hp * g.Wp).Clear();
        for (int h = 0; h < g.H; h++)
            new ReadOnlySpan<float>(x + h * g.W, g.W).CopyTo(new Span<float>(xp + (h + a.PadH) * g.Wp + a.PadW, g.W));
    }

    public static void Forward(float* x, float* w, float* bias, float* y, ConvShape g)
    {
        var a = g.Args;
        if (DepthwiseUnitStride.Applies(a)) { DepthwiseUnitStride.Forward(x, w, bias, y, g); return; }
        nint xP = (nint)x, wP = (nint)w, bP = (nint)bias, yP = (nint)y;
        var level = CpuSettings.Simd;
        Par.For(g.N * g.C, (long)g.N * g.K * g.P * g.Q * g.R * g.S, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t0, t1) =>
        {
            fixed (float* xp = Scratch.Get(Scratch.Plane, (long)g.Hp * g.Wp))
                for (int t = t0; t < t1; t++)
                {
                    int n = t / g.C, c = t % g.C;
                    Pad((float*)xP + (long)t * g.H * g.W, g, a, xp);
                    for (int m = 0; m < g.M; m++)
                    {
                        int k = c * g.M + m;
                        float b = bP == 0 ? 0f : ((float*)bP)[k];
                        float* wk = (float*)wP + (long)k * g.R * g.S, yk = (float*)yP + ((long)n * g.K + k) * g.P * g.Q;
                        switch (level)
                        {
                            case SimdLevel.Avx512: PlaneForward<V512>(xp, wk, b, yk, g, a); break;
                            case SimdLevel.Avx2: PlaneForward<V256>(xp, wk, b, yk, g, a); break;
                            default: PlaneForward<S1>(xp, wk, b, yk, g, a); break;
                        }
                    }
                }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]

    private static void PlaneForward<T>(float* xp, float* w, float b, float* y, in ConvShape g, in Conv2dArgs a) where T : struct, ISimd<T>
    {
        int R = g.R, S = g.S, Q = g.Q, Wp = g.Wp;
        for (int p = 0; p < g.P; p++, y += Q)
        {
            float* row = xp + p * a.StrideH * Wp;
            int q = 0;
            if (a.StrideW == 1)
                for (; q <= Q - T.Count; q += T.Count)
                {
                    var acc = T.Create(b);
                    for (int r = 0; r < R; r++)
                    {
                        float* xr = row + r * a.DilationH * Wp + q; float* wr = w + r * S;
                        for (int s = 0; s < S; s++)
                            acc = T.Fma(Mem.L<T>(xr + s * a.DilationW), T.Create(wr[s]), acc);
                    }
                    Mem.S(acc, y + q);
                }
            if (q < Q) { Mem.Writes(y + q, Q - q); Mem.Reads(row + q * a.StrideW, (long)(R - 1) * a.DilationH * Wp + (long)(Q - 1 - q) * a.StrideW + (S - 1) * a.DilationW + 1); }
            for (; q < Q; q++)
            {
                float acc = b;
                for (int r = 0; r < R; r++)
                {
                    float* xr = row + r * a.DilationH * Wp + q * a.StrideW; float* wr = w + r * S;
                    for (int s = 0; s < S; s++) acc += xr[s * a.DilationW] * wr[s];
                }
                y[q] = acc;
            }
        }
    }

    /// <summary>dx[N,C,H,W] (overwritten) from dy and w.</summary>
    public static void BackwardInput(float* dy, float* w, float* dx, ConvShape g)
    {
        var a = g.Args;
        if (DepthwiseUnitStride.Applies(a))
        {
            DepthwiseUnitStride.Backward(dy, DyStrides(g), null, w, dx, null, null, g);
            return;
        }
        nint dyP = (nint)dy, wP = (nint)w, dxP = (nint)dx;
        var level = CpuSettings.Simd;
        Par.For(g.N * g.C, (long)g.N * g.K * g.P * g.Q * g.R * g.S, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t0, t1) =>
        {
            fixed (float* dxp = Scratch.Get(Scratch.Plane, (long)g.Hp * g.Wp))
                for (int t = t0; t < t1; t++)
                {
                    int n = t / g.C, c = t % g.C;
                    new Span<float>(dxp, g.Hp * g.Wp).Clear();
                    for (int m = 0; m < g.M; m++)
                    {
                        int k = c * g.M + m;
                        float* dyk = (float*)dyP + ((long)n * g.K + k) * g.P * g.Q, wk = (float*)wP + (long)k * g.R * g.S;
                        switch (level)
                        {
                            case SimdLevel.Avx512: PlaneBackwardInput<V512>(dyk, wk, dxp, g, a); break;
                            case SimdLevel.Avx2: PlaneBackwardInput<V256>(dyk, wk, dxp, g, a); break;
                            default: PlaneBackwardInput<S1>(dyk, wk, dxp, g, a); break;
                        }
                    }
                    float* dxn = (float*)dxP + (long)t * g.H * g.W;
                    Mem.Writes(dxn, (long)g.H * g.W); Mem.Reads(dxp, (long)g.Hp * g.Wp);
                    for (int h = 0; h < g.H; h++)
                        new ReadOnlySpan<float>(dxp + (h + a.PadH) * g.Wp + a.PadW, g.W).CopyTo(new Span<float>(dxn + h * g.W, g.W));
                }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]

    private static void PlaneBackwardInput<T>(float* dy, float* w, float* dxp, in ConvShape g, in Conv2dArgs a) where T : struct, ISimd<T>
    {
        int R = g.R, S = g.S, Q = g.Q, Wp = g.Wp;
        for (int p = 0; p < g.P; p++, dy += Q)
        {
            float* row = dxp + p * a.StrideH * Wp;
            for (int r = 0; r < R; r++)
            {
                float* dr = row + r * a.DilationH * Wp; float* wr = w + r * S;
                for (int s = 0; s < S; s++)
                {
                    float* d = dr + s * a.DilationW; float ws = wr[s];
                    int q = 0;
                    if (a.StrideW == 1)
                    {
                        var wv = T.Create(ws);
                        for (; q <= Q - T.Count; q += T.Count)
                            Mem.S(T.Fma(Mem.L<T>(dy + q), wv, Mem.L<T>(d + q)), d + q);
                    }
                    if (q < Q) { Mem.Reads(dy + q, Q - q); Mem.Writes(d + q * a.StrideW, (long)(Q - 1 - q) * a.StrideW + 1); }
                    for (; q < Q; q++) d[q * a.StrideW] += ws * dy[q];
                }
            }
        }
    }

    /// <summary>dw[K,1,R,S] (overwritten) from dy and x; output channels split over the cores.</summary>
    public static void BackwardWeight(float* dy, float* x, float* dw, ConvShape g)
    {
        var a = g.Args;
        if (DepthwiseUnitStride.Applies(a))
        {
            DepthwiseUnitStride.Backward(dy, DyStrides(g), x, null, null, dw, null, g);
            return;
        }
        nint dyP = (nint)dy, xP = (nint)x, dwP = (nint)dw;
        var level = CpuSettings.Simd;
        Par.For(g.C, (long)g.N * g.K * g.P * g.Q * g.R * g.S, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c0, c1) =>
        {
            int RS = g.R * g.S;
            Span<double> acc = stackalloc double[RS];
            fixed (float* xp = Scratch.Get(Scratch.Plane, (long)g.Hp * g.Wp))
                for (int c = c0; c < c1; c++)
                    for (int m = 0; m < g.M; m++)
                    {
                        int k = c * g.M + m;
                        acc.Clear();
                        for (int n = 0; n < g.N; n++)
                        {
                            // The padded plane is rebuilt per m; M is 1 in practice.
                            Pad((float*)xP + ((long)n * g.C + c) * g.H * g.W, g, a, xp);
                            float* dyk = (float*)dyP + ((long)n * g.K + k) * g.P * g.Q;
                            switch (level)
                            {
                                case SimdLevel.Avx512: PlaneBackwardWeight<V512>(dyk, xp, acc, g, a); break;
                                case SimdLevel.Avx2: PlaneBackwardWeight<V256>(dyk, xp, acc, g, a); break;
                                default: PlaneBackwardWeight<S1>(dyk, xp, acc, g, a); break;
                            }
                        }
                        Mem.Writes((float*)dwP + (long)k * RS, RS);
                        for (int i = 0; i < RS; i++) ((float*)dwP)[(long)k * RS + i] = (float)acc[i];
                    }
        });
    }

    /// <summary>acc[r*S + s] += sum_{p,q} dy[p,q] * xp[p*sh + r*dh, q*sw + s*dw] for one plane (float vectors per row, summed in double per plane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PlaneBackwardWeight<T>(float* dy, float* xp, Span<double> acc, in ConvShape g, in Conv2dArgs a) where T : struct, ISimd<T>
    {
        int R = g.R, S = g.S, Q = g.Q, Wp = g.Wp;
        for (int r = 0; r < R; r++)
            for (int s = 0; s < S; s++)
            {
                var v = T.Zero; float t = 0f;
                float* d = dy;
                for (int p = 0; p < g.P; p++, d += Q)
                {
                    float* xr = xp + (p * a.StrideH + r * a.DilationH) * Wp + s * a.DilationW;
                    int q = 0;
                    if (a.StrideW == 1)
                        for (; q <= Q - T.Count; q += T.Count) v = T.Fma(Mem.L<T>(d + q), Mem.L<T>(xr + q), v);
                    if (q < Q) { Mem.Reads(d + q, Q - q); Mem.Reads(xr + q * a.StrideW, (long)(Q - 1 - q) * a.StrideW + 1); }
                    for (; q < Q; q++) t += d[q] * xr[q * a.StrideW];
                }
                acc[r * S + s] += T.Sum(v) + t;
            }
    }
}
