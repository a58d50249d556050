using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels.Gemm;

/// <summary>
/// A register tile of the GEMM and the cache blocking that goes with it: C[MR, NR] (+)= Ap[MR, kc] Bp[kc, NR] from
/// packed panels, with KC (the depth of one packed block) and MC (rows of A per block) sized so that a KC x NR panel
/// of B stays in L1 and an MC x KC block of A in L2 (the BLIS rules).
/// </summary>
internal unsafe interface ITile
{
    static abstract int MR { get; }
    static abstract int NR { get; }
    static abstract int KC { get; }
    static abstract int MC { get; }
    /// <summary>c[i*ldc + j] (= or +=) sum_k ap[k*MR + i] * bp[k*NR + j] for i &lt; m, j &lt; n.</summary>
    static abstract void Run(int kc, float* ap, float* bp, float* c, int ldc, int m, int n, bool accumulate);
}

/// <summary>
/// AVX-512: 12 x 32 (24 zmm accumulators, 2 B vectors, 1 broadcast: 27 of 32 registers). KC 256: the B panel is
/// 32 KiB of the 48 KiB L1d, an A micro-panel 12 KiB; MC 240: the A block 240 KiB of the 1 MiB L2.
/// </summary>
internal struct Tile12x32 : ITile
{
    public static int MR => 12;
    public static int NR => 32;
    public static int KC => 256;
    public static int MC => 240;
    public static unsafe void Run(int kc, float* ap, float* bp, float* c, int ldc, int m, int n, bool accumulate) =>
        MicroKernel512.Run(kc, ap, bp, c, ldc, m, n, accumulate);
}

/// <summary>AVX2 + FMA: 6 x 16 (12 ymm accumulators, 2 B vectors, 1 broadcast: 15 of 16 registers), KC 256, MC 144.</summary>
internal struct Tile6x16 : ITile
{
    public static int MR => 6;
    public static int NR => 16;
    public static int KC => 256;
    public static int MC => 144;
    public static unsafe void Run(int kc, float* ap, float* bp, float* c, int ldc, int m, int n, bool accumulate) =>
        MicroKernel.Run(kc, ap, bp, c, ldc, m, n, accumulate);
}

/// <summary>The same 6 x 16 tile in plain scalar code (no vector units, or ENGINE_SIMD=scalar).</summary>
internal struct TileScalar : ITile
{
    public static int MR => 6;
    public static int NR => 16;
    public static int KC => 256;
    public static int MC => 144;
    public static unsafe void Run(int kc, float* ap, float* bp, float* c, int ldc, int m, int n, bool accumulate) =>
        MicroKernel.RunScalar(kc, ap, bp, c, ldc, m, n, accumulate);
}

/// <summary>
/// Which tile a GEMM runs with (from the width in use): callers that pack an operand once for many products (a
/// convolution's weights) take one and pass it to every call, so that the packing and the products agree.
/// </summary>
public readonly record struct GemmTile(SimdLevel Level)
{
    /// <summary>The tile of <see cref="CpuSettings.Simd"/> (AVX2 without FMA hardware falls back to scalar).</summary>
    public static GemmTile Current => new(CpuSettings.Simd == SimdLevel.Avx2 && !Fma.IsSupported ? SimdLevel.Scalar : CpuSettings.Simd);

    public int MR => Level == SimdLevel.Avx512 ? Tile12x32.MR : Tile6x16.MR;
    public int NR => Level == SimdLevel.Avx512 ? Tile12x32.NR : Tile6x16.NR;
    public int KC => Level == SimdLevel.Avx512 ? Tile12x32.KC : Tile6x16.KC;
    public int MC => Level == SimdLevel.Avx512 ? Tile12x32.MC : Tile6x16.MC;
}
