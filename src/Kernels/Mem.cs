using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels;

/// <summary>
/// The vector loads and stores of the pointer kernels. Each asserts, in the checked build, that the bytes it touches lie
/// inside one live buffer (<see cref="Checked"/>); elsewhere it is the bare instruction.
/// </summary>
internal static unsafe class Mem
{
    /// <summary>T.Count floats from p, at any width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T L<T>(float* p) where T : struct, ISimd<T> { Checked.Read(p, T.Count); return T.Load(p); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void S<T>(T v, float* p) where T : struct, ISimd<T> { Checked.Write(p, T.Count); T.Store(v, p); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* p) { Checked.Read(p, 8); return Vector256.Load(p); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> v, float* p) { Checked.Write(p, 8); v.Store(p); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreAt(float* p, Vector256<float> v) { Checked.Write(p, 8); Avx.Store(p, v); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Load(int* p) { Checked.Read((float*)p, 8); return Vector256.Load(p); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<int> v, int* p) { Checked.Write(p, 8); v.Store(p); }

    /// <summary>A masked load whose enabled lanes are [from, to) (lanes outside are not read: the pointer may point before or past the buffer there).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MaskLoad(float* p, Vector256<float> mask, int from, int to)
    {
        if (to > from) Checked.Read(p + from, to - from);
        return Avx.MaskLoad(p, mask);
    }

    /// <summary>The scalar accesses of a loop: asserts [p, p + n) once for the whole loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Reads(float* p, long n) { if (n > 0) Checked.Read(p, n); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Writes(float* p, long n) { if (n > 0) Checked.Write(p, n); }
}
