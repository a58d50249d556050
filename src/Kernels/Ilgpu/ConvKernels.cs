using ILGPU;

namespace Engine.Kernels.Ilgpu;

/// <summary>
/// Conv kernels, over the geometry every backend resolves the same way (<see cref="ConvShape"/>: shape letters N batch,
/// C in-channels, K out-channels, H W input, R S kernel, P Q output, G groups, Cg = C/G, Kg = K/G, L = Cg*R*S). The GEMM path: im2col lays a batch chunk of x out as col[G, Cg*R*S, nb*P*Q]
/// (zeros where the window hangs over the padding), so that y_g = w_g[Kg, Cg*R*S] x col_g is a GEMM;
/// col2im gathers the gradient of col back to dx. The direct kernels (one thread per output, or one
/// group per weight) serve depthwise convolution (Cg = 1), where a GEMM would have a single row.
/// </summary>
internal static class ConvKernels
{
    /// <summary>col[g, (c*R + r)*S + s, nn*PQ + p*Q + q] = x[n0+nn, g*Cg + c, p*sh - ph + r*dh, q*sw - pw + s*dw] or 0.</summary>
    public static void Im2Col(Index1D i, ArrayView<float> x, ArrayView<float> col, ConvShape g, int n0, int nb)
    {
        int cols = nb * g.PQ;
        int j = i % cols, row = i / cols;
        int rr = row % g.L, grp = row / g.L;
        int c = rr / (g.R * g.S), r = rr / g.S % g.R, s = rr % g.S;
        int nn = j / g.PQ, p = j / g.Q % g.P, q = j % g.Q;
        int h = p * g.Args.StrideH - g.Args.PadH + r * g.Args.DilationH, w = q * g.Args.StrideW - g.Args.PadW + s * g.Args.DilationW;
        col[i] = h >= 0 && h < g.H && w >= 0 && w < g.W
            ? x[(((long)(n0 + nn) * g.C + grp * g.Cg + c) * g.H + h) * g.W + w]
            : 0f;
    }

    /// <summary>
    /// dx[n0+nn, c, h, w] = sum over (r, s) of dcol[g, (cc*R + r)*S + s, nn*PQ + p*Q + q] for the output
    /// (p, q) whose window puts tap (r, s) on (h, w): h = p*SH - PH + r*DH. A gather: no atomics.
    /// </summary>
    public static void Col2Im(Index1D i, ArrayView<float> dcol, ArrayView<float> dx, ConvShape g, int n0, int nb)
    {
        int w = i % g.W, h = i / g.W % g.H, c = i / (g.W * g.H) % g.C, nn = i / (g.W * g.H * g.C);
        int grp = c / g.Cg, cc = c % g.Cg, cols = nb * g.PQ;
        float sum = 0;
        for (int r = 0; r < g.R; r++)
        {
            int hp = h + g.Args.PadH - r * g.Args.DilationH;
            if (hp < 0 || hp % g.Args.StrideH != 0) continue;
            int p = hp / g.Args.StrideH;
            if (p >= g.P) continue;
            for (int s = 0; s < g.S; s++)
            {
                int wq = w + g.Args.PadW - s * g.Args.DilationW;
                if (wq < 0 || wq % g.Args.StrideW != 0) continue;
                int q = wq / g.Args.StrideW;
                if (q >= g.Q) continue;
                sum += dcol[((long)grp * g.L + (cc * g.R + r) * g.S + s) * cols + nn * g.PQ + p * g.Q + q];
            }
        }
        dx[(long)n0 * g.C * g.H * g.W + i] = sum;
    }

