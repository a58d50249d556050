using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine;

/// <summary>Eight float lanes: AVX2 with FMA (see <see cref="ISimd{T}"/>).</summary>
public readonly unsafe struct V256 : ISimd<V256>
{
    public readonly Vector256<float> V;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public V256(Vector256<float> v) => V = v;

    public static int Count => 8;
    public static V256 Zero => new(Vector256<float>.Zero);
    public static V256 One => new(Vector256<float>.One);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Create(float value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Load(ref readonly float at, nuint index) => new(Vector256.LoadUnsafe(in at, index));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V256 v, ref float at, nuint index) => v.V.StoreUnsafe(ref at, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Load(float* p) => new(Vector256.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V256 v, float* p) => v.V.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator +(V256 a, V256 b) => new(a.V + b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator -(V256 a, V256 b) => new(a.V - b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator *(V256 a, V256 b) => new(a.V * b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator /(V256 a, V256 b) => new(a.V / b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator -(V256 a) => new(-a.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator &(V256 a, V256 b) => new(a.V & b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator |(V256 a, V256 b) => new(a.V | b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator ^(V256 a, V256 b) => new(a.V ^ b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 operator ~(V256 a) => new(~a.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 AndNot(V256 a, V256 b) => new(Vector256.AndNot(a.V, b.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Fma(V256 a, V256 b, V256 c) => new(Vector256.FusedMultiplyAdd(a.V, b.V, c.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Min(V256 a, V256 b) => new(Vector256.Min(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Max(V256 a, V256 b) => new(Vector256.Max(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Abs(V256 a) => new(Vector256.Abs(a.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Sqrt(V256 a) => new(Vector256.Sqrt(a.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Round(V256 a) => new(Vector256.Round(a.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Equals(V256 a, V256 b) => new(Vector256.Equals(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 LessThan(V256 a, V256 b) => new(Vector256.LessThan(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 LessThanOrEqual(V256 a, V256 b) => new(Vector256.LessThanOrEqual(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 GreaterThan(V256 a, V256 b) => new(Vector256.GreaterThan(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 GreaterThanOrEqual(V256 a, V256 b) => new(Vector256.GreaterThanOrEqual(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Select(V256 mask, V256 a, V256 b) => new(Vector256.ConditionalSelect(mask.V, a.V, b.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 ScaleByPow2(V256 x, V256 n)
    {
        var ni = Vector256.ConvertToInt32(n.V);
        var h = Vector256.ShiftRightArithmetic(ni, 1);
        var s1 = Vector256.ShiftLeft(h + Vector256.Create(127), 23).AsSingle();
        var s2 = Vector256.ShiftLeft(ni - h + Vector256.Create(127), 23).AsSingle();
        return new(x.V * s1 * s2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 ReduceForLog(V256 x, out V256 e)
    {
        var bits = x.V.AsInt32();
        var ei = Vector256.ShiftRightArithmetic(bits - Vector256.Create(0x3f3504f3), 23);   // 0x3f3504f3 = sqrt(1/2)
        e = new(Vector256.ConvertToSingle(ei));
        return new((bits - Vector256.ShiftLeft(ei, 23)).AsSingle() - Vector256<float>.One);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave(V256 lo, V256 hi, out V256 even, out V256 odd)
    {
        var e = System.Runtime.Intrinsics.X86.Avx.Shuffle(lo.V, hi.V, 0b10_00_10_00);   // x0 x2 x8 x10 | x4 x6 x12 x14
        var o = System.Runtime.Intrinsics.X86.Avx.Shuffle(lo.V, hi.V, 0b11_01_11_01);   // x1 x3 x9 x11 | x5 x7 x13 x15
        even = new(System.Runtime.Intrinsics.X86.Avx2.Permute4x64(e.AsDouble(), 0b11_01_10_00).AsSingle());
        odd = new(System.Runtime.Intrinsics.X86.Avx2.Permute4x64(o.AsDouble(), 0b11_01_10_00).AsSingle());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreInt32(V256 v, int* p) => Vector256.ConvertToInt32(v.V).Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(V256 v) => Vector256.Sum(v.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Lane(V256 v, int i) => v.V.GetElement(i);
}
