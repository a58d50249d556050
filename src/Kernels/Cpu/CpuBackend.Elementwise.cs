using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels.Cpu;

// Elementwise driver, written once for every op struct and every width. Operands are coalesced into inner runs;
// each run takes whole vectors when its strides are 1 (or 0 for a broadcast scalar), and gathers lanes otherwise.
// Long single runs are split across cores.
public sealed partial class CpuBackend
{
    // The width is read once per op (CpuSettings.Simd), then every run of the op uses it.
    protected override void MapInto<TOp>(Tensor x, Tensor y, TOp op)
    {
        switch (CpuSettings.Simd)
        {
            case SimdLevel.Avx512: MapInto<TOp, V512>(x, y, op); break;
            case SimdLevel.Avx2: MapInto<TOp, V256>(x, y, op); break;
            default: MapInto<TOp, S1>(x, y, op); break;
        }
    }

    private static void MapInto<TOp, T>(Tensor x, Tensor y, TOp op) where TOp : struct, IUnaryOp where T : struct, ISimd<T>
    {
        var c = Coalesced.Of(y.Shape, x.Layout, y.Layout);
        float[] xs = F(x), ys = F(y);
        ForRuns(c, (run, i0, i1) =>
        {
            int xo = c.RunOffset(0, run) + i0 * c.InnerStride(0), yo = c.RunOffset(1, run) + i0 * c.InnerStride(1);
            UnaryRun<TOp, T>(op, xs, xo, c.InnerStride(0), ys, yo, c.InnerStride(1), i1 - i0);
        });
    }

    protected override void ZipInto<TOp>(Tensor a, Layout al, Tensor b, Layout bl, Tensor y, TOp op)
    {
        switch (CpuSettings.Simd)
        {
            case SimdLevel.Avx512: ZipInto<TOp, V512>(a, al, b, bl, y, op); break;
            case SimdLevel.Avx2: ZipInto<TOp, V256>(a, al, b, bl, y, op); break;
            default: ZipInto<TOp, S1>(a, al, b, bl, y, op); break;
        }
    }

    private static void ZipInto<TOp, T>(Tensor a, Layout al, Tensor b, Layout bl, Tensor y, TOp op) where TOp : struct, IBinaryOp where T : struct, ISimd<T>
    {
        var c = Coalesced.Of(y.Shape, al, bl, y.Layout);
        float[] av = F(a), bv = F(b), ys = F(y);
        int sa = c.InnerStride(0), sb = c.InnerStride(1), sy = c.InnerStride(2);
        ForRuns(c, (run, i0, i1) =>
        {
            int ao = c.RunOffset(0, run) + i0 * sa, bo = c.RunOffset(1, run) + i0 * sb, yo = c.RunOffset(2, run) + i0 * sy;
            BinaryRun<TOp, T>(op, av, ao, sa, bv, bo, sb, ys, yo, sy, i1 - i0);
        });
    }

    public Tensor Where(Tensor cond, Tensor a, Tensor b)
    {
        var cf = AsF32(cond, "where"); var af = AsF32(a, "where"); var bf = AsF32(b, "where");
        var shape = Shape.Broadcast(Shape.Broadcast(cond.Shape, a.Shape, "where"), b.Shape, "where");
        var y = New(shape);
        var c = Coalesced.Of(shape, cf.Layout.Expand(shape), af.Layout.Expand(shape), bf.Layout.Expand(shape), y.Layout);
        float[] cs = F(cf), avs = F(af), bvs = F(bf), ys = F(y);
        ForRuns(c, (run, i0, i1) =>
        {
            int s0 = c.InnerStride(0), s1 = c.InnerStride(1), s2 = c.InnerStride(2), s3 = c.InnerStride(3);
            int o0 = c.RunOffset(0, run) + i0 * s0, o1 = c.RunOffset(1, run) + i0 * s1, o2 = c.RunOffset(2, run) + i0 * s2, o3 = c.RunOffset(3, run) + i0 * s3;
            for (int i = 0; i < i1 - i0; i++)
                ys[o3 + i * s3] = cs[o0 + i * s0] != 0 ? avs[o1 + i * s1] : bvs[o2 + i * s2];
        });
        DisposeIfTemp(cf, cond); DisposeIfTemp(af, a); DisposeIfTemp(bf, b);
        return y;
    }

    /// <summary>Calls body(run, i0, i1) over all inner runs, splitting across cores by runs or within long runs.</summary>
    internal static void ForRuns(Coalesced c, Action<int, int, int> body)
    {
        int outer = c.Outer, inner = c.Inner;
        long work = (long)outer * inner;
        if (work < Par.MinParallelElementwise || Par.Threads == 1) { for (int r = 0; r < outer; r++) body(r, 0, inner); return; }
        if (outer >= Par.Threads)
        {
            Par.For(outer, work, (r0, r1) => { for (int r = r0; r < r1; r++) body(r, 0, inner); });
            return;
        }
        int chunk = Math.Max(4096, (inner / (Par.Threads * 2) + 7) & ~7);
        int pieces = (inner + chunk - 1) / chunk;
        Par.Each(outer * pieces, p =>
        {
            int r = p / pieces, i0 = (p % pieces) * chunk;
            body(r, i0, Math.Min(inner, i0 + chunk));
        });
    }

