namespace Engine.Kernels.Ops;

// The activations of mobile vision nets, in PyTorch 1.13's CPU forms (so -0 and the values at the kinks match):
//   hardtanh(x; lo, hi) = clamp(x, lo, hi)                 relu6 = hardtanh(x; 0, 6)
//   hardsigmoid(x)      = min(max(x + 3, 0), 6) / 6
//   hardswish(x)        = x * min(max(x + 3, 0), 6) / 6    (-0 for x <= -3, as x * 0 keeps the sign)
//   silu(x)             = x / (1 + exp(-x))
// Gradients follow PyTorch's backward kernels, including the kinks:
//   hardtanh: dy where lo < x < hi, else 0 (0 AT the bounds, unlike clamp)
//   hardsigmoid: dy * (1/6) where -3 < x < 3, else 0
//   hardswish: 0 for x < -3, dy (x / 3 + 0.5) for -3 <= x < 3, dy for x >= 3 (so -0.5 dy at -3, dy at 3).
//     That is PyTorch 1.13's vectorized CPU kernel, which every tensor of 8+ elements meets; its scalar tail
//     loop uses x <= 3 and gives 1.5 dy at exactly 3 (PyTorch disagrees with itself there; we pick the vector form).
//   silu: dy s (1 + x (1 - s)), s = sigmoid(x)

/// <summary>clamp(x + 3, 0, 6) with ClampOp's NaN handling (NaN passes through).</summary>
internal static class Relu6Of
{
    public static float Scalar(float v) => v < 0f ? 0f : v > 6f ? 6f : v;
    public static T Of<T>(T v) where T : struct, ISimd<T> =>
        T.Select(T.LessThan(v, T.Zero), T.Zero, T.Select(T.GreaterThan(v, T.Create(6f)), T.Create(6f), v));
}

/// <summary>hardsigmoid(x) = min(max(x + 3, 0), 6) / 6.</summary>
public readonly struct HardsigmoidOp : IUnaryOp
{
    public float Invoke(float x) => Relu6Of.Scalar(x + 3f) / 6f;
    public T Invoke<T>(T x) where T : struct, ISimd<T> => Relu6Of.Of(x + T.Create(3f)) / T.Create(6f);
}

/// <summary>hardswish(x) = x * min(max(x + 3, 0), 6) / 6.</summary>
public readonly struct HardswishOp : IUnaryOp
{
    public float Invoke(float x) => x * Relu6Of.Scalar(x + 3f) / 6f;
    public T Invoke<T>(T x) where T : struct, ISimd<T> => x * Relu6Of.Of(x + T.Create(3f)) / T.Create(6f);
}

/// <summary>silu(x) = x / (1 + exp(-x)) (swish).</summary>
public readonly struct SiluOp : IUnaryOp
{
    public float Invoke(float x) => x / (1f + MathF.Exp(-x));
    public T Invoke<T>(T x) where T : struct, ISimd<T> => x / (T.One + VMath.Exp(-x));
}

/// <summary>hardtanh backward: dy where min &lt; x &lt; max, else 0 (PyTorch: zero at the bounds).</summary>
public readonly struct HardtanhGradOp(float min, float max) : IBinaryOp
{
    public readonly float Min = min, Max = max;
    public float Invoke(float dy, float x) => x > Min && x < Max ? dy : 0f;
    public T Invoke<T>(T dy, T x) where T : struct, ISimd<T> =>
        dy & T.GreaterThan(x, T.Create(Min)) & T.LessThan(x, T.Create(Max));
}

/// <summary>hardsigmoid backward: dy * (1/6) where -3 &lt; x &lt; 3, else 0.</summary>
public readonly struct HardsigmoidGradOp : IBinaryOp
{
    public float Invoke(float dy, float x) => x > -3f && x < 3f ? dy * (1f / 6f) : 0f;
    public T Invoke<T>(T dy, T x) where T : struct, ISimd<T> =>
        (dy * T.Create(1f / 6f)) & T.GreaterThan(x, T.Create(-3f)) & T.LessThan(x, T.Create(3f));
}

/// <summary>hardswish backward: 0 for x &lt; -3, dy (x / 3 + 0.5) for -3 &lt;= x &lt; 3, dy from 3 on.</summary>
public readonly struct HardswishGradOp : IBinaryOp
{
    public float Invoke(float dy, float x) => x < -3f ? 0f : x < 3f ? dy * (x / 3f + 0.5f) : dy;
    public T Invoke<T>(T dy, T x) where T : struct, ISimd<T>
    {
        var mid = dy * (x / T.Create(3f) + T.Create(0.5f));
        var r = T.Select(T.LessThan(x, T.Create(3f)), mid, dy);
        return T.AndNot(r, T.LessThan(x, T.Create(-3f)));
    }
}

/// <summary>silu backward: dy s (1 + x (1 - s)), s = 1 / (1 + exp(-x)).</summary>
public readonly struct SiluGradOp : IBinaryOp
{
    public float Invoke(float dy, float x)
    {
        float s = 1f / (1f + MathF.Exp(-x));
        return dy * s * (1f + x * (1f - s));
    }
    public T Invoke<T>(T dy, T x) where T : struct, ISimd<T>
    {
        var s = T.One / (T.One + VMath.Exp(-x));
        return dy * s * (T.One + x * (T.One - s));
    }
}
