using System.Runtime.CompilerServices;
using Engine.Kernels.Cpu;
using Engine.Kernels.Gemm;

namespace Engine.Kernels.Conv;

// Convolution as GEMM over im2col columns, one image at a time (the images are split over the cores,
// each GEMM runs on one core: per-image GEMMs are too small to split, and there are many images).
// Shape letters: N batch, C in-channels, K out-channels, G groups (Cg = C/G, Kg = K/G), H W input, R S kernel,
// P Q output, L = Cg*R*S (the GEMM's inner size).
//   forward      y[n, g]  = W_g[Kg, L] @ col(x[n, g])[L, PQ]            (+ b, preloaded into y)
//   input grad   dcol     = W_g^T[L, Kg] @ dy[n, g][Kg, PQ];  dx[n, g] += col2im(dcol)
//   weight grad  dW_g    += dy[n, g][Kg, PQ] @ col(x[n, g])^T[PQ, L]     (partial dWs over fixed chunks of images, summed in order)
// A 1x1 kernel with stride 1 and no padding needs no columns: x[n, g] itself is the [C, HW] matrix.
internal static unsafe class ConvGemm
{
    private static bool NoColumns(in ConvShape g, in Conv2dArgs a) =>
        g.R == 1 && g.S == 1 && a.StrideH == 1 && a.StrideW == 1 && a.PadH == 0 && a.PadW == 0;

