using ILGPU;
using ILGPU.Algorithms;

namespace Engine.Kernels.Ilgpu;

/// <summary>
/// Row reductions with one thread per row, for short rows (n at most <see cref="MaxRow"/>), where a
/// thread group per row would leave most of its threads idle: class scores, the reduced batch dim of
/// a bias gradient. Same results and NaN/tie rules as <see cref="ReduceKernels"/>.
/// </summary>
internal static class RowKernels
{
    public const int MaxRow = 64;

    public static void Rows(Index1D row, ArrayView<float> x, ArrayView<float> y, int n, int kind)
    {
        long b = (long)(int)row * n;
        float acc = kind == 0 ? 0f : kind == 1 ? float.NegativeInfinity : float.PositiveInfinity;
        bool nan = false;
        for (int i = 0; i < n; i++)
        {
            float v = x[b + i];
            nan |= XMath.IsNaN(v);
            acc = kind == 0 ? acc + v : kind == 1 ? XMath.Max(acc, v) : XMath.Min(acc, v);
        }
        y[row] = nan ? float.NaN : acc;
    }

    public static void ArgRows(Index1D row, ArrayView<float> x, ArrayView<int> y, int n, int max)
    {
        long b = (long)(int)row * n;
        float bv = x[b]; int bi = 0;
        for (int i = 1; i < n; i++)
        {
            float v = x[b + i];
            bool vn = XMath.IsNaN(v), bn = XMath.IsNaN(bv);
            bool better = vn || bn ? vn && !bn : max != 0 ? v > bv : v < bv;
            if (better) { bv = v; bi = i; }
        }
        y[row] = bi;
    }

    public static void Softmax(Index1D row, ArrayView<float> x, ArrayView<float> y, int n, int log)
    {
        long b = (long)(int)row * n;
        float m = float.NegativeInfinity;
        for (int i = 0; i < n; i++) m = XMath.Max(m, x[b + i]);
        if (m == float.NegativeInfinity) m = 0f;
        float sum = 0f;
        for (int i = 0; i < n; i++) sum += XMath.Exp(x[b + i] - m);
        if (log != 0)
        {
            float ls = XMath.Log(sum);
            for (int i = 0; i < n; i++) y[b + i] = x[b + i] - m - ls;
        }
        else
        {
            float inv = 1f / sum;
            for (int i = 0; i < n; i++) y[b + i] = XMath.Exp(x[b + i] - m) * inv;
        }
    }
}
