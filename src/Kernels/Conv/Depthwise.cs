using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Engine.Kernels.Cpu;

namespace Engine.Kernels.Conv;

// Depthwise convolution (one input channel per group, Cg = 1): a direct SIMD kernel, since each output plane is a
// small stencil over one input plane and im2col would only add memory traffic to a memory-bound op.
// Shape letters: N batch, C in-channels, K out-channels (K = C*M, output k reads input channel c = k / M),
// H W input, R S kernel, P Q output. Stride 1 runs DepthwiseUnitStride (gathers only, fused backward); the code here
// is the general (strided) path. Each input plane is first copied into a zero-padded plane xp of
// (H + 2ph) x (W + 2pw), so the inner loops have no bounds checks:
//   y[n,k,p,q]  = b[k] + sum_{r,s} w[k,r,s] * xp[n,c, p*sh + r*dh, q*sw + s*dw]     (vectorized along q when sw = 1)
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
                        PlaneForward(xp, (float*)wP + (long)k * g.R * g.S, b, (float*)yP + ((long)n * g.K + k) * g.P * g.Q, g, a);
                    }
                }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]

    private static void PlaneForward(float* xp, float* w, float b, float* y, in ConvShape g, in Conv2dArgs a)
    {
        int R = g.R, S = g.S, Q = g.Q, Wp = g.Wp;
        for (int p = 0; p < g.P; p++, y += Q)
        {
            float* row = xp + p * a.StrideH * Wp;
            int q = 0;
            if (a.StrideW == 1)
                for (; q <= Q - 8; q += 8)
                {
                    var acc = Vector256.Create(b);
                    for (int r = 0; r < R; r++)
                    {
                        float* xr = row + r * a.DilationH * Wp + q; float* wr = w + r * S;
                        for (int s = 0; s < S; s++)
                            acc = Vector256.FusedMultiplyAdd(Mem.Load(xr + s * a.DilationW), Vector256.Create(wr[s]), acc);
                    }
                    Mem.Store(acc, y + q);
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
                        PlaneBackwardInput((float*)dyP + ((long)n * g.K + k) * g.P * g.Q, (float*)wP + (long)k * g.R * g.S, dxp, g, a);
                    }
                    float* dxn = (float*)dxP + (long)t * g.H * g.W;
                    Mem.Writes(dxn, (long)g.H * g.W); Mem.Reads(dxp, (long)g.Hp * g.Wp);
                    for (int h = 0; h < g.H; h++)
                        new ReadOnlySpan<float>(dxp + (h + a.PadH) * g.Wp + a.PadW, g.W).CopyTo(new Span<float>(dxn + h * g.W, g.W));
                }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]

    private static void PlaneBackwardInput(float* dy, float* w, float* dxp, in ConvShape g, in Conv2dArgs a)
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
                        var wv = Vector256.Create(ws);
                        for (; q <= Q - 8; q += 8)
                            Mem.Store(Vector256.FusedMultiplyAdd(Mem.Load(dy + q), wv, Mem.Load(d + q)), d + q);
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
                            PlaneBackwardWeight((float*)dyP + ((long)n * g.K + k) * g.P * g.Q, xp, acc, g, a);
                        }
                        Mem.Writes((float*)dwP + (long)k * RS, RS);
                        for (int i = 0; i < RS; i++) ((float*)dwP)[(long)k * RS + i] = (float)acc[i];
                    }
        });
    }

    /// <summary>acc[r*S + s] += sum_{p,q} dy[p,q] * xp[p*sh + r*dh, q*sw + s*dw] for one plane (float vectors per row, summed in double per plane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PlaneBackwardWeight(float* dy, float* xp, Span<double> acc, in ConvShape g, in Conv2dArgs a)
    {
        int R = g.R, S = g.S, Q = g.Q, Wp = g.Wp;
        for (int r = 0; r < R; r++)
            for (int s = 0; s < S; s++)
            {
                var v = Vector256<float>.Zero; float t = 0f;
                float* d = dy;
                for (int p = 0; p < g.P; p++, d += Q)
                {
                    float* xr = xp + (p * a.StrideH + r * a.DilationH) * Wp + s * a.DilationW;
                    int q = 0;
                    if (a.StrideW == 1)
                        for (; q <= Q - 8; q += 8) v = Vector256.FusedMultiplyAdd(Mem.Load(d + q), Mem.Load(xr + q), v);
                    if (q < Q) { Mem.Reads(d + q, Q - q); Mem.Reads(xr + q * a.StrideW, (long)(Q - 1 - q) * a.StrideW + 1); }
                    for (; q < Q; q++) t += d[q] * xr[q * a.StrideW];
                }
                acc[r * S + s] += Vector256.Sum(v) + t;
            }
    }
}
