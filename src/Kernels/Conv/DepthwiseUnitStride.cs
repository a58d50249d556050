using System.Runtime.CompilerServices;
using Engine.Kernels.Cpu;

namespace Engine.Kernels.Conv;

// Depthwise convolution with stride 1 (any kernel size, padding, dilation, channel multiplier M; K = C*M, output
// channel k reads input channel c = k / M). Shape letters as in Depthwise. With stride 1 the input gradient is itself a
// gather, the forward stencil run over dy with the kernel flipped:
//   dx[n,c,h,w] = sum_{m,r,s} w[k, R-1-r, S-1-s] * dy[n,k, h - (dh*(R-1) - ph) + r*dh, w - (dw*(S-1) - pw) + s*dw]
// so every output is written once (no read-modify-write of a padded dx, no copy out). The backward pass is fused:
// per (n, c) plane, dy is copied once into a zero-bordered buffer (summed on the way for the bias gradient; read in
// place from any strides, so the expanded gradient of a sum is never materialized), then the input gradient and the
// 9 (R*S) weight-gradient taps are computed from that L1-resident copy: dy and x leave memory once each.
internal static unsafe class DepthwiseUnitStride
{
    public static bool Applies(in Conv2dArgs a) => a.StrideH == 1 && a.StrideW == 1;

    /// <summary>x padded by (ph, pw); the stencil reads rows p + r*dh and columns q + s*dw up to a vector past Q.</summary>
    private static PaddedPlane XPlane(in ConvShape g, in Conv2dArgs a, int lanes) =>
        new(g.H, g.W, a.PadH, a.PadW, g.H + 2 * a.PadH, PaddedPlane.UpLanes(g.Q, lanes) + (g.S - 1) * a.DilationW);

    /// <summary>
    /// dy placed so that the flipped-kernel gather for dx reads from Origin (padding dh*(R-1) - ph, which is negative,
    /// a crop, when ph exceeds the kernel's reach) and the weight taps read dy itself at (Top, Left).
    /// </summary>
    private static (PaddedPlane Plane, int Origin) DyPlane(in ConvShape g, in Conv2dArgs a, int lanes)
    {
        int padT = a.DilationH * (g.R - 1) - a.PadH, padL = a.DilationW * (g.S - 1) - a.PadW;
        int top = Math.Max(0, padT), left = Math.Max(0, padL), row0 = top - padT, col0 = left - padL;
        int rows = Math.Max(top + g.P, row0 + g.H + (g.R - 1) * a.DilationH);
        int ld = Math.Max(left + PaddedPlane.UpLanes(g.Q, lanes), col0 + PaddedPlane.UpLanes(g.W, lanes) + (g.S - 1) * a.DilationW);
        return (new PaddedPlane(g.P, g.Q, top, left, rows, ld), row0 * ld + col0);
    }

    /// <summary>y[N,K,P,Q] (overwritten) = depthwise conv of x[N,C,H,W] with w[K,1,R,S], plus bias[K] when not null.</summary>
    public static void Forward(float* x, float* w, float* bias, float* y, ConvShape g)
    {
        switch (CpuSettings.Simd)
        {
            case SimdLevel.Avx512: Forward<V512>(x, w, bias, y, g); break;
            case SimdLevel.Avx2: Forward<V256>(x, w, bias, y, g); break;
            default: Forward<S1>(x, w, bias, y, g); break;
        }
    }