    /// <summary>Direct forward, one thread per y[n, k, p, q] (the naive reference and the depthwise kernel).</summary>
    public static void Direct(Index1D i, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y, ConvShape g, int hasBias)
    {
        int q = i % g.Q, p = i / g.Q % g.P, k = i / g.PQ % g.K, n = i / (g.PQ * g.K);
        int grp = k / g.Kg;
        float sum = hasBias != 0 ? bias[k] : 0f;
        for (int c = 0; c < g.Cg; c++)
            for (int r = 0; r < g.R; r++)
            {
                int h = p * g.Args.StrideH - g.Args.PadH + r * g.Args.DilationH;
                if (h < 0 || h >= g.H) continue;
                for (int s = 0; s < g.S; s++)
                {
                    int ww = q * g.Args.StrideW - g.Args.PadW + s * g.Args.DilationW;
                    if (ww < 0 || ww >= g.W) continue;
                    sum += x[(((long)n * g.C + grp * g.Cg + c) * g.H + h) * g.W + ww] * w[((k * g.Cg + c) * g.R + r) * g.S + s];
                }
            }
        y[i] = sum;
    }

    /// <summary>Direct input gradient, one thread per dx[n, c, h, w]: sum over the group's k and the taps that reach (h, w).</summary>
    public static void DirectBackwardInput(Index1D i, ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, ConvShape g)
    {
        int ww = i % g.W, h = i / g.W % g.H, c = i / (g.W * g.H) % g.C, n = i / (g.W * g.H * g.C);
        int grp = c / g.Cg, cc = c % g.Cg;
        float sum = 0;
        for (int k = grp * g.Kg; k < (grp + 1) * g.Kg; k++)
            for (int r = 0; r < g.R; r++)
            {
                int hp = h + g.Args.PadH - r * g.Args.DilationH;
                if (hp < 0 || hp % g.Args.StrideH != 0) continue;
                int p = hp / g.Args.StrideH;
                if (p >= g.P) continue;
                for (int s = 0; s < g.S; s++)
                {
                    int wq = ww + g.Args.PadW - s * g.Args.DilationW;
                    if (wq < 0 || wq % g.Args.StrideW != 0) continue;
                    int q = wq / g.Args.StrideW;
                    if (q >= g.Q) continue;
                    sum += dy[(((long)n * g.K + k) * g.P + p) * g.Q + q] * w[((k * g.Cg + cc) * g.R + r) * g.S + s];
                }
            }
        dx[i] = sum;
    }

    /// <summary>
    /// Direct weight gradient, explicitly grouped: one group per dw[k, c, r, s], its threads sum
    /// dy[n,k,p,q] * x[n, g*Cg + c, h, w] over (n, p, q), then a shared-memory tree adds the partials.
    /// </summary>
    public static void DirectBackwardWeight(ArrayView<float> dy, ArrayView<float> x, ArrayView<float> dw, ConvShape g)
    {
        var sh = SharedMemory.Allocate<float>(ReduceKernels.MaxGroup);
        int e = Grid.IdxX, t = Group.IdxX, gs = Group.DimX;
        int s = e % g.S, r = e / g.S % g.R, c = e / (g.S * g.R) % g.Cg, k = e / g.L;
        int ch = k / g.Kg * g.Cg + c;
        int total = g.N * g.PQ;
        float sum = 0;
        for (int j = t; j < total; j += gs)
        {
            int q = j % g.Q, p = j / g.Q % g.P, n = j / g.PQ;
            int h = p * g.Args.StrideH - g.Args.PadH + r * g.Args.DilationH, ww = q * g.Args.StrideW - g.Args.PadW + s * g.Args.DilationW;
            if (h < 0 || h >= g.H || ww < 0 || ww >= g.W) continue;
            sum += dy[(((long)n * g.K + k) * g.P + p) * g.Q + q] * x[(((long)n * g.C + ch) * g.H + h) * g.W + ww];
        }
        sh[t] = sum;
        Group.Barrier();
        for (int st = gs / 2; st > 0; st >>= 1) { if (t < st) sh[t] += sh[t + st]; Group.Barrier(); }
        if (t == 0) dw[e] = sh[0];
    }
}
