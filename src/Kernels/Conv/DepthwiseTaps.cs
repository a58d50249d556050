using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels.Conv;

// The two stencils of a unit-stride depthwise convolution over one plane, read from a zero-bordered PaddedPlane buffer
// (so no bounds checks; rows are ld floats apart and readable up to a whole vector past the last output column).
//   Gather:      out[p,q] (=, or += when add) bias + sum_{r<R,s<S} k[r*S+s] * buf[(p + r*dh)*ld + q + s*dw]
//                (the forward pass with k = w; the input gradient with k = w flipped and buf = padded dy)
//   WeightTaps:  acc[r*S+s] += sum_{p<P,q<Q} dy[p*ldy + q] * x[(p + r*dh)*ldx + q + s*dw]
//                (dy's columns Q .. Up8(Q)-1 must read as zero)
// Both vectorize along q, 8 lanes. 3x3 with dilation 1 (nearly every depthwise layer) has its own loops with the 9 taps
// unrolled: weights in registers for Gather, 9 independent accumulators in one pass over dy for WeightTaps.
internal static unsafe class DepthwiseTaps
{
    private static bool Is3x3(int R, int S, int dh, int dw) => R == 3 && S == 3 && dh == 1 && dw == 1;

    public static void Gather(float* buf, int ld, float* k, int R, int S, int dh, int dw, float bias, float* o, int P, int Q, bool add)
    {
        if (Is3x3(R, S, dh, dw)) Gather3x3(buf, ld, k, bias, o, P, Q, add);
        else GatherAny(buf, ld, k, R, S, dh, dw, bias, o, P, Q, add);
    }

    public static void WeightTaps(float* dy, int ldy, float* x, int ldx, int R, int S, int dh, int dw, int P, int Q, double* acc)
    {
        if (Is3x3(R, S, dh, dw)) WeightTaps3x3(dy, ldy, x, ldx, P, Q, acc);
        else WeightTapsAny(dy, ldy, x, ldx, R, S, dh, dw, P, Q, acc);
    }

