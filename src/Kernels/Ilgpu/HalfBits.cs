using ILGPU;

namespace Engine.Kernels.Ilgpu;

/// <summary>
/// IEEE binary16 conversions on raw bits, usable inside kernels and on the host. Float16 storage is
/// handled as ushort bits in the conversion kernels because ILGPU.Half's float cast truncates on the
/// CPU accelerator, while System.Half (the CPU backend) rounds to nearest even; these functions
/// round to nearest even everywhere, so both backends store the same bits.
/// </summary>
public static class HalfBits
{
    /// <summary>float -> half bits, round to nearest even; overflow to inf, NaN stays NaN, subnormals kept.</summary>
    public static ushort FromFloat(float x)
    {
        uint f = Interop.FloatAsInt(x);
        uint sign = f & 0x80000000u;
        f ^= sign;
        uint o;
        if (f >= 0x47800000u)                       // |x| >= 65536 (or inf / NaN)
            o = f > 0x7f800000u ? 0x7e00u : 0x7c00u;
        else if (f < 0x38800000u)                   // |x| < 2^-14: subnormal half or zero
        {
            // Adding 0.5 aligns the mantissa so the float adder does the rounding (Giesen's trick).
            float t = Interop.IntAsFloat(f) + 0.5f;
            o = Interop.FloatAsInt(t) - 0x3f000000u;
        }
        else
        {
            uint odd = (f >> 13) & 1u;
            f += 0xc8000fffu;                        // rebias exponent (15 - 127) << 23, plus rounding bias 0xfff
            f += odd;                                // ties to even
            o = f >> 13;
        }
        return (ushort)(o | (sign >> 16));
    }

    /// <summary>half bits -> float, exact.</summary>
    public static float ToFloat(ushort h)
    {
        uint sign = ((uint)h & 0x8000u) << 16, exp = ((uint)h >> 10) & 0x1fu, mant = (uint)h & 0x3ffu;
        if (exp == 0)
        {
            float v = mant * 5.9604645e-8f;          // mant * 2^-24, exact
            return sign != 0 ? -v : v;
        }
        if (exp == 31) return Interop.IntAsFloat(sign | 0x7f800000u | (mant << 13));
        return Interop.IntAsFloat(sign | ((exp + 112u) << 23) | (mant << 13));
    }
}
