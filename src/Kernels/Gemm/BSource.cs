using System.Runtime.CompilerServices;

namespace Engine.Kernels.Gemm;

/// <summary>
/// Where the GEMM's B operand [K, N] comes from. The GEMM only ever reads B through its packing, so B need not
/// exist as a matrix: <see cref="StridedB"/> reads a strided matrix, Conv.Im2ColB builds im2col panels straight
/// from an image (an implicit GEMM: no column matrix is written and read back).
/// </summary>
public interface IBSource
{
    /// <summary>bp[k][nr] = B(k0 + k, j0 + j) for k &lt; kc, j &lt; n; columns n..nr-1 zero (nr: the tile's NR, a multiple of 8).</summary>
    unsafe void PackPanel(int k0, int kc, int j0, int n, float* bp, int nr);
}

/// <summary>B(k, j) = b[k*rsB + j*csB]: row-major, transposed (rsB = 1) or broadcast (a stride 0).</summary>
public readonly unsafe struct StridedB(float* b, int rsB, int csB) : IBSource
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PackPanel(int k0, int kc, int j0, int n, float* bp, int nr) =>
        Packing.PackBPanel(b + (long)k0 * rsB + (long)j0 * csB, rsB, csB, kc, n, bp, nr);
}
