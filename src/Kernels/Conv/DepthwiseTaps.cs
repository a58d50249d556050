using System.Runtime.CompilerServices;

namespace Engine.Kernels.Conv;

// The two stencils of a unit-stride depthwise convolution over one plane, read from a zero-bordered PaddedPlane buffer
// (so no bounds checks; rows are ld floats apart and readable up to a whole vector past the last output column).
//   Gather:      out[p,q] (=, or += when add) bias + sum_{r<R,s<S} k[r*S+s] * buf[(p + r*dh)*ld + q + s*dw]
//                (the forward pass with k = w; the input gradient with k = w flipped and buf = padded dy)
//   WeightTaps:  acc[r*S+s] += sum_{p<P,q<Q} dy[p*ldy + q] * x[(p + r*dh)*ldx + q + s*dw]
//                (dy's columns Q .. UpLanes(Q)-1 must read as zero)
// Both vectorize along q, T.Count lanes (generic over the width). 3x3 with dilation 1 (nearly every depthwise layer)
// has its own loops with the 9 taps unrolled: weights in registers for Gather, 9 independent accumulators in one pass
// over dy for WeightTaps.
internal static unsafe class DepthwiseTaps
{
    private static bool Is3x3(int R, int S, int dh, int dw) => R == 3 && S == 3 && dh == 1 && dw == 1;

    public static void Gather<T>(float* buf, int ld, float* k, int R, int S, int dh, int dw, float bias, float* o, int P, int Q, bool add)
        where T : struct, ISimd<T>
    {
        if (Is3x3(R, S, dh, dw)) Gather3x3<T>(buf, ld, k, bias, o, P, Q, add);
        else GatherAny<T>(buf, ld, k, R, S, dh, dw, bias, o, P, Q, add);
    }

    public static void WeightTaps<T>(float* dy, int ldy, float* x, int ldx, int R, int S, int dh, int dw, int P, int Q, double* acc)
        where T : struct, ISimd<T>
    {
        if (Is3x3(R, S, dh, dw)) WeightTaps3x3<T>(dy, ldy, x, ldx, P, Q, acc);
        else WeightTapsAny<T>(dy, ldy, x, ldx, R, S, dh, dw, P, Q, acc);
    }

