using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels.Ops;

// One struct per elementwise function: a scalar path and a Vector256 path. The CPU runs only the vector path (its
// driver sends partial vectors and strided elements through it too, so an element's bits never depend on where it
// sits); GPU backends compile only the scalar Invoke. Both follow PyTorch on NaN and signed zeros (checked against
// PyTorch 1.13: relu(NaN) = NaN, relu(-0) = -0, clamp(-0, 0, 1) = -0, maximum(-0, 0) = -0, sign(NaN) = 0), and agree
// bit for bit where the math is exact; transcendental functions agree to a few ulps across the two paths.

public readonly struct IdentityOp : IUnaryOp
{
    public float Invoke(float x) => x;
    public Vector256<float> Invoke(Vector256<float> x) => x;
}

public readonly struct NegOp : IUnaryOp
{
    public float Invoke(float x) => -x;
    public Vector256<float> Invoke(Vector256<float> x) => -x;
}

/// <summary>y = x * s + t.</summary>
public readonly struct AffineOp(float scale, float shift) : IUnaryOp
{
    public readonly float Scale = scale, Shift = shift;
    public float Invoke(float x) => x * Scale + Shift;
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.FusedMultiplyAdd(x, Vector256.Create(Scale), Vector256.Create(Shift));
}

public readonly struct ExpOp : IUnaryOp
{
    public float Invoke(float x) => MathF.Exp(x);
    public Vector256<float> Invoke(Vector256<float> x) => VMath.Exp(x);
}

public readonly struct LogOp : IUnaryOp
{
    public float Invoke(float x) => MathF.Log(x);
    public Vector256<float> Invoke(Vector256<float> x) => VMath.Log(x);
}

public readonly struct SqrtOp : IUnaryOp
{
    public float Invoke(float x) => MathF.Sqrt(x);
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Sqrt(x);
}

public readonly struct AbsOp : IUnaryOp
{
    public float Invoke(float x) => MathF.Abs(x);
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Abs(x);
}

/// <summary>sign(x) in {-1, 0, 1}.</summary>
public readonly struct SignOp : IUnaryOp
{
    public float Invoke(float x) => x > 0 ? 1f : x < 0 ? -1f : 0f;
    public Vector256<float> Invoke(Vector256<float> x) =>
        (Vector256.GreaterThan(x, Vector256<float>.Zero) & Vector256<float>.One)
        - (Vector256.LessThan(x, Vector256<float>.Zero) & Vector256<float>.One);
}

public readonly struct SquareOp : IUnaryOp
{
    public float Invoke(float x) => x * x;
    public Vector256<float> Invoke(Vector256<float> x) => x * x;
}

public readonly struct ReciprocalOp : IUnaryOp
{
    public float Invoke(float x) => 1f / x;
    public Vector256<float> Invoke(Vector256<float> x) => Vector256<float>.One / x;
}

/// <summary>y = x^p for a constant p (exact for p = 2, 1, 0.5, -1; pow otherwise).</summary>
public readonly struct PowScalarOp(float p) : IUnaryOp
{
    public readonly float P = p;
    public float Invoke(float x) => P == 2f ? x * x : P == 1f ? x : P == 0.5f ? MathF.Sqrt(x) : P == -1f ? 1f / x : MathF.Pow(x, P);
    public Vector256<float> Invoke(Vector256<float> x)
    {
        if (P == 2f) return x * x;
        if (P == 1f) return x;
        if (P == 0.5f) return Vector256.Sqrt(x);
        if (P == -1f) return Vector256<float>.One / x;
        return Vector256.Create(Invoke(x[0]), Invoke(x[1]), Invoke(x[2]), Invoke(x[3]), Invoke(x[4]), Invoke(x[5]), Invoke(x[6]), Invoke(x[7]));
    }
}

