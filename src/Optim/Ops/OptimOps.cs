using System.Runtime.Intrinsics;

namespace Engine.Optim.Ops;

// Elementwise pieces of the optimizer updates. Each is one readonly struct with a scalar path
// (the one GPU backends call) and a Vector256 path that computes the same thing (the CPU runs only the vector path). Scalars such as
// step sizes are computed in double by the optimizer and passed in as float, as PyTorch does.

/// <summary>(a, b) -> alpha * a + beta * b * b. The second-moment EMA: v = β₂ v + (1 - β₂) g².</summary>
public readonly struct SquareLerpOp(float alpha, float beta) : IBinaryOp
{
    public readonly float Alpha = alpha, Beta = beta;
    public float Invoke(float a, float b) => Alpha * a + Beta * (b * b);
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) =>
        Vector256.Create(Alpha) * a + Vector256.Create(Beta) * (b * b);
}

/// <summary>x -> sqrt(x) / div + eps. Adam's denominator sqrt(v̂) + ε with the bias correction folded into div.</summary>
public readonly struct SqrtDivAddOp(float div, float eps) : IUnaryOp
{
    public readonly float Div = div, Eps = eps;
    public float Invoke(float x) => MathF.Sqrt(x) / Div + Eps;
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Sqrt(x) / Vector256.Create(Div) + Vector256.Create(Eps);
}

/// <summary>(a, b) -> b / a. Used in place on a freshly made denominator: denom becomes numerator / denom.</summary>
public readonly struct DivideIntoOp : IBinaryOp
{
    public float Invoke(float a, float b) => b / a;
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => b / a;
}

/// <summary>(a, b) -> a - b * b. Centered RMSprop's variance estimate E[g²] - E[g]².</summary>
public readonly struct SubSquareOp : IBinaryOp
{
    public float Invoke(float a, float b) => a - b * b;
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a - b * b;
}

/// <summary>x -> clamp(stepSize / x, lower, upper). AdaBound's per-element learning rate η / (sqrt(v) + ε) clipped into its bounds.</summary>
public readonly struct BoundedStepOp(float stepSize, float lower, float upper) : IUnaryOp
{
    public readonly float StepSize = stepSize, Lower = lower, Upper = upper;
    public float Invoke(float x)
    {
        float s = StepSize / x;
        return s < Lower ? Lower : s > Upper ? Upper : s;
    }
    public Vector256<float> Invoke(Vector256<float> x)
    {
        var s = Vector256.Create(StepSize) / x; var lo = Vector256.Create(Lower); var hi = Vector256.Create(Upper);
        return Vector256.ConditionalSelect(Vector256.LessThan(s, lo), lo, Vector256.ConditionalSelect(Vector256.GreaterThan(s, hi), hi, s));
    }
}

/// <summary>x -> |x|^p. The terms of a p-norm.</summary>
public readonly struct AbsPowOp(float p) : IUnaryOp
{
    public readonly float P = p;
    public float Invoke(float x) => MathF.Pow(MathF.Abs(x), P);
    public Vector256<float> Invoke(Vector256<float> x)
    {
        var a = Vector256.Abs(x);
        return Vector256.Create(MathF.Pow(a[0], P), MathF.Pow(a[1], P), MathF.Pow(a[2], P), MathF.Pow(a[3], P),
                                MathF.Pow(a[4], P), MathF.Pow(a[5], P), MathF.Pow(a[6], P), MathF.Pow(a[7], P));
    }
}

/// <summary>
/// (g, prev) -> g·prev &gt; 0 ? up : g·prev &lt; 0 ? down : 1. Rprop's step-size factor: grow while the
/// gradient keeps its sign, shrink when it flips.
/// </summary>
public readonly struct RpropFactorOp(float down, float up) : IBinaryOp
{
    public readonly float Down = down, Up = up;
    public float Invoke(float a, float b)
    {
        float s = a * b;
        return s > 0 ? Up : s < 0 ? Down : 1f;
    }
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b)
    {
        var s = a * b;
        return Vector256.ConditionalSelect(Vector256.GreaterThan(s, Vector256<float>.Zero), Vector256.Create(Up),
               Vector256.ConditionalSelect(Vector256.LessThan(s, Vector256<float>.Zero), Vector256.Create(Down), Vector256<float>.One));
    }
}
