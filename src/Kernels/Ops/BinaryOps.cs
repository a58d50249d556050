using System.Runtime.Intrinsics;

namespace Engine.Kernels.Ops;

public readonly struct AddOp : IBinaryOp
{
    public float Invoke(float a, float b) => a + b;
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a + b;
}

/// <summary>a + alpha * b (axpy, used by in-place accumulation).</summary>
public readonly struct AddScaledOp(float alpha) : IBinaryOp
{
    public readonly float Alpha = alpha;
    public float Invoke(float a, float b) => a + Alpha * b;
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.FusedMultiplyAdd(b, Vector256.Create(Alpha), a);
}

/// <summary>alpha * a + beta * b (lerp-like, used by EMA and optimizer moments).</summary>
public readonly struct LinearCombOp(float alpha, float beta) : IBinaryOp
{
    public readonly float Alpha = alpha, Beta = beta;
    public float Invoke(float a, float b) => Alpha * a + Beta * b;
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.FusedMultiplyAdd(a, Vector256.Create(Alpha), b * Vector256.Create(Beta));
}

public readonly struct SubOp : IBinaryOp
{
    public float Invoke(float a, float b) => a - b;
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a - b;
}

public readonly struct MulOp : IBinaryOp
{
    public float Invoke(float a, float b) => a * b;
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a * b;
}

public readonly struct DivOp : IBinaryOp
{
    public float Invoke(float a, float b) => a / b;
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a / b;
}

/// <summary>a^b elementwise.</summary>
public readonly struct PowOp : IBinaryOp
{
    public float Invoke(float a, float b) => MathF.Pow(a, b);
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) =>
        Vector256.Create(MathF.Pow(a[0], b[0]), MathF.Pow(a[1], b[1]), MathF.Pow(a[2], b[2]), MathF.Pow(a[3], b[3]),
                         MathF.Pow(a[4], b[4]), MathF.Pow(a[5], b[5]), MathF.Pow(a[6], b[6]), MathF.Pow(a[7], b[7]));
}

/// <summary>maximum(a, b) = a &gt;= b or a is NaN ? a : b: a NaN on either side wins, and a tie keeps a (PyTorch: maximum(-0, 0) = -0).</summary>
public readonly struct MaximumOp : IBinaryOp
{
    public float Invoke(float a, float b) => a >= b || float.IsNaN(a) ? a : b;
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) =>
        Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a, b) | ~Vector256.Equals(a, a), a, b);
}

/// <summary>minimum(a, b) = a &lt;= b or a is NaN ? a : b (see <see cref="MaximumOp"/>).</summary>
public readonly struct MinimumOp : IBinaryOp
{
    public float Invoke(float a, float b) => a <= b || float.IsNaN(a) ? a : b;
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) =>
        Vector256.ConditionalSelect(Vector256.LessThanOrEqual(a, b) | ~Vector256.Equals(a, a), a, b);
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
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256<float>.One & (Kind switch
    {
        Compare.Eq => Vector256.Equals(a, b),
        Compare.Ne => ~Vector256.Equals(a, b),
        Compare.Lt => Vector256.LessThan(a, b),
        Compare.Le => Vector256.LessThanOrEqual(a, b),
        Compare.Gt => Vector256.GreaterThan(a, b),
        _ => Vector256.GreaterThanOrEqual(a, b),
    });
}

// ---- gradient helpers: f(dy, x) --------------------------------------------------------

/// <summary>dy * (y > 0): ReLU backward (with y or x; same mask).</summary>
public readonly struct ReluGradOp : IBinaryOp
{
    public float Invoke(float dy, float y) => y > 0 ? dy : 0f;
    public Vector256<float> Invoke(Vector256<float> dy, Vector256<float> y) => dy & Vector256.GreaterThan(y, Vector256<float>.Zero);
}

public readonly struct LeakyReluGradOp(float slope) : IBinaryOp
{
    public readonly float Slope = slope;
    public float Invoke(float dy, float x) => x > 0 ? dy : dy * Slope;
    public Vector256<float> Invoke(Vector256<float> dy, Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), dy, dy * Vector256.Create(Slope));
}

/// <summary>dy * y * (1 - y): sigmoid backward from its output.</summary>
public readonly struct SigmoidGradOp : IBinaryOp
{
    public float Invoke(float dy, float y) => dy * y * (1f - y);
    public Vector256<float> Invoke(Vector256<float> dy, Vector256<float> y) => dy * y * (Vector256<float>.One - y);
}

/// <summary>dy * (1 - y^2): tanh backward from its output.</summary>
public readonly struct TanhGradOp : IBinaryOp
{
    public float Invoke(float dy, float y) => dy * (1f - y * y);
    public Vector256<float> Invoke(Vector256<float> dy, Vector256<float> y) => dy * (Vector256<float>.One - y * y);
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
    public Vector256<float> Invoke(Vector256<float> dy, Vector256<float> x)
    {
        var cdf = Vector256.Create(0.5f) * (Vector256<float>.One + Erf.Vector(x * Vector256.Create(0.70710678f)));
        var pdf = Vector256.Create(0.39894228f) * VMath.Exp(Vector256.Create(-0.5f) * x * x);
        return dy * Vector256.FusedMultiplyAdd(x, pdf, cdf);
    }
}

/// <summary>dy where min &lt;= x &lt;= max, else 0: clamp backward (PyTorch passes the gradient at the bounds).</summary>
public readonly struct ClampGradOp(float min, float max) : IBinaryOp
{
    public readonly float Min = min, Max = max;
    public float Invoke(float dy, float x) => x >= Min && x <= Max ? dy : 0f;
    public Vector256<float> Invoke(Vector256<float> dy, Vector256<float> x) =>
        dy & Vector256.GreaterThanOrEqual(x, Vector256.Create(Min)) & Vector256.LessThanOrEqual(x, Vector256.Create(Max));
}
