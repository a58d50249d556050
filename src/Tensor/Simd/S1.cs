using System.Runtime.CompilerServices;

namespace Engine;

/// <summary>
/// One float lane: the scalar fallback, written with the same IEEE operations as the vector widths (MathF's fused
/// multiply-add, IEEE 754-2019 Min/Max, round-half-even, bitwise masks), so its results equal theirs bit for bit
/// (see <see cref="ISimd{T}"/>).
/// </summary>
public readonly unsafe struct S1 : ISimd<S1>
{
    public readonly float V;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public S1(float v) => V = v;

    private static readonly float AllOnes = BitConverter.Int32BitsToSingle(-1);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static int Bits(float f) => BitConverter.SingleToInt32Bits(f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static S1 FromBits(int b) => new(BitConverter.Int32BitsToSingle(b));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static S1 Mask(bool m) => new(m ? AllOnes : 0f);

    public static int Count => 1;
    public static S1 Zero => new(0f);
    public static S1 One => new(1f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 Create(float value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 Load(ref readonly float at, nuint index) => new(Unsafe.Add(ref Unsafe.AsRef(in at), index));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(S1 v, ref float at, nuint index) => Unsafe.Add(ref at, index) = v.V;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 Load(float* p) => new(*p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(S1 v, float* p) => *p = v.V;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 operator +(S1 a, S1 b) => new(a.V + b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 operator -(S1 a, S1 b) => new(a.V - b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 operator *(S1 a, S1 b) => new(a.V * b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 operator /(S1 a, S1 b) => new(a.V / b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 operator -(S1 a) => new(-a.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 operator &(S1 a, S1 b) => FromBits(Bits(a.V) & Bits(b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 operator |(S1 a, S1 b) => FromBits(Bits(a.V) | Bits(b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 operator ^(S1 a, S1 b) => FromBits(Bits(a.V) ^ Bits(b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 operator ~(S1 a) => FromBits(~Bits(a.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 AndNot(S1 a, S1 b) => FromBits(Bits(a.V) & ~Bits(b.V));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 Fma(S1 a, S1 b, S1 c) => new(MathF.FusedMultiplyAdd(a.V, b.V, c.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 Min(S1 a, S1 b) => new(MathF.Min(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 Max(S1 a, S1 b) => new(MathF.Max(a.V, b.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 Abs(S1 a) => FromBits(Bits(a.V) & int.MaxValue);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 Sqrt(S1 a) => new(MathF.Sqrt(a.V));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 Round(S1 a) => new(MathF.Round(a.V, MidpointRounding.ToEven));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 Equals(S1 a, S1 b) => Mask(a.V == b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 LessThan(S1 a, S1 b) => Mask(a.V < b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 LessThanOrEqual(S1 a, S1 b) => Mask(a.V <= b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 GreaterThan(S1 a, S1 b) => Mask(a.V > b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 GreaterThanOrEqual(S1 a, S1 b) => Mask(a.V >= b.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static S1 Select(S1 mask, S1 a, S1 b) => FromBits((Bits(a.V) & Bits(mask.V)) | (Bits(b.V) & ~Bits(mask.V)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static S1 ScaleByPow2(S1 x, S1 n)
    {
        int ni = (int)n.V, h = ni >> 1;
        return new(x.V * BitConverter.Int32BitsToSingle((h + 127) << 23) * BitConverter.Int32BitsToSingle((ni - h + 127) << 23));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static S1 ReduceForLog(S1 x, out S1 e)
    {
        int bits = Bits(x.V), ei = (bits - 0x3f3504f3) >> 23;
        e = new(ei);
        return new(BitConverter.Int32BitsToSingle(bits - (ei << 23)) - 1f);
    }

    public static void Deinterleave(S1 lo, S1 hi, out S1 even, out S1 odd) { even = lo; odd = hi; }
    public static void StoreInt32(S1 v, int* p) => *p = (int)v.V;

    public static float Sum(S1 v) => v.V;
    public static float Lane(S1 v, int i) => v.V;
}
