using System.Runtime.CompilerServices;

namespace Engine.Kernels.Ops;

// One struct per elementwise function: the scalar Invoke (what GPU backends compile) and Invoke<T>, written once
// over the vector width (ISimd: V512, V256, S1). The CPU runs only Invoke<T> (its driver sends partial vectors and
// strided elements through it too), so an element's bits depend neither on where it sits nor on the width. Both paths
// follow PyTorch on NaN and signed zeros (checked against PyTorch 1.13: relu(NaN) = NaN, relu(-0) = -0,
// clamp(-0, 0, 1) = -0, maximum(-0, 0) = -0, sign(NaN) = 0), and agree bit for bit where the math is exact;
// transcendental functions agree to a few ulps across the two paths.

public readonly struct IdentityOp : IUnaryOp
{
    public float Invoke(float x) => x;
    public T Invoke<T>(T x) where T : struct, ISimd<T> => x;
}

public readonly struct NegOp : IUnaryOp
{
    public float Invoke(float x) => -x;
    public T Invoke<T>(T x) where T : struct, ISimd<T> => -x;
}

/// <summary>y = x * s + t.</summary>
public readonly struct AffineOp(float scale, float shift) : IUnaryOp
{
    public readonly float Scale = scale, Shift = shift;
    public float Invoke(float x) => x * Scale + Shift;
    public T Invoke<T>(T x) where T : struct, ISimd<T> => T.Fma(x, T.Create(Scale), T.Create(Shift));
}

public readonly struct ExpOp : IUnaryOp
{
    public float Invoke(float x) => MathF.Exp(x);
    public T Invoke<T>(T x) where T : struct, ISimd<T> => VMath.Exp(x);
}

public readonly struct LogOp : IUnaryOp
{
    public float Invoke(float x) => MathF.Log(x);
    public T Invoke<T>(T x) where T : struct, ISimd<T> => VMath.Log(x);
}

public readonly struct SqrtOp : IUnaryOp
{
    public float Invoke(float x) => MathF.Sqrt(x);
    public T Invoke<T>(T x) where T : struct, ISimd<T> => T.Sqrt(x);
}

public readonly struct AbsOp : IUnaryOp
{
    public float Invoke(float x) => MathF.Abs(x);
    public T Invoke<T>(T x) where T : struct, ISimd<T> => T.Abs(x);
}

/// <summary>sign(x) in {-1, 0, 1}; sign(NaN) = 0 as in PyTorch.</summary>
public readonly struct SignOp : IUnaryOp
{
    public float Invoke(float x) => x > 0 ? 1f : x < 0 ? -1f : 0f;
    public T Invoke<T>(T x) where T : struct, ISimd<T> =>
        (T.GreaterThan(x, T.Zero) & T.One) - (T.LessThan(x, T.Zero) & T.One);
}

public readonly struct SquareOp : IUnaryOp
{
    public float Invoke(float x) => x * x;
    public T Invoke<T>(T x) where T : struct, ISimd<T> => x * x;
}

public readonly struct ReciprocalOp : IUnaryOp
{
    public float Invoke(float x) => 1f / x;
    public T Invoke<T>(T x) where T : struct, ISimd<T> => T.One / x;
}

/// <summary>y = x^p for a constant p (exact for p = 2, 1, 0.5, -1; pow otherwise).</summary>
public readonly struct PowScalarOp(float p) : IUnaryOp
{
    public readonly float P = p;
    public float Invoke(float x) => P == 2f ? x * x : P == 1f ? x : P == 0.5f ? MathF.Sqrt(x) : P == -1f ? 1f / x : MathF.Pow(x, P);
    public T Invoke<T>(T x) where T : struct, ISimd<T>
    {
        if (P == 2f) return x * x;
        if (P == 1f) return x;
        if (P == 0.5f) return T.Sqrt(x);
        if (P == -1f) return T.One / x;
        return Lanewise.Map(x, this);
    }
}

/// <summary>relu(x) = x &lt; 0 ? 0 : x, PyTorch's form: NaN stays NaN (so AnomalyGuard sees it) and -0 stays -0.</summary>
public readonly struct ReluOp : IUnaryOp
{
    public float Invoke(float x) => x < 0 ? 0f : x;
    public T Invoke<T>(T x) where T : struct, ISimd<T> => T.AndNot(x, T.LessThan(x, T.Zero));
}

public readonly struct LeakyReluOp(float slope) : IUnaryOp
{
    public readonly float Slope = slope;
    public float Invoke(float x) => x > 0 ? x : x * Slope;
    public T Invoke<T>(T x) where T : struct, ISimd<T> => T.Select(T.GreaterThan(x, T.Zero), x, x * T.Create(Slope));
}

