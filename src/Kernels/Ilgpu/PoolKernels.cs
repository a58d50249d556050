using ILGPU;
using ILGPU.Algorithms;

namespace Engine.Kernels.Ilgpu;

/// <summary>Pooling geometry: input planes H x W, output P x Q (ceil mode already counted in), window KH x KW, stride,
/// padding, dilation DH x DW (max pooling only).</summary>
public struct PoolGeo
{
    public int H, W, P, Q, KH, KW, SH, SW, PH, PW, CountIncludePad, DH, DW;
}

/// <summary>
/// Max and average pooling over each [H, W] plane of x[N, C, H, W] (planes = N*C). Forward: one
/// thread per output. Average backward: one thread per input cell, gathering from the outputs whose window
/// covers it (p from ceil((h + PH - KH + 1) / SH) to floor((h + PH) / SH)), so no atomics are needed.
/// </summary>
internal static class PoolKernels
{
    public static void MaxForward(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<int> idx, PoolGeo g)
    {
        int q = i % g.Q, p = i / g.Q % g.P, plane = i / (g.P * g.Q);
        float best = float.NegativeInfinity; int bi = -1;
        for (int r = 0; r < g.KH; r++)
        {
            int h = p * g.SH - g.PH + r * g.DH;
            if (h < 0 || h >= g.H) continue;
            for (int s = 0; s < g.KW; s++)
            {
                int w = q * g.SW - g.PW + s * g.DW;
                if (w < 0 || w >= g.W) continue;
                float v = x[((long)plane * g.H + h) * g.W + w];
                if (v > best || bi < 0 || XMath.IsNaN(v)) { best = v; bi = h * g.W + w; }
            }
        }
        y[i] = best; idx[i] = bi;
    }

    /// <summary>
    /// Max-pool gradient, one thread per output: dx[plane, idx] += dy (atomic, since overlapping windows
    /// may pick the same cell; the backward gets no window geometry to gather with).
    /// </summary>
    public static void MaxBackward(Index1D i, ArrayView<float> dy, ArrayView<int> idx, ArrayView<float> dx, int planeIn, int planeOut)
    {
        int j = idx[i];
        if (j >= 0) { int o = i; Atomic.Add(ref dx[(long)(o / planeOut) * planeIn + j], dy[i]); }
    }

    public static void AvgForward(Index1D i, ArrayView<float> x, ArrayView<float> y, PoolGeo g)
    {
        int q = i % g.Q, p = i / g.Q % g.P, plane = i / (g.P * g.Q);
        float sum = 0;
        for (int r = 0; r < g.KH; r++)
        {
            int h = p * g.SH - g.PH + r;
            if (h < 0 || h >= g.H) continue;
            for (int s = 0; s < g.KW; s++)
            {
                int w = q * g.SW - g.PW + s;
                if (w < 0 || w >= g.W) continue;
                sum += x[((long)plane * g.H + h) * g.W + w];
            }
        }
        y[i] = sum / Divisor(g, p, q);
    }

    public static void AvgBackward(Index1D i, ArrayView<float> dy, ArrayView<float> dx, PoolGeo g)
    {
        int w = i % g.W, h = i / g.W % g.H, plane = i / (g.W * g.H);
        int p0 = FirstWindow(h + g.PH, g.KH, g.SH), p1 = XMin((h + g.PH) / g.SH, g.P - 1);
        int q0 = FirstWindow(w + g.PW, g.KW, g.SW), q1 = XMin((w + g.PW) / g.SW, g.Q - 1);
        float sum = 0;
        for (int p = p0; p <= p1; p++)
            for (int q = q0; q <= q1; q++)
                sum += dy[((long)plane * g.P + p) * g.Q + q] / Divisor(g, p, q);
        dx[i] = sum;
    }

    /// <summary>The first window index whose span [p*S, p*S + K) contains position x (padded coordinates).</summary>
    private static int FirstWindow(int x, int k, int s)
    {
        int lo = x - k + 1;
        return lo <= 0 ? 0 : (lo + s - 1) / s;
    }

    private static int XMin(int a, int b) => a < b ? a : b;
    private static int XMax(int a, int b) => a > b ? a : b;

    /// <summary>PyTorch's divisor: the window clipped to the padded input when padding counts, else the valid cells.</summary>
    private static float Divisor(PoolGeo g, int p, int q)
    {
        int h0 = p * g.SH - g.PH, w0 = q * g.SW - g.PW;
        if (g.CountIncludePad != 0)
            return (XMin(h0 + g.KH, g.H + g.PH) - h0) * (XMin(w0 + g.KW, g.W + g.PW) - w0);
        int cnt = (XMin(h0 + g.KH, g.H) - XMax(h0, 0)) * (XMin(w0 + g.KW, g.W) - XMax(w0, 0));
        return cnt < 1 ? 1 : cnt;
    }
}