    /// <summary>Stores the first n lanes of v at o (added to what is there when add): the last, partial vector of a row.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StoreTail<T>(T v, float* o, int n, bool add) where T : struct, ISimd<T>
    {
        float* t = stackalloc float[T.Count];
        T.Store(v, t);
        Mem.Writes(o, n);
        for (int i = 0; i < n; i++) o[i] = add ? o[i] + t[i] : t[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<T>(T v, float* o, bool add) where T : struct, ISimd<T>
    {
        if (add) v += Mem.L<T>(o);
        Mem.S(v, o);
    }

    /// <summary>acc + x[s .. s+lanes) * w.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Fma<T>(float* x, int s, T w, T acc) where T : struct, ISimd<T> => T.Fma(Mem.L<T>(x + s), w, acc);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Gather3x3<T>(float* buf, int ld, float* k, float bias, float* o, int P, int Q, bool add) where T : struct, ISimd<T>
    {
        int L = T.Count;
        T w0 = T.Create(k[0]), w1 = T.Create(k[1]), w2 = T.Create(k[2]);
        T w3 = T.Create(k[3]), w4 = T.Create(k[4]), w5 = T.Create(k[5]);
        T w6 = T.Create(k[6]), w7 = T.Create(k[7]), w8 = T.Create(k[8]);
        var b = T.Create(bias);
        int p = 0;
        // Two output rows per pass (input rows p+1 and p+2 feed both), four short FMA chains per pair of output vectors:
        // about 8% faster than one row per pass at 8 lanes, near the two-FMA-per-cycle bound (9 FMAs per output vector).
        for (; p <= P - 2; p += 2, o += 2 * Q)
        {
            float* x0 = buf + p * ld, x1 = x0 + ld, x2 = x1 + ld, x3 = x2 + ld;
            // The last, partial vector runs the same chain over a whole vector (the plane is readable that far) and
            // stores its first lanes: an output's bits do not depend on where it sits in the row, or on the width.
            for (int q = 0; q < Q; q += L)
            {
                // Loads fold into the FMAs; rows p+1 and p+2 are read twice (L1) rather than held, to stay within 16 registers.
                float* y0 = x0 + q, y1 = x1 + q, y2 = x2 + q, y3 = x3 + q;
                var top = Fma(y0, 2, w2, Fma(y0, 1, w1, Mem.L<T>(y0) * w0));
                var bot = Fma(y1, 2, w2, Fma(y1, 1, w1, Mem.L<T>(y1) * w0));
                var top2 = Fma(y1, 2, w5, Fma(y1, 1, w4, Fma(y1, 0, w3, b)));
                var bot2 = Fma(y2, 2, w5, Fma(y2, 1, w4, Fma(y2, 0, w3, b)));
                top2 = Fma(y2, 2, w8, Fma(y2, 1, w7, Fma(y2, 0, w6, top2)));
                bot2 = Fma(y3, 2, w8, Fma(y3, 1, w7, Fma(y3, 0, w6, bot2)));
                top += top2; bot += bot2;
                if (q + L <= Q) { Put(top, o + q, add); Put(bot, o + Q + q, add); }
                else { StoreTail(top, o + q, Q - q, add); StoreTail(bot, o + Q + q, Q - q, add); }
            }
        }
        // The last row of an odd P: the two-row pass's chain for its top row, one row at a time.
        for (; p < P; p++, o += Q)
        {
            float* x0 = buf + p * ld, x1 = x0 + ld, x2 = x1 + ld;
            for (int q = 0; q < Q; q += L)
            {
                float* y0 = x0 + q, y1 = x1 + q, y2 = x2 + q;
                var top = Fma(y0, 2, w2, Fma(y0, 1, w1, Mem.L<T>(y0) * w0));
                var top2 = Fma(y1, 2, w5, Fma(y1, 1, w4, Fma(y1, 0, w3, b)));
                top2 = Fma(y2, 2, w8, Fma(y2, 1, w7, Fma(y2, 0, w6, top2)));
                top += top2;
                if (q + L <= Q) Put(top, o + q, add);
                else StoreTail(top, o + q, Q - q, add);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GatherAny<T>(float* buf, int ld, float* k, int R, int S, int dh, int dw, float bias, float* o, int P, int Q, bool add)
        where T : struct, ISimd<T>
    {
        int L = T.Count;
        var b = T.Create(bias);
        for (int p = 0; p < P; p++, o += Q)
        {
            float* row = buf + p * ld;
            int q = 0;
            // Four vectors at a time: four independent accumulators per weight broadcast.
            for (; q <= Q - 4 * L; q += 4 * L)
            {
                T a0 = b, a1 = b, a2 = b, a3 = b;
                for (int r = 0; r < R; r++)
                {
                    float* xr = row + r * dh * ld + q;
                    for (int s = 0; s < S; s++)
                    {
                        var wv = T.Create(k[r * S + s]);
                        float* xs = xr + s * dw;
                        a0 = T.Fma(Mem.L<T>(xs), wv, a0);
                        a1 = T.Fma(Mem.L<T>(xs + L), wv, a1);
                        a2 = T.Fma(Mem.L<T>(xs + 2 * L), wv, a2);
                        a3 = T.Fma(Mem.L<T>(xs + 3 * L), wv, a3);
                    }
                }
                Put(a0, o + q, add); Put(a1, o + q + L, add); Put(a2, o + q + 2 * L, add); Put(a3, o + q + 3 * L, add);
            }
            for (; q < Q; q += L)
            {
                var a = b;
                for (int r = 0; r < R; r++)
                {
                    float* xr = row + r * dh * ld + q;
                    for (int s = 0; s < S; s++) a = T.Fma(Mem.L<T>(xr + s * dw), T.Create(k[r * S + s]), a);
                }
                if (q + L <= Q) Put(a, o + q, add);
                else StoreTail(a, o + q, Q - q, add);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightTaps3x3<T>(float* dy, int ldy, float* x, int ldx, int P, int Q, double* acc) where T : struct, ISimd<T>
    {
        int L = T.Count;
        T a0 = T.Zero, a1 = T.Zero, a2 = T.Zero, a3 = T.Zero, a4 = T.Zero, a5 = T.Zero, a6 = T.Zero, a7 = T.Zero, a8 = T.Zero;
        int p = 0;
        // Two dy rows per pass: x rows p+1 and p+2 are loaded once for both (7 loads per dy vector instead of 10; the 9
        // FMAs per dy vector are the bound). q runs to UpLanes(Q): the lanes past Q multiply dy's zero border.
        for (; p <= P - 2; p += 2, dy += 2 * ldy, x += 2 * ldx)
        {
            float* d1r = dy + ldy, x0 = x, x1 = x + ldx, x2 = x1 + ldx, x3 = x2 + ldx;
            for (int q = 0; q < Q; q += L)
            {
                var d0 = Mem.L<T>(dy + q); var d1 = Mem.L<T>(d1r + q);
                T v;
                v = Mem.L<T>(x0 + q); a0 = T.Fma(d0, v, a0);
                v = Mem.L<T>(x0 + q + 1); a1 = T.Fma(d0, v, a1);
                v = Mem.L<T>(x0 + q + 2); a2 = T.Fma(d0, v, a2);
                v = Mem.L<T>(x1 + q); a3 = T.Fma(d0, v, a3); a0 = T.Fma(d1, v, a0);
                v = Mem.L<T>(x1 + q + 1); a4 = T.Fma(d0, v, a4); a1 = T.Fma(d1, v, a1);
                v = Mem.L<T>(x1 + q + 2); a5 = T.Fma(d0, v, a5); a2 = T.Fma(d1, v, a2);
                v = Mem.L<T>(x2 + q); a6 = T.Fma(d0, v, a6); a3 = T.Fma(d1, v, a3);
                v = Mem.L<T>(x2 + q + 1); a7 = T.Fma(d0, v, a7); a4 = T.Fma(d1, v, a4);
                v = Mem.L<T>(x2 + q + 2); a8 = T.Fma(d0, v, a8); a5 = T.Fma(d1, v, a5);
                v = Mem.L<T>(x3 + q); a6 = T.Fma(d1, v, a6);
                v = Mem.L<T>(x3 + q + 1); a7 = T.Fma(d1, v, a7);
                v = Mem.L<T>(x3 + q + 2); a8 = T.Fma(d1, v, a8);
            }
        }
        for (; p < P; p++, dy += ldy, x += ldx)
        {
            float* x0 = x, x1 = x + ldx, x2 = x1 + ldx;
            for (int q = 0; q < Q; q += L)
            {
                var d = Mem.L<T>(dy + q);
                a0 = T.Fma(d, Mem.L<T>(x0 + q), a0);
                a1 = T.Fma(d, Mem.L<T>(x0 + q + 1), a1);
                a2 = T.Fma(d, Mem.L<T>(x0 + q + 2), a2);
                a3 = T.Fma(d, Mem.L<T>(x1 + q), a3);
                a4 = T.Fma(d, Mem.L<T>(x1 + q + 1), a4);
                a5 = T.Fma(d, Mem.L<T>(x1 + q + 2), a5);
                a6 = T.Fma(d, Mem.L<T>(x2 + q), a6);
                a7 = T.Fma(d, Mem.L<T>(x2 + q + 1), a7);
                a8 = T.Fma(d, Mem.L<T>(x2 + q + 2), a8);
            }
        }
        acc[0] += T.Sum(a0); acc[1] += T.Sum(a1); acc[2] += T.Sum(a2);
        acc[3] += T.Sum(a3); acc[4] += T.Sum(a4); acc[5] += T.Sum(a5);
        acc[6] += T.Sum(a6); acc[7] += T.Sum(a7); acc[8] += T.Sum(a8);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightTapsAny<T>(float* dy, int ldy, float* x, int ldx, int R, int S, int dh, int dw, int P, int Q, double* acc)
        where T : struct, ISimd<T>
    {
        int L = T.Count, Qv = PaddedPlane.UpLanes(Q, L);
        for (int r = 0; r < R; r++)
            for (int s = 0; s < S; s++)
            {
                T a0 = T.Zero, a1 = T.Zero, a2 = T.Zero, a3 = T.Zero;
                float* d = dy, xr = x + r * dh * ldx + s * dw;
                for (int p = 0; p < P; p++, d += ldy, xr += ldx)
                {
                    int q = 0;
                    for (; q <= Qv - 4 * L; q += 4 * L)
                    {
                        a0 = T.Fma(Mem.L<T>(d + q), Mem.L<T>(xr + q), a0);
                        a1 = T.Fma(Mem.L<T>(d + q + L), Mem.L<T>(xr + q + L), a1);
                        a2 = T.Fma(Mem.L<T>(d + q + 2 * L), Mem.L<T>(xr + q + 2 * L), a2);
                        a3 = T.Fma(Mem.L<T>(d + q + 3 * L), Mem.L<T>(xr + q + 3 * L), a3);
                    }
                    // The last vectors of a row alternate between two accumulators row by row.
                    if ((p & 1) == 0)
                        for (; q < Qv; q += L) a0 = T.Fma(Mem.L<T>(d + q), Mem.L<T>(xr + q), a0);
                    else
                        for (; q < Qv; q += L) a1 = T.Fma(Mem.L<T>(d + q), Mem.L<T>(xr + q), a1);
                }
                acc[r * S + s] += T.Sum((a0 + a1) + (a2 + a3));
            }
    }
}