    private static void Forward<T>(float* x, float* w, float* bias, float* y, ConvShape g) where T : struct, ISimd<T>
    {
        var a = g.Args;
        var xpl = XPlane(g, a, T.Count);
        int RS = g.R * g.S, dh = a.DilationH, dw = a.DilationW;
        nint xP = (nint)x, wP = (nint)w, bP = (nint)bias, yP = (nint)y;
        Par.For(g.N * g.C, (long)g.N * g.K * g.P * g.Q * RS, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t0, t1) =>
        {
            fixed (float* buf = Scratch.Get(Scratch.Plane, xpl.Size))
            {
                xpl.Clear(buf);
                for (int t = t0; t < t1; t++)
                {
                    int n = t / g.C, c = t % g.C;
                    xpl.CopyIn((float*)xP + (long)t * g.H * g.W, g.W, 1, buf, false);
                    for (int m = 0; m < g.M; m++)
                    {
                        int k = c * g.M + m;
                        float b = bP == 0 ? 0f : ((float*)bP)[k];
                        DepthwiseTaps.Gather<T>(buf, xpl.Ld, (float*)wP + (long)k * RS, g.R, g.S, dh, dw, b,
                            (float*)yP + ((long)n * g.K + k) * g.P * g.Q, g.P, g.Q, add: false);
                    }
                }
            }
        });
    }

    /// <summary>
    /// The gradients that are asked for (a null output is skipped): dx[N,C,H,W], dw[K,1,R,S], db[K], all overwritten,
    /// from dy (element (n,k,p,q) at dy[n*dyStrides[0] + k*dyStrides[1] + p*dyStrides[2] + q*dyStrides[3]]), x
    /// (contiguous; needed for dw) and w (contiguous; needed for dx). The weight and bias sums run in float over one
    /// plane and in double across planes; each thread owns whole channels of one slice of the batch, and the slices'
    /// partial sums are added in a fixed order, so the result does not depend on the core count.
    /// </summary>
    public static void Backward(float* dy, ReadOnlySpan<int> dyStrides, float* x, float* w, float* dx, float* dwOut, float* db,
        ConvShape g)
    {
        switch (CpuSettings.Simd)
        {
            case SimdLevel.Avx512: Backward<V512>(dy, dyStrides, x, w, dx, dwOut, db, g); break;
            case SimdLevel.Avx2: Backward<V256>(dy, dyStrides, x, w, dx, dwOut, db, g); break;
            default: Backward<S1>(dy, dyStrides, x, w, dx, dwOut, db, g); break;
        }
    }

    private static void Backward<T>(float* dy, ReadOnlySpan<int> dyStrides, float* x, float* w, float* dx, float* dwOut, float* db,
        ConvShape g) where T : struct, ISimd<T>
    {
        var a = g.Args;
        int RS = g.R * g.S, dh = a.DilationH, dwl = a.DilationW;
        var xpl = XPlane(g, a, T.Count);
        var (dpl, origin) = DyPlane(g, a, T.Count);
        long sN = dyStrides[0], sK = dyStrides[1], sP = dyStrides[2], sQ = dyStrides[3];
        bool needDx = dx != null, needDw = dwOut != null, needDb = db != null;

        // The flipped kernel, wf[k, r, s] = w[k, R-1-r, S-1-s], for the input-gradient gather.
        var wf = Scratch.Get(Scratch.FlippedTaps, needDx ? (long)g.K * RS : 0);
        for (int k = 0; needDx && k < g.K; k++)
            for (int i = 0; i < RS; i++) wf[k * RS + i] = w[(long)k * RS + RS - 1 - i];

        // Batch slices: enough (channel, slice) tasks to keep the cores busy when there are few channels; the count
        // depends on the shape only. part[slice, k, 0..RS) holds the weight taps, part[slice, k, RS] the bias sum.
        int slices = Math.Max(1, Math.Min(g.N, (64 + g.C - 1) / g.C)), stride = RS + 1;
        var part = Scratch.Doubles((needDw || needDb) ? (long)slices * g.K * stride : 0);
        nint dyP = (nint)dy, xP = (nint)x, dxP = (nint)dx;
        Par.For(g.C * slices, (long)g.N * g.K * g.P * g.Q * RS * 2, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t0, t1) =>
        {
            fixed (float* xb = Scratch.Get(Scratch.Plane, needDw ? xpl.Size : 0), yb = Scratch.Get(Scratch.Plane2, dpl.Size), wfp = wf)
            fixed (double* pp = part)
            {
                if (needDw) xpl.Clear(xb);
                dpl.Clear(yb);
                float* dyAt = yb + dpl.Top * dpl.Ld + dpl.Left;
                float* last = null; double lastSum = 0;
                for (int t = t0; t < t1; t++)
                {
                    int c = t / slices, sl = t % slices;
                    int n0 = (int)((long)g.N * sl / slices), n1 = (int)((long)g.N * (sl + 1) / slices);
                    for (int n = n0; n < n1; n++)
                    {
                        long plane = ((long)n * g.C + c) * g.H * g.W;
                        if (needDw) xpl.CopyIn((float*)xP + plane, g.W, 1, xb, false);
                        for (int m = 0; m < g.M; m++)
                        {
                            int k = c * g.M + m;
                            double* acc = pp + ((long)sl * g.K + k) * stride;
                            // Planes that share their source (stride 0 over N or K: the expanded gradient of a sum)
                            // are copied once per chunk.
                            float* src = (float*)dyP + n * sN + k * sK;
                            if (src != last) { lastSum = dpl.CopyIn(src, sP, sQ, yb, needDb); last = src; }
                            if (needDb) acc[RS] += lastSum;
                            if (needDx)
                                DepthwiseTaps.Gather<T>(yb + origin, dpl.Ld, wfp + (long)k * RS, g.R, g.S, dh, dwl, 0f,
                                    (float*)dxP + plane, g.H, g.W, add: m > 0);
                            if (needDw) DepthwiseTaps.WeightTaps<T>(dyAt, dpl.Ld, xb, xpl.Ld, g.R, g.S, dh, dwl, g.P, g.Q, acc);
                        }
                    }
                }
            }
        });

        for (int k = 0; k < g.K; k++)
            for (int i = 0; i < stride; i++)
            {
                if (i < RS ? !needDw : !needDb) continue;
                double s = 0;
                for (int sl = 0; sl < slices; sl++) s += part[((long)sl * g.K + k) * stride + i];
                if (i < RS) dwOut[(long)k * RS + i] = (float)s;
                else db[k] = (float)s;
            }
    }
}