    /// <summary>Stores the first n lanes of v at o (added to what is there when add): the last, partial vector of a row.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StoreTail(Vector256<float> v, float* o, int n, bool add)
    {
        float* t = stackalloc float[8];
        v.Store(t);
        Mem.Writes(o, n);
        for (int i = 0; i < n; i++) o[i] = add ? o[i] + t[i] : t[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(Vector256<float> v, float* o, bool add)
    {
        if (add) v += Mem.Load(o);
        Mem.Store(v, o);
    }

    /// <summary>acc + x[s .. s+8) * w.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fma(float* x, int s, Vector256<float> w, Vector256<float> acc) => Vector256.FusedMultiplyAdd(Mem.Load(x + s), w, acc);

    /// <summary>One kernel row against 8 output columns: x[0..8)*a + x[1..9)*b + x[2..10)*c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row3(float* x, Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Vector256.FusedMultiplyAdd(Mem.Load(x + 2), c, Vector256.FusedMultiplyAdd(Mem.Load(x + 1), b, Mem.Load(x) * a));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Gather3x3(float* buf, int ld, float* k, float bias, float* o, int P, int Q, bool add)
    {
        Vector256<float> w0 = Vector256.Create(k[0]), w1 = Vector256.Create(k[1]), w2 = Vector256.Create(k[2]);
        Vector256<float> w3 = Vector256.Create(k[3]), w4 = Vector256.Create(k[4]), w5 = Vector256.Create(k[5]);
        Vector256<float> w6 = Vector256.Create(k[6]), w7 = Vector256.Create(k[7]), w8 = Vector256.Create(k[8]);
        var b = Vector256.Create(bias);
        int p = 0;
        // Two output rows per pass (input rows p+1 and p+2 feed both), four short FMA chains per pair of output vectors:
        // about 8% faster than one row per pass, near the two-FMA-per-cycle bound (9 FMAs per output vector).
        for (; p <= P - 2; p += 2, o += 2 * Q)
        {
            float* x0 = buf + p * ld, x1 = x0 + ld, x2 = x1 + ld, x3 = x2 + ld;
            int q = 0;
            for (; q <= Q - 8; q += 8)
            {
                // Loads fold into the FMAs; rows p+1 and p+2 are read twice (L1) rather than held, to stay within 16 registers.
                float* y0 = x0 + q, y1 = x1 + q, y2 = x2 + q, y3 = x3 + q;
                var top = Fma(y0, 2, w2, Fma(y0, 1, w1, Mem.Load(y0) * w0));
                var bot = Fma(y1, 2, w2, Fma(y1, 1, w1, Mem.Load(y1) * w0));
                var top2 = Fma(y1, 2, w5, Fma(y1, 1, w4, Fma(y1, 0, w3, b)));
                var bot2 = Fma(y2, 2, w5, Fma(y2, 1, w4, Fma(y2, 0, w3, b)));
                top2 = Fma(y2, 2, w8, Fma(y2, 1, w7, Fma(y2, 0, w6, top2)));
                bot2 = Fma(y3, 2, w8, Fma(y3, 1, w7, Fma(y3, 0, w6, bot2)));
                top += top2; bot += bot2;
                Put(top, o + q, add);
                Put(bot, o + Q + q, add);
            }
            if (q < Q)
            {
                StoreTail(Row3(x0 + q, w0, w1, w2) + Row3(x1 + q, w3, w4, w5) + (Row3(x2 + q, w6, w7, w8) + b), o + q, Q - q, add);
                StoreTail(Row3(x1 + q, w0, w1, w2) + Row3(x2 + q, w3, w4, w5) + (Row3(x3 + q, w6, w7, w8) + b), o + Q + q, Q - q, add);
            }
        }
        for (; p < P; p++, o += Q)
        {
            float* x0 = buf + p * ld, x1 = x0 + ld, x2 = x1 + ld;
            int q = 0;
            // Three independent chains (one per kernel row), summed at the end.
            for (; q <= Q - 8; q += 8)
                Put(Row3(x0 + q, w0, w1, w2) + Row3(x1 + q, w3, w4, w5) + (Row3(x2 + q, w6, w7, w8) + b), o + q, add);
            if (q < Q)
                StoreTail(Row3(x0 + q, w0, w1, w2) + Row3(x1 + q, w3, w4, w5) + (Row3(x2 + q, w6, w7, w8) + b), o + q, Q - q, add);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GatherAny(float* buf, int ld, float* k, int R, int S, int dh, int dw, float bias, float* o, int P, int Q, bool add)
    {
        var b = Vector256.Create(bias);
        for (int p = 0; p < P; p++, o += Q)
        {
            float* row = buf + p * ld;
            int q = 0;
            // 32 columns at a time: four independent accumulators per weight broadcast.
            for (; q <= Q - 32; q += 32)
            {
                Vector256<float> a0 = b, a1 = b, a2 = b, a3 = b;
                for (int r = 0; r < R; r++)
                {
                    float* xr = row + r * dh * ld + q;
                    for (int s = 0; s < S; s++)
                    {
                        var wv = Vector256.Create(k[r * S + s]);
                        float* xs = xr + s * dw;
                        a0 = Vector256.FusedMultiplyAdd(Mem.Load(xs), wv, a0);
                        a1 = Vector256.FusedMultiplyAdd(Mem.Load(xs + 8), wv, a1);
                        a2 = Vector256.FusedMultiplyAdd(Mem.Load(xs + 16), wv, a2);
                        a3 = Vector256.FusedMultiplyAdd(Mem.Load(xs + 24), wv, a3);
                    }
                }
                Put(a0, o + q, add); Put(a1, o + q + 8, add); Put(a2, o + q + 16, add); Put(a3, o + q + 24, add);
            }
            for (; q < Q; q += 8)
            {
                var a = b;
                for (int r = 0; r < R; r++)
                {
                    float* xr = row + r * dh * ld + q;
                    for (int s = 0; s < S; s++) a = Vector256.FusedMultiplyAdd(Mem.Load(xr + s * dw), Vector256.Create(k[r * S + s]), a);
                }
                if (q + 8 <= Q) Put(a, o + q, add);
                else StoreTail(a, o + q, Q - q, add);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightTaps3x3(float* dy, int ldy, float* x, int ldx, int P, int Q, double* acc)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default;
        int p = 0;
        // Two dy rows per pass: x rows p+1 and p+2 are loaded once for both (7 loads per dy vector instead of 10; the 9
        // FMAs per dy vector are the bound). q runs to Up8(Q): the lanes past Q multiply dy's zero border.
        for (; p <= P - 2; p += 2, dy += 2 * ldy, x += 2 * ldx)
        {
            float* d1r = dy + ldy, x0 = x, x1 = x + ldx, x2 = x1 + ldx, x3 = x2 + ldx;
            for (int q = 0; q < Q; q += 8)
            {
                var d0 = Mem.Load(dy + q); var d1 = Mem.Load(d1r + q);
                Vector256<float> v;
                v = Mem.Load(x0 + q); a0 = Vector256.FusedMultiplyAdd(d0, v, a0);
                v = Mem.Load(x0 + q + 1); a1 = Vector256.FusedMultiplyAdd(d0, v, a1);
                v = Mem.Load(x0 + q + 2); a2 = Vector256.FusedMultiplyAdd(d0, v, a2);
                v = Mem.Load(x1 + q); a3 = Vector256.FusedMultiplyAdd(d0, v, a3); a0 = Vector256.FusedMultiplyAdd(d1, v, a0);
                v = Mem.Load(x1 + q + 1); a4 = Vector256.FusedMultiplyAdd(d0, v, a4); a1 = Vector256.FusedMultiplyAdd(d1, v, a1);
                v = Mem.Load(x1 + q + 2); a5 = Vector256.FusedMultiplyAdd(d0, v, a5); a2 = Vector256.FusedMultiplyAdd(d1, v, a2);
                v = Mem.Load(x2 + q); a6 = Vector256.FusedMultiplyAdd(d0, v, a6); a3 = Vector256.FusedMultiplyAdd(d1, v, a3);
                v = Mem.Load(x2 + q + 1); a7 = Vector256.FusedMultiplyAdd(d0, v, a7); a4 = Vector256.FusedMultiplyAdd(d1, v, a4);
                v = Mem.Load(x2 + q + 2); a8 = Vector256.FusedMultiplyAdd(d0, v, a8); a5 = Vector256.FusedMultiplyAdd(d1, v, a5);
                v = Mem.Load(x3 + q); a6 = Vector256.FusedMultiplyAdd(d1, v, a6);
                v = Mem.Load(x3 + q + 1); a7 = Vector256.FusedMultiplyAdd(d1, v, a7);
                v = Mem.Load(x3 + q + 2); a8 = Vector256.FusedMultiplyAdd(d1, v, a8);
            }
        }
        for (; p < P; p++, dy += ldy, x += ldx)
        {
            float* x0 = x, x1 = x + ldx, x2 = x1 + ldx;
            for (int q = 0; q < Q; q += 8)
            {
                var d = Mem.Load(dy + q);
                a0 = Vector256.FusedMultiplyAdd(d, Mem.Load(x0 + q), a0);
                a1 = Vector256.FusedMultiplyAdd(d, Mem.Load(x0 + q + 1), a1);
                a2 = Vector256.FusedMultiplyAdd(d, Mem.Load(x0 + q + 2), a2);
                a3 = Vector256.FusedMultiplyAdd(d, Mem.Load(x1 + q), a3);
                a4 = Vector256.FusedMultiplyAdd(d, Mem.Load(x1 + q + 1), a4);
                a5 = Vector256.FusedMultiplyAdd(d, Mem.Load(x1 + q + 2), a5);
                a6 = Vector256.FusedMultiplyAdd(d, Mem.Load(x2 + q), a6);
                a7 = Vector256.FusedMultiplyAdd(d, Mem.Load(x2 + q + 1), a7);
                a8 = Vector256.FusedMultiplyAdd(d, Mem.Load(x2 + q + 2), a8);
            }
        }
        acc[0] += Vector256.Sum(a0); acc[1] += Vector256.Sum(a1); acc[2] += Vector256.Sum(a2);
        acc[3] += Vector256.Sum(a3); acc[4] += Vector256.Sum(a4); acc[5] += Vector256.Sum(a5);
        acc[6] += Vector256.Sum(a6); acc[7] += Vector256.Sum(a7); acc[8] += Vector256.Sum(a8);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightTapsAny(float* dy, int ldy, float* x, int ldx, int R, int S, int dh, int dw, int P, int Q, double* acc)
    {
        int Qv = PaddedPlane.Up8(Q);
        for (int r = 0; r < R; r++)
            for (int s = 0; s < S; s++)
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                float* d = dy, xr = x + r * dh * ldx + s * dw;
                for (int p = 0; p < P; p++, d += ldy, xr += ldx)
                {
                    int q = 0;
                    for (; q <= Qv - 32; q += 32)
                    {
                        a0 = Vector256.FusedMultiplyAdd(Mem.Load(d + q), Mem.Load(xr + q), a0);
                        a1 = Vector256.FusedMultiplyAdd(Mem.Load(d + q + 8), Mem.Load(xr + q + 8), a1);
                        a2 = Vector256.FusedMultiplyAdd(Mem.Load(d + q + 16), Mem.Load(xr + q + 16), a2);
                        a3 = Vector256.FusedMultiplyAdd(Mem.Load(d + q + 24), Mem.Load(xr + q + 24), a3);
                    }
                    // The last vectors of a row alternate between two accumulators row by row.
                    if ((p & 1) == 0)
                        for (; q < Qv; q += 8) a0 = Vector256.FusedMultiplyAdd(Mem.Load(d + q), Mem.Load(xr + q), a0);
                    else
                        for (; q < Qv; q += 8) a1 = Vector256.FusedMultiplyAdd(Mem.Load(d + q), Mem.Load(xr + q), a1);
                }
                acc[r * S + s] += Vector256.Sum((a0 + a1) + (a2 + a3));
            }
    }
}
