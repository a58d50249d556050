using ILGPU;
using ILGPU.Algorithms;

namespace Engine.Kernels.Ilgpu;

/// <summary>
/// Row reductions, explicitly grouped: one thread group per row of a contiguous [rows, n] matrix.
/// Each thread folds a strided slice of the row, then the group combines its partials by a tree
/// in shared memory (group size a power of two, at most <see cref="MaxGroup"/>).
/// </summary>
internal static class ReduceKernels
{
    public const int MaxGroup = 256;

    private static float Init(int kind) => kind == 0 ? 0f : kind == 1 ? float.NegativeInfinity : float.PositiveInfinity;
    private static float Combine(int kind, float a, float b) => kind == 0 ? a + b : kind == 1 ? XMath.Max(a, b) : XMath.Min(a, b);

    /// <summary>y[row] = sum/max/min of x[row, 0..n) (kind 0/1/2). NaN propagates through max/min as through a sum.</summary>
    public static void Rows(ArrayView<float> x, ArrayView<float> y, int n, int kind)
    {
        var sh = SharedMemory.Allocate<float>(MaxGroup);
        int row = Grid.IdxX, t = Group.IdxX, gs = Group.DimX;
        long b = (long)row * n;
        float acc = Init(kind);
        bool nan = false;
        for (int i = t; i < n; i += gs)
        {
            float v = x[b + i];
            nan |= XMath.IsNaN(v);
            acc = Combine(kind, acc, v);
        }
        if (nan) acc = float.NaN;
        sh[t] = acc;
        Group.Barrier();
        for (int s = gs / 2; s > 0; s >>= 1)
        {
            if (t < s)
            {
                float o = sh[t + s], m = sh[t];
                sh[t] = XMath.IsNaN(o) || XMath.IsNaN(m) ? float.NaN : Combine(kind, m, o);
            }
            Group.Barrier();
        }
        if (t == 0) y[row] = sh[0];
    }

    /// <summary>y[row] = index of the max (or min) of x[row, :]; NaN counts as the extreme; the first index wins ties.</summary>
    public static void ArgRows(ArrayView<float> x, ArrayView<int> y, int n, int max)
    {
        var sv = SharedMemory.Allocate<float>(MaxGroup);
        var si = SharedMemory.Allocate<int>(MaxGroup);
        int row = Grid.IdxX, t = Group.IdxX, gs = Group.DimX;
        long b = (long)row * n;
        float bv = 0f; int bi = -1;
        for (int i = t; i < n; i += gs)
        {
            float v = x[b + i];
            if (bi < 0 || Better(max, v, bv)) { bv = v; bi = i; }
        }
        sv[t] = bv; si[t] = bi;
        Group.Barrier();
        for (int s = gs / 2; s > 0; s >>= 1)
        {
            if (t < s)
            {
                float ov = sv[t + s]; int oi = si[t + s];
                float mv = sv[t]; int mi = si[t];
                // Take the other half's candidate when it is better, or equal with a smaller index.
                if (oi >= 0 && (mi < 0 || Better(max, ov, mv) || (!Better(max, mv, ov) && oi < mi))) { sv[t] = ov; si[t] = oi; }
            }
            Group.Barrier();
        }
        if (t == 0) y[row] = si[0];
    }

    /// <summary>v beats w: larger (smaller) value, or NaN over a number.</summary>
    private static bool Better(int max, float v, float w)
    {
        bool vn = XMath.IsNaN(v), wn = XMath.IsNaN(w);
        if (vn || wn) return vn && !wn;
        return max != 0 ? v > w : v < w;
    }

    /// <summary>
    /// Softmax (or log-softmax) of each row: m = max x, s = sum exp(x - m), y = exp(x - m) / s
    /// (log: y = x - m - log s). An all -inf row uses m = 0 to avoid inf - inf.
    /// </summary>
    public static void Softmax(ArrayView<float> x, ArrayView<float> y, int n, int log)
    {
        var sh = SharedMemory.Allocate<float>(MaxGroup);
        int row = Grid.IdxX, t = Group.IdxX, gs = Group.DimX;
        long b = (long)row * n;
        float m = float.NegativeInfinity;
        for (int i = t; i < n; i += gs) m = XMath.Max(m, x[b + i]);
        sh[t] = m;
        Group.Barrier();
        for (int s = gs / 2; s > 0; s >>= 1) { if (t < s) sh[t] = XMath.Max(sh[t], sh[t + s]); Group.Barrier(); }
        m = sh[0];
        if (m == float.NegativeInfinity) m = 0f;
        Group.Barrier();
        float sum = 0f;
        for (int i = t; i < n; i += gs) sum += XMath.Exp(x[b + i] - m);
        sh[t] = sum;
        Group.Barrier();
        for (int s = gs / 2; s > 0; s >>= 1) { if (t < s) sh[t] += sh[t + s]; Group.Barrier(); }
        sum = sh[0];
        if (log != 0)
        {
            float ls = XMath.Log(sum);
            for (int i = t; i < n; i += gs) y[b + i] = x[b + i] - m - ls;
        }
        else
        {
            float inv = 1f / sum;
            for (int i = t; i < n; i += gs) y[b + i] = XMath.Exp(x[b + i] - m) * inv;
        }
    }
}