    /// <summary>y[N,K,P,Q] from contiguous x, w and optional bias (pointers at element 0).</summary>
    public static void Forward(float* x, float* w, float* bias, float* y, ConvShape g)
    {
        var a = g.Args;
        bool direct = NoColumns(g, a);
        // Explicit im2col (a per-thread column matrix, then the fast strided packing) costs about a third of the implicit
        // packing per element, whose masked loads pay per output-row segment; the implicit GEMM is for images whose
        // column matrix would be big (memory, and traffic that no longer stays in cache).
        bool implicitGemm = !direct && Im2ColB.Supports(a) && (long)g.L * g.PQ >= ImplicitMinColumns;
        // The weights are the A operand of every image's GEMM: packed once here instead of once per image.
        var tile = GemmTile.Current;
        long perGroup = Sgemm.PackedASize(tile, g.Kg, g.L);
        var packed = Scratch.Get(Scratch.PackedWeights, g.G * perGroup);
        fixed (float* pw = packed)
        {
            for (int gi = 0; gi < g.G; gi++) Sgemm.PackA(tile, g.Kg, g.L, w + (long)gi * g.Kg * g.L, g.L, 1, pw + gi * perGroup);
            nint xp = (nint)x, wp = (nint)pw, bp = (nint)bias, yp = (nint)y;
            Par.For(g.N, (long)g.N * g.K * g.PQ * g.L, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n0, n1) =>
            {
                for (int n = n0; n < n1; n++)
                {
                    float* yn = (float*)yp + (long)n * g.K * g.PQ;
                    if (bp != 0)
                        for (int k = 0; k < g.K; k++) new Span<float>(yn + (long)k * g.PQ, g.PQ).Fill(((float*)bp)[k]);
                    for (int gi = 0; gi < g.G; gi++)
                    {
                        float* xg = (float*)xp + ((long)n * g.C + gi * g.Cg) * g.H * g.W;
                        float* wg = (float*)wp + gi * perGroup, yg = yn + (long)gi * g.Kg * g.PQ;
                        if (direct)
                            Sgemm.RunPackedA(tile, g.Kg, g.PQ, g.L, wg, new StridedB(xg, g.PQ, 1), yg, g.PQ, accumulate: bp != 0, parallel: false);
                        else if (implicitGemm) // the packing reads the image, no column matrix
                            Sgemm.RunPackedA(tile, g.Kg, g.PQ, g.L, wg, new Im2ColB(xg, g.H, g.W, g.R, g.S, g.Q, a),
                                yg, g.PQ, accumulate: bp != 0, parallel: false);
                        else
                        {
                            // Explicit columns (per-thread scratch), then the GEMM.
                            fixed (float* col = Scratch.Get(Scratch.Col, (long)g.L * g.PQ))
                            {
                                Im2Col.Pack(xg, g.Cg, g.H, g.W, g.R, g.S, g.P, g.Q, a, col);
                                Sgemm.RunPackedA(tile, g.Kg, g.PQ, g.L, wg, new StridedB(col, g.PQ, 1), yg, g.PQ, accumulate: bp != 0, parallel: false);
                            }
                        }
                    }
                }
            });
        }
    }

    /// <summary>dx[N,C,H,W] (overwritten) from contiguous dy and w.</summary>
    public static void BackwardInput(float* dy, float* w, float* dx, ConvShape g)
    {
        var a = g.Args;
        bool direct = NoColumns(g, a);
        if (!direct && AsForwardConv(dy, w, dx, g, a)) return;
        nint dyp = (nint)dy, wp = (nint)w, dxp = (nint)dx;
        Par.For(g.N, (long)g.N * g.K * g.PQ * g.L, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n0, n1) =>
        {
            var buf = direct ? null : Scratch.Get(Scratch.Col, (long)g.L * g.PQ);
            fixed (float* col = buf)
                for (int n = n0; n < n1; n++)
                {
                    float* dxn = (float*)dxp + (long)n * g.C * g.H * g.W;
                    if (!direct) new Span<float>(dxn, g.C * g.H * g.W).Clear();
                    for (int gi = 0; gi < g.G; gi++)
                    {
                        float* dyg = (float*)dyp + ((long)n * g.K + gi * g.Kg) * g.PQ;
                        float* dxg = dxn + (long)gi * g.Cg * g.H * g.W;
                        // W_g^T: element (l, k) of the transpose sits at w[k*L + l].
                        float* target = direct ? dxg : col;
                        Sgemm.Run(g.L, g.PQ, g.Kg, (float*)wp + (long)gi * g.Kg * g.L, 1, g.L, dyg, g.PQ, 1, target, g.PQ, false, parallel: false);
                        if (!direct) Im2Col.Unpack(col, g.Cg, g.H, g.W, g.R, g.S, g.P, g.Q, a, dxg);
                    }
                }
        });
    }

    private const int MinChannelsForFlippedConv = 16;

    /// <summary>Column-matrix size (floats, per image and group) from which the forward packs B straight from the image.</summary>
    internal const long ImplicitMinColumns = 1L << 22;

    /// <summary>
    /// With stride 1 the input gradient is itself a convolution: of dy (K channels) with the kernel flipped in space and
    /// transposed per group, W'[g*Cg + c, k, r, s] = W[g*Kg + k, c, R-1-r, S-1-s], padding (R-1)*dh - ph. That runs
    /// through the forward (weights packed once, GEMM per image): no col2im scatter-add. Returns false when the geometry
    /// does not allow it (stride > 1, or padding beyond the kernel's reach, which would need negative padding).
    /// </summary>
    private static bool AsForwardConv(float* dy, float* w, float* dx, in ConvShape g, in Conv2dArgs a)
    {
        int ph = (g.R - 1) * a.DilationH - a.PadH, pw = (g.S - 1) * a.DilationW - a.PadW;
        // Few input channels make a GEMM of few rows (Cg of them) over K*R*S-long panels: im2col + col2im is faster.
        if (a.StrideH != 1 || a.StrideW != 1 || ph < 0 || pw < 0 || g.Cg < MinChannelsForFlippedConv) return false;
        var flipped = Scratch.Get(Scratch.Flipped, (long)g.C * g.Kg * g.R * g.S);
        int RS = g.R * g.S;
        for (int gi = 0; gi < g.G; gi++)
            for (int k = 0; k < g.Kg; k++)
                for (int c = 0; c < g.Cg; c++)
                {
                    float* src = w + ((long)(gi * g.Kg + k) * g.Cg + c) * RS;
                    int dst = ((gi * g.Cg + c) * g.Kg + k) * RS;
                    for (int i = 0; i < RS; i++) flipped[dst + i] = src[RS - 1 - i];
                }
        fixed (float* wf = flipped)
            Forward(dy, wf, null, dx, ConvShape.Of(Shape.Wrap([g.N, g.K, g.P, g.Q]), Shape.Wrap([g.C, g.Kg, g.R, g.S]), a with { PadH = ph, PadW = pw }));
        return true;
    }

    /// <summary>dw[K,Cg,R,S] (overwritten) from contiguous dy and x.</summary>
    public static void BackwardWeight(float* dy, float* x, float* dw, ConvShape g)
    {
        var a = g.Args;
        bool direct = NoColumns(g, a);
        int wlen = g.K * g.L;
        long work = (long)g.N * g.K * g.PQ * g.L;
        // One partial dW per chunk of images, chunk 0 straight into dw, the others added in chunk order. The chunk count
        // depends on the shape only (not on the cores): the same inputs give the same bits on any machine.
        int chunks = work < Par.MinParallelElements ? 1 : Math.Min(g.N, Par.FixedChunks);
        var partial = Scratch.Get(Scratch.Partials, chunks > 1 ? (long)(chunks - 1) * wlen : 0);
        nint dyp = (nint)dy, xp = (nint)x, dwp = (nint)dw;
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void Chunk(int ci)
        {
            int n0 = g.N * ci / chunks, n1 = g.N * (ci + 1) / chunks;
            var buf = direct ? null : Scratch.Get(Scratch.Col, (long)g.L * g.PQ);
            fixed (float* col = buf, part = partial)
            {
                float* acc = ci == 0 ? (float*)dwp : part + (long)(ci - 1) * wlen;
                for (int n = n0; n < n1; n++)
                    for (int gi = 0; gi < g.G; gi++)
                    {
                        float* xg = (float*)xp + ((long)n * g.C + gi * g.Cg) * g.H * g.W;
                        float* src = xg;
                        if (!direct) { Im2Col.Pack(xg, g.Cg, g.H, g.W, g.R, g.S, g.P, g.Q, a, col); src = col; }
                        // col^T: element (pq, l) sits at col[l*PQ + pq].
                        Sgemm.Run(g.Kg, g.L, g.PQ, (float*)dyp + ((long)n * g.K + gi * g.Kg) * g.PQ, g.PQ, 1, src, 1, g.PQ,
                            acc + (long)gi * g.Kg * g.L, g.L, accumulate: n > n0, parallel: false);
                    }
                if (n1 == n0) new Span<float>(acc, wlen).Clear();
            }
        }
        if (chunks == 1) Chunk(0);
        else Par.Each(chunks, Chunk);
        if (chunks > 1)
        {
            var d = new Span<float>((float*)dwp, wlen);
            for (int c = 1; c < chunks; c++) System.Numerics.Tensors.TensorPrimitives.Add(d, partial.AsSpan((c - 1) * wlen, wlen), d);
        }
    }
}
