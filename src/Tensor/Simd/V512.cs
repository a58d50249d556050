using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine;

/// <summary>Sixteen float lanes: AVX-512F (see <see cref="ISimd{T}"/>).</summary>
public readonly unsafe struct V512 : ISimd<V512>
{
    public readonly Vector512<float> V;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public V512(Vector512<float> v) => V = v;

    public static int Count => 16;
    public static V512 Zero => new(Vector512<float>.Zero);
    public static V512 One => new(Vector512<float>.One);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Create(float value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Load(ref readonly float at, nuint index) => new(Vector512.LoadUnsafe(in at, index));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V512 v, ref float at, nuint index) => v.V.StoreUnsafe(ref at, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Load(float* p) => new(Vector512.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V512 v, float* p) => v.V.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator +(V512 a, V512 b) => new(a.V + b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator -(V512 a, V512 b) => new(a.V - b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator *(V512 a, V512 b) => new(a.V * b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator /(V512 a, V512 b) => new(a.V / b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator -(V512 a) => new(-a.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator &(V512 a, V512 b) => new(a.V & b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator |(V512 a, V512 b) => new(a.V | b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator ^(V512 a, V512 b) => new(a.V ^ b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 operator ~(V512 a) => new(~a.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 AndNot(V512 a, V512 b) => new(Vector512.AndNot(a.V, b.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Fma(V512 a, V512 b, V512 c) => new(Vector512.FusedMultiplyAdd(a.V, b.V, c.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Min(V512 a, V512 b) => new(Vector512.Min(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Max(V512 a, V512 b) => new(Vector512.Max(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Abs(V512 a) => new(Vector512.Abs(a.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Sqrt(V512 a) => new(Vector512.Sqrt(a.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Round(V512 a) => new(Vector512.Round(a.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Equals(V512 a, V512 b) => new(Vector512.Equals(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 LessThan(V512 a, V512 b) => new(Vector512.LessThan(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 LessThanOrEqual(V512 a, V512 b) => new(Vector512.LessThanOrEqual(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 GreaterThan(V512 a, V512 b) => new(Vector512.GreaterThan(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 GreaterThanOrEqual(V512 a, V512 b) => new(Vector512.GreaterThanOrEqual(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Select(V512 mask, V512 a, V512 b) => new(Vector512.ConditionalSelect(mask.V, a.V, b.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 ScaleByPow2(V512 x, V512 n)
    {
        var ni = Vector512.ConvertToInt32(n.V);
        var h = Vector512.ShiftRightArithmetic(ni, 1);
        var s1 = Vector512.ShiftLeft(h + Vector512.Create(127), 23).AsSingle();
        var s2 = Vector512.ShiftLeft(ni - h + Vector512.Create(127), 23).AsSingle();
        return new(x.V * s1 * s2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 ReduceForLog(V512 x, out V512 e)
    {
        var bits = x.V.AsInt32();
        var ei = Vector512.ShiftRightArithmetic(bits - Vector512.Create(0x3f3504f3), 23);   // 0x3f3504f3 = sqrt(1/2)
        e = new(Vector512.ConvertToSingle(ei));
        return new((bits - Vector512.ShiftLeft(ei, 23)).AsSingle() - Vector512<float>.One);
    }

    private static readonly Vector512<int> EvenIdx = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    private static readonly Vector512<int> OddIdx = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave(V512 lo, V512 hi, out V512 even, out V512 odd)
    {
        even = new(System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32x2(lo.V, EvenIdx, hi.V));
        odd = new(System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32x2(lo.V, OddIdx, hi.V));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreInt32(V512 v, int* p) => Vector512.ConvertToInt32(v.V).Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(V512 v) => Vector512.Sum(v.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Lane(V512 v, int i) => v.V.GetElement(i);
}
