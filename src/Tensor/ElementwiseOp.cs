using System.Runtime.Intrinsics;

namespace Engine;

/// <summary>
/// One elementwise function, with a scalar and a Vector256 path. Backends write the loop
/// once, generic over the op struct, so the JIT inlines the op into the loop. Parameters
/// (a slope, a clamp range) are fields of the struct. GPU backends call only the scalar path.
/// </summary>
public interface IUnaryOp
{
    float Invoke(float x);
    Vector256<float> Invoke(Vector256<float> x);
}

/// <summary>A binary elementwise function <c>f(a, b)</c>; see <see cref="IUnaryOp"/>.</summary>
public interface IBinaryOp
{
    float Invoke(float a, float b);
    Vector256<float> Invoke(Vector256<float> a, Vector256<float> b);
}

public enum ReduceKind { Sum, Max, Min }