    // Every element goes through the op's vector path (Invoke<T>) at the width CpuSettings.Simd selects: the vector body
    // runs over whole vectors, and a run's last partial vector (and every strided run) goes through the same path on a
    // zero-padded copy (Lanes). The op's scalar Invoke, which may round differently (MathF.Tanh against the vector
    // polynomial, a + b*c against FMA) or treat NaN differently, is never used on the CPU: the same input gives the
    // same bits at every position, batch size, layout and width (issue 14).

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void UnaryRun<TOp, T>(TOp op, float[] x, int xo, int sx, float[] y, int yo, int sy, int n)
        where TOp : struct, IUnaryOp where T : struct, ISimd<T>
    {
        if (n <= 0) return;
        Checked.Run(x, xo, sx, n, "unary op input"); Checked.Run(y, yo, sy, n, "unary op output");
        int i = 0, w = T.Count;
        if (sx == 1 && sy == 1)
        {
            ref float xr = ref x[xo]; ref float yr = ref y[yo];
            for (; i <= n - w; i += w)
                T.Store(op.Invoke(T.Load(in xr, (nuint)i)), ref yr, (nuint)i);
            if (i < n) Lanes<T>.Store(op.Invoke(Lanes<T>.Load(x, xo + i, 1, n - i)), y, yo + i, 1, n - i);
            return;
        }
        for (; i < n; i += w)
        {
            int m = Math.Min(w, n - i);
            Lanes<T>.Store(op.Invoke(Lanes<T>.Load(x, xo + i * sx, sx, m)), y, yo + i * sy, sy, m);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BinaryRun<TOp, T>(TOp op, float[] a, int ao, int sa, float[] b, int bo, int sb, float[] y, int yo, int sy, int n)
        where TOp : struct, IBinaryOp where T : struct, ISimd<T>
    {
        if (n <= 0) return;
        Checked.Run(a, ao, sa, n, "binary op left input"); Checked.Run(b, bo, sb, n, "binary op right input");
        Checked.Run(y, yo, sy, n, "binary op output");
        int i = 0, w = T.Count;
        if (sy == 1 && sa == 1 && sb == 1)
        {
            ref float ar = ref a[ao]; ref float br = ref b[bo]; ref float yr = ref y[yo];
            for (; i <= n - w; i += w)
                T.Store(op.Invoke(T.Load(in ar, (nuint)i), T.Load(in br, (nuint)i)), ref yr, (nuint)i);
        }
        else if (sy == 1 && sa == 1 && sb == 0)
        {
            ref float ar = ref a[ao]; ref float yr = ref y[yo];
            var bv = T.Create(b[bo]);
            for (; i <= n - w; i += w)
                T.Store(op.Invoke(T.Load(in ar, (nuint)i), bv), ref yr, (nuint)i);
        }
        else if (sy == 1 && sa == 0 && sb == 1)
        {
            ref float br = ref b[bo]; ref float yr = ref y[yo];
            var av = T.Create(a[ao]);
            for (; i <= n - w; i += w)
                T.Store(op.Invoke(av, T.Load(in br, (nuint)i)), ref yr, (nuint)i);
        }
        // The partial last vector of a fast run, or every vector of a strided run.
        for (; i < n; i += w)
        {
            int m = Math.Min(w, n - i);
            Lanes<T>.Store(op.Invoke(Lanes<T>.Load(a, ao + i * sa, sa, m), Lanes<T>.Load(b, bo + i * sb, sb, m)), y, yo + i * sy, sy, m);
        }
    }
}

/// <summary>Up to T.Count strided elements as one vector (unused lanes zero), and back: the tails of the elementwise driver.</summary>
internal static class Lanes<T> where T : struct, ISimd<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Load(float[] x, int o, int s, int m)
    {
        if (m == T.Count && s == 1) { _ = x[o + m - 1]; return T.Load(in x[o], 0); }
        if (s == 0) return T.Create(x[o]);
        Span<float> t = stackalloc float[T.Count];
        t.Clear();
        for (int j = 0; j < m; j++) t[j] = x[o + j * s];
        return T.Load(in t[0], 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(T v, float[] y, int o, int s, int m)
    {
        if (m == T.Count && s == 1) { _ = y[o + m - 1]; T.Store(v, ref y[o], 0); return; }   // the index checks the whole vector's range
        Span<float> t = stackalloc float[T.Count];
        T.Store(v, ref t[0], 0);
        for (int j = 0; j < m; j++) y[o + j * s] = t[j];
    }
}
