using System.Runtime.CompilerServices;
namespace Engine.Kernels.Conv;

// Shape letters: C in-channels (of one group), H W input, R S kernel, P Q output.
// im2col: col[(c*R + r)*S + s, p*Q + q] = x[c, p*sh - ph + r*dh, q*sw - pw + s*dw] (0 outside the input),
// so that conv = W[K, C*R*S] @ col[C*R*S, P*Q]. col2im is its adjoint: it adds each column entry back into x.
internal static unsafe class Im2Col
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(float* x, int C, int H, int W, int R, int S, int P, int Q, in Conv2dArgs a, float* col)
    {
        for (int c = 0; c < C; c++)
            for (int r = 0; r < R; r++)
                for (int s = 0; s < S; s++, col += P * Q)
                {
                    float* plane = x + (long)c * H * W;
                    var (ws0, q0, q1) = ValidColumns(s, W, Q, a);
                    for (int p = 0; p < P; p++)
                    {
                        float* dst = col + p * Q;
                        Mem.Writes(dst, Q);
                        int h = p * a.StrideH - a.PadH + r * a.DilationH;
                        if ((uint)h >= (uint)H) { new Span<float>(dst, Q).Clear(); continue; }
                        float* src = plane + (long)h * W + ws0;
                        if (q1 > q0) Mem.Reads(src + (long)q0 * a.StrideW, (long)(q1 - 1 - q0) * a.StrideW + 1);
                        for (int q = 0; q < q0; q++) dst[q] = 0f;
                        if (a.StrideW == 1) new ReadOnlySpan<float>(src + q0, q1 - q0).CopyTo(new Span<float>(dst + q0, q1 - q0));
                        else for (int q = q0; q < q1; q++) dst[q] = src[q * a.StrideW];
                        for (int q = q1; q < Q; q++) dst[q] = 0f;
                    }
                }
    }

    /// <summary>x += col2im(col): the adjoint of <see cref="Pack"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Unpack(float* col, int C, int H, int W, int R, int S, int P, int Q, in Conv2dArgs a, float* x)
    {
        for (int c = 0; c < C; c++)
            for (int r = 0; r < R; r++)
                for (int s = 0; s < S; s++, col += P * Q)
                {
                    float* plane = x + (long)c * H * W;
                    var (ws0, q0, q1) = ValidColumns(s, W, Q, a);
                    if (q1 == q0) continue;
                    for (int p = 0; p < P; p++)
                    {
                        int h = p * a.StrideH - a.PadH + r * a.DilationH;
                        if ((uint)h >= (uint)H) continue;
                        float* src = col + p * Q; float* dst = plane + (long)h * W + ws0;
                        Mem.Reads(src + q0, q1 - q0); Mem.Writes(dst + (long)q0 * a.StrideW, (long)(q1 - 1 - q0) * a.StrideW + 1);
                        if (a.StrideW == 1)
                        {
                            var d = new Span<float>(dst + q0, q1 - q0);
                            System.Numerics.Tensors.TensorPrimitives.Add(d, new ReadOnlySpan<float>(src + q0, q1 - q0), d);
                        }
                        else for (int q = q0; q < q1; q++) dst[q * a.StrideW] += src[q];
                    }
                }
    }

    /// <summary>
    /// For kernel column s: ws0 = s*dw - pw, and the outputs q in [q0, q1) whose tap lands inside the
    /// row (0 &lt;= q*sw + ws0 &lt; W); the others read padding. q0 &lt;= q1 always.
    /// </summary>
    private static (int ws0, int q0, int q1) ValidColumns(int s, int W, int Q, in Conv2dArgs a)
    {
        int ws0 = s * a.DilationW - a.PadW;
        int q0 = ws0 >= 0 ? 0 : Math.Min(Q, (-ws0 + a.StrideW - 1) / a.StrideW);
        int q1 = W - ws0 <= 0 ? 0 : Math.Min(Q, (W - ws0 - 1) / a.StrideW + 1);
        return (ws0, q0, Math.Max(q0, q1));
    }
}
