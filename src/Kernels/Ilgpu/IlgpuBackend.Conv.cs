using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Ilgpu;

// Conv2d on the device. Shape letters as in ConvKernels. Grouped and dense convolutions go through
// im2col + the tiled GEMM, over chunks of the batch so that col stays below Options.ColBudget floats;
// depthwise convolutions (one input channel per group) use the direct kernels.
public sealed partial class IlgpuBackend
{
    /// <summary>The geometry, validated by <see cref="ConvShape.Of"/> (the CPU's rules and messages), and dy's shape when given.</summary>
    private static ConvShape Geometry(Shape x, Shape w, Conv2dArgs a, string op = "conv2d", Tensor? dy = null)
    {
        var s = ConvShape.Of(x, w, a, op);
        if (dy != null) s.CheckOutput(dy.Shape, op);
        return s;
    }

    private static bool UseDirect(ConvShape g) => g.Cg == 1;

    /// <summary>Samples per chunk so that col[C*R*S, nb*P*Q] fits the budget.</summary>
    private int ChunkOf(ConvShape g) => (int)Math.Clamp(Options.ColBudget / Math.Max(1L, (long)g.C * g.R * g.S * g.PQ), 1, g.N);

    public Tensor Conv2d(Tensor x, Tensor w, Tensor? bias, Conv2dArgs a)
    {
        var g = Geometry(x.Shape, w.Shape, a);
        var xc = ContiguousF32(x, "conv2d"); var wc = ContiguousF32(w, "conv2d");
        var bc = bias == null ? null : ContiguousF32(bias, "conv2d");
        var y = New(Shape.Wrap([g.N, g.K, g.P, g.Q]));
        if (y.Numel > 0 && UseDirect(g))
        {
            var k = Kernel("conv.direct", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape, int>(ConvKernels.Direct));
            k(y.Numel, Data(xc), Data(wc), bc == null ? Data(wc) : Data(bc), F(y), g, bc == null ? 0 : 1);
        }
        else if (y.Numel > 0)
        {
            int nbMax = ChunkOf(g), G = g.C / g.Cg;
            using var col = New(Shape.Wrap([G * g.L * nbMax * g.PQ]));
            using var yk = New(Shape.Wrap([g.K * nbMax * g.PQ]));
            for (int n0 = 0; n0 < g.N; n0 += nbMax)
            {
                int nb = Math.Min(nbMax, g.N - n0), cols = nb * g.PQ;
                Im2Col(xc, col, g, n0, nb);
                // yk[g, Kg, nb*PQ] = w[g, Kg, Cg*R*S] x col[g, Cg*R*S, nb*PQ]
                Gemm(Data(wc), new MatDesc(0, g.Kg * g.L, g.L, 1), F(col), new MatDesc(0, g.L * cols, cols, 1), F(yk), G, g.Kg, cols, g.L);
                // yk is [K, nb, P, Q]; scatter it into y[n0:n0+nb] = [nb, K, P, Q].
                using var src = Tensor.Create(yk.Storage, new Layout(Shape.Wrap([nb, g.K, g.P, g.Q]), [g.PQ, cols, g.Q, 1], 0));
                using var dst = Tensor.Create(y.Storage, y.Layout.Narrow(0, n0, nb));
                Copy(src, dst);
            }
            if (bc != null)
            {
                using var b4 = Tensor.Create(bc.Storage, new Layout(Shape.Wrap([1, g.K, 1, 1]), [0, 1, 0, 0], bc.Layout.Offset));
                ZipInPlace(y, b4, new Ops.AddOp());
            }
        }
        DisposeIfTemp(xc, x); DisposeIfTemp(wc, w);
        if (bc != null) DisposeIfTemp(bc, bias!);
        return y;
    }

