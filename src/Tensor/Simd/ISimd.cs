namespace Engine;

/// <summary>
/// A vector of float lanes at one width: <see cref="V512"/> (AVX-512, 16 lanes), <see cref="V256"/> (AVX2 + FMA, 8
/// lanes) or <see cref="S1"/> (one lane, plain scalar code). Elementwise math is written once, generic over T
/// (<see cref="IUnaryOp.Invoke{T}"/>, <c>VMath</c>), and the CPU runs it at the width <see cref="CpuSettings.Simd"/>
/// selects. Each member is the same IEEE operation at every width (FMA fused, division and square root correctly
/// rounded, Min/Max as IEEE 754-2019 minimum/maximum), so elementwise results agree to the last bit across widths;
/// only horizontal sums (<see cref="Sum"/>) add in another order. Masks are vectors whose lanes are all ones or all
/// zeros, as the comparisons return them. The wrappers are single-field structs: the JIT keeps them in registers.
/// </summary>
public unsafe interface ISimd<T> where T : struct, ISimd<T>
{
    /// <summary>Lanes.</summary>
    static abstract int Count { get; }
    static abstract T Zero { get; }
    static abstract T One { get; }
    static abstract T Create(float value);

    static abstract T Load(ref readonly float at, nuint index);
    static abstract void Store(T v, ref float at, nuint index);
    static abstract T Load(float* p);
    static abstract void Store(T v, float* p);

    static abstract T operator +(T a, T b);
    static abstract T operator -(T a, T b);
    static abstract T operator *(T a, T b);
    static abstract T operator /(T a, T b);
    static abstract T operator -(T a);
    /// <summary>Bitwise and, or, xor of the lanes' bits (masks, sign bits).</summary>
    static abstract T operator &(T a, T b);
    static abstract T operator |(T a, T b);
    static abstract T operator ^(T a, T b);
    /// <summary>Every bit flipped.</summary>
    static abstract T operator ~(T a);
    /// <summary>a &amp; ~b.</summary>
    static abstract T AndNot(T a, T b);

    /// <summary>a * b + c, rounded once.</summary>
    static abstract T Fma(T a, T b, T c);
    static abstract T Min(T a, T b);
    static abstract T Max(T a, T b);
    static abstract T Abs(T a);
    static abstract T Sqrt(T a);
    /// <summary>Round to nearest, ties to even.</summary>
    static abstract T Round(T a);

    static abstract T Equals(T a, T b);
    static abstract T LessThan(T a, T b);
    static abstract T LessThanOrEqual(T a, T b);
    static abstract T GreaterThan(T a, T b);
    static abstract T GreaterThanOrEqual(T a, T b);
    /// <summary>mask ? a : b, bit by bit.</summary>
    static abstract T Select(T mask, T a, T b);

    /// <summary>x * 2^n for integer-valued n in [-150, 128], as two exact powers of two (results down to the denormals keep their exponent).</summary>
    static abstract T ScaleByPow2(T x, T n);
    /// <summary>
    /// For positive normal x = m 2^e with m in [sqrt(1/2), sqrt 2): returns m - 1 and sets e (log's range reduction).
    /// </summary>
    static abstract T ReduceForLog(T x, out T e);

    /// <summary>
    /// 2 * Count consecutive floats (lo, then hi) split into the even-indexed and the odd-indexed ones, each in order
    /// (the columns of a 2-wide window).
    /// </summary>
    static abstract void Deinterleave(T lo, T hi, out T even, out T odd);
    /// <summary>Each lane converted to int32 (toward zero) and stored at p (integer-valued lanes: indices).</summary>
    static abstract void StoreInt32(T v, int* p);

    /// <summary>The sum of the lanes (in the width's own order).</summary>
    static abstract float Sum(T v);
    /// <summary>Lane i.</summary>
    static abstract float Lane(T v, int i);
}
