namespace Engine;

/// <summary>
/// One elementwise function. Backends write the loop once, generic over the op struct, so the JIT inlines the op into
/// the loop; parameters (a slope, a clamp range) are fields of the struct.
/// </summary>
/// <remarks>
/// Two paths: <see cref="Invoke{T}"/>, written once over the vector width (<see cref="V512"/>, <see cref="V256"/>, or
/// the one-lane <see cref="S1"/>), is the only one the CPU runs, at every position and width; the scalar
/// <see cref="Invoke(float)"/> is what GPU backends compile. Both follow PyTorch on NaN and signed zeros.
/// </remarks>
public interface IUnaryOp
{
    float Invoke(float x);
    T Invoke<T>(T x) where T : struct, ISimd<T>;
}

/// <summary>A binary elementwise function <c>f(a, b)</c>; see <see cref="IUnaryOp"/>.</summary>
public interface IBinaryOp
{
    float Invoke(float a, float b);
    T Invoke<T>(T a, T b) where T : struct, ISimd<T>;
}

public enum ReduceKind { Sum, Max, Min }
