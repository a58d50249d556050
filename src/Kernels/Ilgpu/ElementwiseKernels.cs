using ILGPU;

namespace Engine.Kernels.Ilgpu;

/// <summary>Value conversion between storage types, applied inside copy kernels (Float16 travels as ushort bits).</summary>
public interface IConvert<TS, TD> where TS : unmanaged where TD : unmanaged { TD Conv(TS x); }
public readonly struct SameConv<T> : IConvert<T, T> where T : unmanaged { public T Conv(T x) => x; }
public readonly struct F32ToF16 : IConvert<float, ushort> { public ushort Conv(float x) => HalfBits.FromFloat(x); }
public readonly struct F16ToF32 : IConvert<ushort, float> { public float Conv(ushort x) => HalfBits.ToFloat(x); }
public readonly struct I32ToF32 : IConvert<int, float> { public float Conv(int x) => x; }
/// <summary>Truncation toward zero, as C#'s (int) cast.</summary>
public readonly struct F32ToI32 : IConvert<float, int> { public int Conv(float x) => (int)x; }
public readonly struct I32ToF16 : IConvert<int, ushort> { public ushort Conv(int x) => HalfBits.FromFloat(x); }
public readonly struct F16ToI32 : IConvert<ushort, int> { public int Conv(ushort x) => (int)HalfBits.ToFloat(x); }

/// <summary>
/// Elementwise kernels, auto-grouped, one thread per element of the (coalesced) iteration shape.
/// Each operand is addressed through its <see cref="Operand"/> (offset + strides), so views,
/// transposes and broadcasts (stride 0) need no copies.
/// </summary>
internal static class ElementwiseKernels
{
    public static void Copy<TS, TD, TC>(Index1D i, ArrayView<TS> s, ArrayView<TD> d, Geo g, Operand os, Operand od, TC conv)
        where TS : unmanaged where TD : unmanaged where TC : struct, IConvert<TS, TD>
        => d[od.At(g, i)] = conv.Conv(s[os.At(g, i)]);

    public static void Fill<T>(Index1D i, ArrayView<T> d, Geo g, Operand od, T value) where T : unmanaged
        => d[od.At(g, i)] = value;

    public static void Map<TOp>(Index1D i, ArrayView<float> x, ArrayView<float> y, Geo g, Operand ox, Operand oy, TOp op)
        where TOp : struct, IUnaryOp
        => y[oy.At(g, i)] = op.Invoke(x[ox.At(g, i)]);

    public static void Zip<TOp>(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, Geo g, Operand oa, Operand ob, Operand oy, TOp op)
        where TOp : struct, IBinaryOp
        => y[oy.At(g, i)] = op.Invoke(a[oa.At(g, i)], b[ob.At(g, i)]);

    public static void Where(Index1D i, ArrayView<float> c, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, Geo g, Operand oc, Operand oa, Operand ob, Operand oy)
        => y[oy.At(g, i)] = c[oc.At(g, i)] != 0f ? a[oa.At(g, i)] : b[ob.At(g, i)];
}
