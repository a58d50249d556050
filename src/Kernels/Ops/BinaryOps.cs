
namespace Engine.Kernels.Ops;

public readonly struct AddOp : IBinaryOp
{
    public float Invoke(float a, float b) => a + b;
    public T Invoke<T>(T a, T b) where T : struct, ISimd<T> => a + b;
}

/// <summary>a + alpha * b (axpy, used by in-place accumulation).</summary>
public readonly struct AddScaledOp(float alpha) : IBinaryOp
{
    public readonly float Alpha = alpha;
    public float Invoke(float a, float b) => a + Alpha * b;
    public T Invoke<T>(T a, T b) where T : struct, ISimd<T> => T.Fma(b, T.Create(Alpha), a);
}

/// <summary>alpha * a + beta * b (lerp-like, used by EMA and optimizer moments).</summary>
public readonly struct LinearCombOp(float alpha, float beta) : IBinaryOp
{
    public readonly float Alpha = alpha, Beta = beta;
    public float Invoke(float a, float b) => Alpha * a + Beta * b;
    public T Invoke<T>(T a, T b) where T : struct, ISimd<T> => T.Fma(a, T.Create(Alpha), b * T.Create(Beta));
}

public readonly struct SubOp : IBinaryOp
{
    public float Invoke(float a, float b) => a - b;
    public T Invoke<T>(T a, T b) where T : struct, ISimd<T> => a - b;
}

public readonly struct MulOp : IBinaryOp
{
    public float Invoke(float a, float b) => a * b;
    public T Invoke<T>(T a, T b) where T : struct, ISimd<T> => a * b;
}

public readonly struct DivOp : IBinaryOp
{
    public float Invoke(float a, float b) => a / b;
    public T Invoke<T>(T a, T b) where T : struct, ISimd<T> => a / b;
}

/// <summary>a^b elementwise.</summary>
public readonly struct PowOp : IBinaryOp
{
    public float Invoke(float a, float b) => MathF.Pow(a, b);
    public T Invoke<T>(T a, T b) where T : struct, ISimd<T> => Lanewise.Zip(a, b, this);
}

/// <summary>maximum(a, b) = a &gt;= b or a is NaN ? a : b: a NaN on either side wins, and a tie keeps a (PyTorch: maximum(-0, 0) = -0).</summary>
public readonly struct MaximumOp : IBinaryOp
{
    public float Invoke(float a, float b) => a >= b || float.IsNaN(a) ? a : b;
    public T Invoke<T>(T a, T b) where T : struct, ISimd<T> =>
        T.Select(T.GreaterThanOrEqual(a, b) | ~T.Equals(a, a), a, b);
}

/// <summary>minimum(a, b) = a &lt;= b or a is NaN ? a : b (see <see cref="MaximumOp"/>).</summary>
public readonly struct MinimumOp : IBinaryOp
{
    public float Invoke(float a, float b) => a <= b || float.IsNaN(a) ? a : b;
    public T Invoke<T>(T a, T b) where T : struct, ISimd<T> =>
        T.Select(T.LessThanOrEqual(a, b) | ~T.Equals(a, a), a, b);
}

public enum Compare { Eq, Ne, Lt, Le, Gt, Ge }

/// <summary>Comparison as a 0/1 float mask.</summary>
public readonly struct CompareOp(Compare kind) : IBinaryOp
{
    public readonly Compare Kind = kind;
    public float Invoke(float a, float b) => Kind switch
    {
        Compare.Eq => a == b ? 1f : 0f,
        Compare.Ne => a != b ? 1f : 0f,
        Compare.Lt => a < b ? 1f : 0f,
        Compare.Le => a <= b ? 1f : 0f,
        Compare.Gt => a > b ? 1f : 0f,
        _ => a >= b ? 1f : 0f,
    };
    public T Invoke<T>(T a, T b) where T : struct, ISimd<T> => T.One & (Kind switch
    {
        Compare.Eq => T.Equals(a, b),
        Compare.Ne => ~T.Equals(a, b),
        Compare.Lt => T.LessThan(a, b),
        Compare.Le => T.LessThanOrEqual(a, b),
        Compare.Gt => T.GreaterThan(a, b),
        _ => T.GreaterThanOrEqual(a, b),
    });
}

// ---- gradient helpers: f(dy, x) --------------------------------------------------------

/// <summary>dy * (y > 0): ReLU backward (with y or x; same mask).</summary>
public readonly struct ReluGradOp : IBinaryOp
{
    public float Invoke(float dy, float y) => y > 0 ? dy : 0f;
    public T Invoke<T>(T dy, T y) where T : struct, ISimd<T> => dy & T.GreaterThan(y, T.Zero);
}

public readonly struct LeakyReluGradOp(float slope) : IBinaryOp
{
    public readonly float Slope = slope;
    public float Invoke(float dy, float x) => x > 0 ? dy : dy * Slope;
    public T Invoke<T>(T dy, T x) where T : struct, ISimd<T> =>
        T.Select(T.GreaterThan(x, T.Zero), dy, dy * T.Create(Slope));
}

/// <summary>dy * y * (1 - y): sigmoid backward from its output.</summary>
public readonly struct SigmoidGradOp : IBinaryOp
{
    public float Invoke(float dy, float y) => dy * y * (1f - y);
    public T Invoke<T>(T dy, T y) where T : struct, ISimd<T> => dy * y * (T.One - y);
}

/// <summary>dy * (1 - y^2): tanh backward from its output.</summary>
public readonly struct TanhGradOp : IBinaryOp
{
    public float Invoke(float dy, float y) => dy * (1f - y * y);
    public T Invoke<T>(T dy, T y) where T : struct, ISimd<T> => dy * (T.One - y * y);
}

/// <summary>dy * d/dx[0.5 x (1 + erf(x/sqrt2))] = dy * (Phi(x) + x phi(x)).</summary>
public readonly struct GeluGradOp : IBinaryOp
{
    public float Invoke(float dy, float x)
    {
        float cdf = 0.5f * (1f + Erf.Scalar(x * 0.70710678f));
        float pdf = 0.39894228f * MathF.Exp(-0.5f * x * x);
        return dy * (cdf + x * pdf);
    }
    public T Invoke<T>(T dy, T x) where T : struct, ISimd<T>
    {
        var cdf = T.Create(0.5f) * (T.One + Erf.Of(x * T.Create(0.70710678f)));
        var pdf = T.Create(0.39894228f) * VMath.Exp(T.Create(-0.5f) * x * x);
        return dy * T.Fma(x, pdf, cdf);
    }
}

/// <summary>dy where min &lt;= x &lt;= max, else 0: clamp backward (PyTorch passes the gradient at the bounds).</summary>
public readonly struct ClampGradOp(float min, float max) : IBinaryOp
{
    public readonly float Min = min, Max = max;
    public float Invoke(float dy, float x) => x >= Min && x <= Max ? dy : 0f;
    public T Invoke<T>(T dy, T x) where T : struct, ISimd<T> =>
        dy & T.GreaterThanOrEqual(x, T.Create(Min)) & T.LessThanOrEqual(x, T.Create(Max));
}