    public Tensor Conv2dBackwardInput(Tensor dy, Tensor w, Shape xShape, Conv2dArgs a)
    {
        var g = Geometry(xShape, w.Shape, a, "conv2d backward", dy);
        var dyc = ContiguousF32(dy, "conv2d backward"); var wc = ContiguousF32(w, "conv2d backward");
        var dx = New(xShape);
        if (dx.Numel > 0 && UseDirect(g))
        {
            var k = Kernel("conv.direct.dx", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape>(ConvKernels.DirectBackwardInput));
            k(dx.Numel, Data(dyc), Data(wc), F(dx), g);
        }
        else if (dx.Numel > 0)
        {
            int nbMax = ChunkOf(g), G = g.C / g.Cg;
            using var dcol = New(Shape.Wrap([G * g.L * nbMax * g.PQ]));
            using var dyT = New(Shape.Wrap([g.K * nbMax * g.PQ]));
            var col2im = Kernel("conv.col2im", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ConvShape, int, int>(ConvKernels.Col2Im));
            for (int n0 = 0; n0 < g.N; n0 += nbMax)
            {
                int nb = Math.Min(nbMax, g.N - n0), cols = nb * g.PQ;
                TransposeChunk(dyc, dyT, g, n0, nb);
                // dcol[g, Cg*R*S, nb*PQ] = w[g]^T [Cg*R*S, Kg] x dyT[g, Kg, nb*PQ]
                Gemm(Data(wc), new MatDesc(0, g.Kg * g.L, 1, g.L), F(dyT), new MatDesc(0, g.Kg * cols, cols, 1), F(dcol), G, g.L, cols, g.Kg);
                col2im(nb * g.C * g.H * g.W, F(dcol), F(dx), g, n0, nb);
            }
        }
        DisposeIfTemp(dyc, dy); DisposeIfTemp(wc, w);
        return dx;
    }

    /// <summary>The separate input- and weight-gradient kernels and a sum for the bias (no fused pass on the device).</summary>
    public (Tensor? dx, Tensor? dw, Tensor? db) Conv2dBackward(Tensor dy, Tensor x, Tensor w, Conv2dArgs a, bool needDx, bool needDw, bool needDb) =>
        (needDx ? Conv2dBackwardInput(dy, w, x.Shape, a) : null,
         needDw ? Conv2dBackwardWeight(dy, x, w.Shape, a) : null,
         needDb ? Reduce(ReduceKind.Sum, dy, [0, 2, 3], false) : null);

    public Tensor Conv2dBackwardWeight(Tensor dy, Tensor x, Shape wShape, Conv2dArgs a)
    {
        var g = Geometry(x.Shape, wShape, a, "conv2d backward", dy);
        var dyc = ContiguousF32(dy, "conv2d backward"); var xc = ContiguousF32(x, "conv2d backward");
        var dw = New(wShape, zero: true);
        if (dw.Numel > 0 && UseDirect(g))
        {
            var k = Kernel("conv.direct.dw", acc => acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape>(ConvKernels.DirectBackwardWeight));
            k(RowConfig(dw.Numel, g.N * g.PQ), Data(dyc), Data(xc), F(dw), g);
        }
        else if (dw.Numel > 0)
        {
            int nbMax = ChunkOf(g), G = g.C / g.Cg;
            using var col = New(Shape.Wrap([G * g.L * nbMax * g.PQ]));
            using var dyT = New(Shape.Wrap([g.K * nbMax * g.PQ]));
            using var part = g.N > nbMax ? New(wShape) : null;
            for (int n0 = 0; n0 < g.N; n0 += nbMax)
            {
                int nb = Math.Min(nbMax, g.N - n0), cols = nb * g.PQ;
                Im2Col(xc, col, g, n0, nb);
                TransposeChunk(dyc, dyT, g, n0, nb);
                // dw[g, Kg, Cg*R*S] (+)= dyT[g, Kg, nb*PQ] x col[g]^T [nb*PQ, Cg*R*S]
                var target = n0 == 0 ? dw : part!;
                Gemm(F(dyT), new MatDesc(0, g.Kg * cols, cols, 1), F(col), new MatDesc(0, g.L * cols, 1, cols), F(target), G, g.Kg, g.L, cols);
                if (n0 > 0) ZipInPlace(dw, part!, new Ops.AddOp());
            }
        }
        DisposeIfTemp(dyc, dy); DisposeIfTemp(xc, x);
        return dw;
    }

    private void Im2Col(Tensor xc, Tensor col, ConvShape g, int n0, int nb)
    {
        var k = Kernel("conv.im2col", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ConvShape, int, int>(ConvKernels.Im2Col));
        k(g.C * g.R * g.S * nb * g.PQ, Data(xc), F(col), g, n0, nb);
    }

    /// <summary>dyT[K, nb, P, Q] = dy[n0:n0+nb] permuted (dense), so that each group's rows are a [Kg, nb*PQ] matrix.</summary>
    private void TransposeChunk(Tensor dyc, Tensor dyT, ConvShape g, int n0, int nb)
    {
        using var src = Tensor.Create(dyc.Storage, dyc.Layout.Narrow(0, n0, nb).Permute([1, 0, 2, 3]));
        using var dst = Tensor.Create(dyT.Storage, Layout.Contiguous(Shape.Wrap([g.K, nb, g.P, g.Q])));
        Copy(src, dst);
    }
}