/// <summary>relu(x) = x &lt; 0 ? 0 : x, PyTorch's form: NaN stays NaN (so AnomalyGuard sees it) and -0 stays -0.</summary>
public readonly struct ReluOp : IUnaryOp
{
    public float Invoke(float x) => x < 0 ? 0f : x;
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.AndNot(x, Vector256.LessThan(x, Vector256<float>.Zero));
}

public readonly struct LeakyReluOp(float slope) : IUnaryOp
{
    public readonly float Slope = slope;
    public float Invoke(float x) => x > 0 ? x : x * Slope;
    public Vector256<float> Invoke(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, x * Vector256.Create(Slope));
}

/// <summary>clamp(x) = x &lt; min ? min : x &gt; max ? max : x (NaN passes through, as in PyTorch).</summary>
public readonly struct ClampOp(float min, float max) : IUnaryOp
{
    public readonly float Min = min, Max = max;
    public float Invoke(float x) => x < Min ? Min : x > Max ? Max : x;
    public Vector256<float> Invoke(Vector256<float> x)
    {
        var lo = Vector256.Create(Min); var hi = Vector256.Create(Max);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, lo), lo, Vector256.ConditionalSelect(Vector256.GreaterThan(x, hi), hi, x));
    }
}

/// <summary>sigmoid(x) = 1 / (1 + exp(-x)); saturates cleanly at +-inf.</summary>
public readonly struct SigmoidOp : IUnaryOp
{
    public float Invoke(float x) => 1f / (1f + MathF.Exp(-x));
    public Vector256<float> Invoke(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + VMath.Exp(-x));
}

/// <summary>
/// tanh. Vector path: for |x| &gt;= 0.625, sign(x) (1 - 2 / (exp(2|x|) + 1)) (exact limits at +-inf, no inf/inf);
/// below, Cephes' tanhf odd polynomial x + x^3 P(x^2), because 1 - 2/(e+1) cancels catastrophically near 0
/// (it returned 1.19e-7 for tanh(1e-7)).
/// </summary>
public readonly struct TanhOp : IUnaryOp
{
    public float Invoke(float x) => MathF.Tanh(x);
    public Vector256<float> Invoke(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        var e = VMath.Exp(ax + ax);
        var large = (Vector256<float>.One - Vector256.Create(2f) / (e + Vector256<float>.One)) | (x & Vector256.Create(-0f));
        var z = x * x;
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(-5.70498872745e-3f), z, Vector256.Create(2.06390887954e-2f));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(-5.37397155531e-2f));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(1.33314422036e-1f));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(-3.33332819422e-1f));
        var small = Vector256.FusedMultiplyAdd(p * z, x, x);
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.625f)), small, large);
    }
}

/// <summary>GELU, PyTorch's exact form: 0.5 x (1 + erf(x / sqrt 2)).</summary>
public readonly struct GeluOp : IUnaryOp
{
    public float Invoke(float x) => 0.5f * x * (1f + Erf.Scalar(x * 0.70710678f));
    public Vector256<float> Invoke(Vector256<float> x) =>
        Vector256.Create(0.5f) * x * (Vector256<float>.One + Erf.Vector(x * Vector256.Create(0.70710678f)));
}

/// <summary>erf with Abramowitz-Stegun 7.1.26 refined (max abs error ~1.5e-7, float32 level).</summary>
public static class Erf
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(float x)
    {
        float s = x < 0 ? -1f : 1f, a = MathF.Abs(x);
        float t = 1f / (1f + 0.3275911f * a);
        float y = 1f - (((((1.061405429f * t - 1.453152027f) * t) + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t * MathF.Exp(-a * a);
        return s * y;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Vector(Vector256<float> x)
    {
        var sign = x & Vector256.Create(-0f);
        var a = Vector256.Abs(x);
        var t = Vector256<float>.One / (Vector256<float>.One + Vector256.Create(0.3275911f) * a);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(1.061405429f), t, Vector256.Create(-1.453152027f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(1.421413741f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(-0.284496736f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(0.254829592f));
        var y = Vector256<float>.One - p * t * VMath.Exp(-(a * a));
        return y | sign;
    }
}
