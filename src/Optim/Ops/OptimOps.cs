namespace Engine.Optim.Ops;

// Elementwise pieces of the optimizer updates. Each is one readonly struct with a scalar path
// (the one GPU backends call) and a path generic over the vector width (ISimd) that computes the same thing (the CPU
// runs only that one). Scalars such as
// step sizes are computed in double by the optimizer and passed in as float, as PyTorch does.

/// <summary>(a, b) -> alpha * a + beta * b * b. The second-moment EMA: v = β₂ v + (1 - β₂) g².</summary>
public readonly struct SquareLerpOp(float alpha, float beta) : IBinaryOp
{
    public readonly float Alpha = alpha, Beta = beta;
    public float Invoke(float a, float b) => Alpha * a + Beta * (b * b);
    public T Invoke<T>(T a, T b) where T : struct, ISimd<T> =>
        T.Create(Alpha) * a + T.Create(Beta) * (b * b);
}

/// <summary>x -> sqrt(x) / div + eps. Adam's denominator sqrt(v̂) + ε with the bias correction folded into div.</summary>
public readonly struct SqrtDivAddOp(float div, float eps) : IUnaryOp
{
    public readonly float Div = div, Eps = eps;
    public float Invoke(float x) => MathF.Sqrt(x) / Div + Eps;
    public T Invoke<T>(T x) where T : struct, ISimd<T> => T.Sqrt(x) / T.Create(Div) + T.Create(Eps);
}

/// <summary>(a, b) -> b / a. Used in place on a freshly made denominator: denom becomes numerator / denom.</summary>
public readonly struct DivideIntoOp : IBinaryOp
{
    public float Invoke(float a, float b) => b / a;
    public T Invoke<T>(T a, T b) where T : struct, ISimd<T> => b / a;
}

/// <summary>(a, b) -> a - b * b. Centered RMSprop's variance estimate E[g²] - E[g]².</summary>
public readonly struct SubSquareOp : IBinaryOp
{
    public float Invoke(float a, float b) => a - b * b;
    public T Invoke<T>(T a, T b) where T : struct, ISimd<T> => a - b * b;
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
    public T Invoke<T>(T x) where T : struct, ISimd<T>
    {
        var s = T.Create(StepSize) / x; var lo = T.Create(Lower); var hi = T.Create(Upper);
        return T.Select(T.LessThan(s, lo), lo, T.Select(T.GreaterThan(s, hi), hi, s));
    }
}

/// <summary>x -> |x|^p. The terms of a p-norm.</summary>
public readonly struct AbsPowOp(float p) : IUnaryOp
{
    public readonly float P = p;
    public float Invoke(float x) => new Engine.Kernels.Ops.PowScalarOp(P).Invoke(MathF.Abs(x));
    public T Invoke<T>(T x) where T : struct, ISimd<T>
    {
        return new Engine.Kernels.Ops.PowScalarOp(P).Invoke(T.Abs(x));
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
    public T Invoke<T>(T a, T b) where T : struct, ISimd<T>
    {
        var s = a * b;   // NaN compares false both ways: factor 1, as the scalar path
        return T.Select(T.GreaterThan(s, T.Zero), T.Create(Up), T.Select(T.LessThan(s, T.Zero), T.Create(Down), T.One));
    }
}