/// <summary>clamp(x) = x &lt; min ? min : x &gt; max ? max : x (NaN passes through, as in PyTorch).</summary>
public readonly struct ClampOp(float min, float max) : IUnaryOp
{
    public readonly float Min = min, Max = max;
    public float Invoke(float x) => x < Min ? Min : x > Max ? Max : x;
    public T Invoke<T>(T x) where T : struct, ISimd<T>
    {
        var lo = T.Create(Min); var hi = T.Create(Max);
        return T.Select(T.LessThan(x, lo), lo, T.Select(T.GreaterThan(x, hi), hi, x));
    }
}

/// <summary>sigmoid(x) = 1 / (1 + exp(-x)); saturates cleanly at +-inf.</summary>
public readonly struct SigmoidOp : IUnaryOp
{
    public float Invoke(float x) => 1f / (1f + MathF.Exp(-x));
    // Inlined into the kernels that call it (the recurrent cells' MapRow): left to the JIT, its size kept it a call
    // that went through tier 0 while a benchmark ran.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke<T>(T x) where T : struct, ISimd<T> => T.One / (T.One + VMath.Exp(-x));
}

/// <summary>
/// tanh. Vector path: for |x| &gt;= 0.625, sign(x) (1 - 2 / (exp(2|x|) + 1)) (exact limits at +-inf, no inf/inf);
/// below, Cephes' tanhf odd polynomial x + x^3 P(x^2), because 1 - 2/(e+1) cancels catastrophically near 0
/// (it returned 1.19e-7 for tanh(1e-7)).
/// </summary>
public readonly struct TanhOp : IUnaryOp
{
    public float Invoke(float x) => MathF.Tanh(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]   // as SigmoidOp's
    public T Invoke<T>(T x) where T : struct, ISimd<T>
    {
        var ax = T.Abs(x);
        var e = VMath.Exp(ax + ax);
        var large = (T.One - T.Create(2f) / (e + T.One)) | (x & T.Create(-0f));
        var z = x * x;
        var p = T.Fma(T.Create(-5.70498872745e-3f), z, T.Create(2.06390887954e-2f));
        p = T.Fma(p, z, T.Create(-5.37397155531e-2f));
        p = T.Fma(p, z, T.Create(1.33314422036e-1f));
        p = T.Fma(p, z, T.Create(-3.33332819422e-1f));
        var small = T.Fma(p * z, x, x);
        return T.Select(T.LessThan(ax, T.Create(0.625f)), small, large);
    }
}

/// <summary>GELU, PyTorch's exact form: 0.5 x (1 + erf(x / sqrt 2)).</summary>
public readonly struct GeluOp : IUnaryOp
{
    public float Invoke(float x) => 0.5f * x * (1f + Erf.Scalar(x * 0.70710678f));
    public T Invoke<T>(T x) where T : struct, ISimd<T> =>
        T.Create(0.5f) * x * (T.One + Erf.Of(x * T.Create(0.70710678f)));
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
    public static T Of<T>(T x) where T : struct, ISimd<T>
    {
        var sign = x & T.Create(-0f);
        var a = T.Abs(x);
        var t = T.One / (T.One + T.Create(0.3275911f) * a);
        var p = T.Fma(T.Create(1.061405429f), t, T.Create(-1.453152027f));
        p = T.Fma(p, t, T.Create(1.421413741f));
        p = T.Fma(p, t, T.Create(-0.284496736f));
        p = T.Fma(p, t, T.Create(0.254829592f));
        var y = T.One - p * t * VMath.Exp(-(a * a));
        return y | sign;
    }
}

/// <summary>Lane-by-lane fallbacks for functions with no vector form (pow with a general exponent).</summary>
public static class Lanewise
{
    /// <summary>op's scalar Invoke on each lane of x.</summary>
    public static T Map<T, TOp>(T x, TOp op) where T : struct, ISimd<T> where TOp : struct, IUnaryOp
    {
        Span<float> t = stackalloc float[T.Count];
        for (int i = 0; i < T.Count; i++) t[i] = op.Invoke(T.Lane(x, i));
        return T.Load(in t[0], 0);
    }

    /// <summary>f on each pair of lanes of a and b.</summary>
    public static T Zip<T, TOp>(T a, T b, TOp op) where T : struct, ISimd<T> where TOp : struct, IBinaryOp
    {
        Span<float> t = stackalloc float[T.Count];
        for (int i = 0; i < T.Count; i++) t[i] = op.Invoke(T.Lane(a, i), T.Lane(b, i));
        return T.Load(in t[0], 0);
    }
}
