using System.Numerics.Tensors;

namespace Engine.Kernels.Cpu;

// Fused layer norm (ILayerNormKernels): x [R, n] row by row, each row in L1, a handful of TensorPrimitives passes
// instead of the ~20 full-tensor passes of the composed ops (mean, sub, square, mean, pow, mul, affine, and as many
// backward). R rows, n normalized elements per row.
//   forward  mean = sum(x)/n; c = x - mean; rstd = 1/sqrt(sum(c^2)/n + eps); y = c rstd w + b
//   backward xhat = (x - mean) rstd; g = dy w; dx = rstd (g - mean(g) - xhat mean(g xhat));
//            dw = sum_r dy xhat, db = sum_r dy, in Par.FixedChunks row chunks summed in order (bits independent of threads)
public sealed partial class CpuBackend : ILayerNormKernels
{
    public (Tensor Y, Tensor Mean, Tensor Rstd) LayerNormForward(Tensor x, Tensor? weight, Tensor? bias, int n, float eps)
    {
        int R = CheckLayerNorm(x, weight, bias, n, "layer norm");
        var xc = ContiguousF32(x, "layer norm");
        var wc = weight == null ? null : ContiguousF32(weight, "layer norm"); var bc = bias == null ? null : ContiguousF32(bias, "layer norm");
        var y = New(x.Shape); var mean = New(Shape.Wrap([R])); var rstd = New(Shape.Wrap([R]));
        float[] xs = F(xc), ys = F(y), ms = F(mean), rs = F(rstd);
        int xo = xc.Layout.Offset;
        Par.For(R, (long)R * n * 4, (r0, r1) =>
        {
            var w = wc == null ? default : new ReadOnlySpan<float>(F(wc), wc.Layout.Offset, n);
            var b = bc == null ? default : new ReadOnlySpan<float>(F(bc), bc.Layout.Offset, n);
            for (int r = r0; r < r1; r++)
            {
                var xr = new ReadOnlySpan<float>(xs, xo + r * n, n);
                var yr = new Span<float>(ys, r * n, n);
                float m = TensorPrimitives.Sum(xr) / n;
                TensorPrimitives.Subtract(xr, m, yr);
                float rsd = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(yr) / n + eps);
                ms[r] = m; rs[r] = rsd;
                if (wc != null && bc != null) { TensorPrimitives.Multiply(yr, rsd, yr); TensorPrimitives.FusedMultiplyAdd(yr, w, b, yr); }
                else
                {
                    TensorPrimitives.Multiply(yr, rsd, yr);
                    if (wc != null) TensorPrimitives.Multiply(yr, w, yr);
                    if (bc != null) TensorPrimitives.Add(yr, b, yr);
                }
            }
        });
        DisposeIfTemp(xc, x);
        if (wc != null) DisposeIfTemp(wc, weight!);
        if (bc != null) DisposeIfTemp(bc, bias!);
        return (y, mean, rstd);
    }

    public (Tensor Dx, Tensor? Dw, Tensor? Db) LayerNormBackward(Tensor dy, Tensor x, Tensor mean, Tensor rstd, Tensor? weight, int n,
        bool needDw, bool needDb)
    {
        int R = CheckLayerNorm(x, weight, null, n, "layer norm backward");
        if (dy.Shape != x.Shape || mean.Numel != R || rstd.Numel != R)
            throw new ShapeException($"layer norm backward: dy {dy.Shape} must be x's {x.Shape}, mean {mean.Shape} and rstd {rstd.Shape} [{R}]");
        const string op = "layer norm backward";
        var dc = ContiguousF32(dy, op); var xc = ContiguousF32(x, op); var mc = ContiguousF32(mean, op); var rc = ContiguousF32(rstd, op);
        var wc = weight == null ? null : ContiguousF32(weight, op);
        var dx = New(x.Shape);
        // Partial dw / db per fixed chunk of rows: [chunks, n] each.
        int chunks = Math.Max(1, Math.Min(Par.FixedChunks, R));
        var pw = needDw ? new float[chunks * n] : null; var pb = needDb ? new float[chunks * n] : null;
        float[] ds = F(dc), xs = F(xc), ms = F(mc), rs = F(rc), dxs = F(dx);
        int dO = dc.Layout.Offset, xO = xc.Layout.Offset, mO = mc.Layout.Offset, rO = rc.Layout.Offset;
        void Chunk(int c)
        {
            var xhat = new float[n]; var g = wc == null ? null : new float[n];
            var w = wc == null ? default : new ReadOnlySpan<float>(F(wc), wc.Layout.Offset, n);
            int r0 = (int)((long)R * c / chunks), r1 = (int)((long)R * (c + 1) / chunks);
            for (int r = r0; r < r1; r++)
            {
                var dyr = new ReadOnlySpan<float>(ds, dO + r * n, n);
                var xr = new ReadOnlySpan<float>(xs, xO + r * n, n);
                var dxr = new Span<float>(dxs, r * n, n);
                float m = ms[mO + r], rsd = rs[rO + r];
                TensorPrimitives.Subtract(xr, m, xhat);
                TensorPrimitives.Multiply(xhat, rsd, xhat);
                if (pw != null) { var acc = new Span<float>(pw, c * n, n); TensorPrimitives.FusedMultiplyAdd(dyr, xhat, acc, acc); }
                if (pb != null) { var acc = new Span<float>(pb, c * n, n); TensorPrimitives.Add(acc, dyr, acc); }
                ReadOnlySpan<float> gr = dyr;
                if (g != null) { TensorPrimitives.Multiply(dyr, w, g); gr = g; }
                float mg = TensorPrimitives.Sum(gr) / n, mgx = TensorPrimitives.Dot(gr, xhat) / n;
                // dx = rstd (g - mg - xhat mgx) = (xhat (-mgx) + g - mg) rstd
                TensorPrimitives.FusedMultiplyAdd(xhat, -mgx, gr, dxr);
                TensorPrimitives.Add(dxr, -mg, dxr);
                TensorPrimitives.Multiply(dxr, rsd, dxr);
            }
        }
        if ((long)R * n < Par.MinParallelElements) for (int c = 0; c < chunks; c++) Chunk(c);
        else Par.Each(chunks, Chunk);
        Tensor? dw = needDw ? SumChunks(pw!, chunks, n) : null, db = needDb ? SumChunks(pb!, chunks, n) : null;
        DisposeIfTemp(dc, dy); DisposeIfTemp(xc, x); DisposeIfTemp(mc, mean); DisposeIfTemp(rc, rstd);
        if (wc != null) DisposeIfTemp(wc, weight!);
        return (dx, dw, db);
    }

    /// <summary>[n] = sum over the chunks of partial [chunks, n], chunk 0 first.</summary>
    private Tensor SumChunks(float[] partial, int chunks, int n)
    {
        var t = New(Shape.Wrap([n]));
        var o = new Span<float>(F(t), 0, n);
        partial.AsSpan(0, n).CopyTo(o);
        for (int c = 1; c < chunks; c++) TensorPrimitives.Add(o, partial.AsSpan(c * n, n), o);
        return t;
    }

    /// <summary>The number of rows R = numel / n; n must be the product of x's last dims and the length of w and b.</summary>
    private int CheckLayerNorm(Tensor x, Tensor? weight, Tensor? bias, int n, string op)
    {
        CheckDevice(x, op);
        if (n <= 0 || x.Numel % n != 0)
            throw new ShapeException($"{op}: x {x.Shape} has no rows of {n} elements");
        if (weight != null && weight.Numel != n) throw new ShapeException($"{op}: weight {weight.Shape} must have {n} elements for x {x.Shape}");
        if (bias != null && bias.Numel != n) throw new ShapeException($"{op}: bias {bias.Shape} must have {n} elements for x {x.Shape}");
        if (weight != null) CheckDevice(weight, op);
        if (bias != null) CheckDevice(bias, op);
        return x.Numel / n;
    }
}
