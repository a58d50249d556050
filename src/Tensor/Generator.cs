namespace Engine;

/// <summary>
/// The engine's random number generator: xoshiro256** seeded through SplitMix64. Same seed, same
/// sequence, on every machine and .NET version. Not thread safe; fork one per worker.
/// </summary>
public sealed class Generator
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareGaussian;

    public Generator(long seed) { Reseed(seed); }

    /// <summary>The generator every random draw in the engine uses unless given another.</summary>
    public static Generator Default { get; set; } = new(0x5EED);

    public long InitialSeed { get; private set; }

    public void Reseed(long seed)
    {
        InitialSeed = seed;
        ulong x = (ulong)seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
        _spareGaussian = null;
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextULong()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3; _s2 ^= t; _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 24 bits (every float32 step).</summary>
    public float NextFloat() => (NextULong() >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 bits.</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n), without modulo bias.</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), $"NextInt: bound must be positive, got {n}");
        ulong bound = (ulong)n, threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextULong();
            UInt128 m = (UInt128)r * bound;
            if ((ulong)m >= threshold) return (int)(m >> 64);
        }
    }

    /// <summary>Uniform integer in [lo, hi).</summary>
    public int NextInt(int lo, int hi) => lo + NextInt(hi - lo);

    /// <summary>Standard normal (Box-Muller, both values used).</summary>
    public double NextGaussian()
    {
        if (_spareGaussian is double s) { _spareGaussian = null; return s; }
        double u1, u2;
        do u1 = NextDouble(); while (u1 <= double.Epsilon);
        u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1)), th = 2 * Math.PI * u2;
        _spareGaussian = r * Math.Sin(th);
        return r * Math.Cos(th);
    }

    /// <summary>A new generator seeded from this one: independent streams for workers.</summary>
    public Generator Fork() => new((long)NextULong());

    /// <summary>Fisher-Yates shuffle of a permutation of [0, n).</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) { int j = NextInt(i + 1); (p[i], p[j]) = (p[j], p[i]); }
        return p;
    }

    /// <summary>The full state, to save in a checkpoint.</summary>
    public ulong[] GetState() => [_s0, _s1, _s2, _s3, (ulong)InitialSeed, _spareGaussian is double g ? BitConverter.DoubleToUInt64Bits(g) : 0, _spareGaussian.HasValue ? 1UL : 0];

    public void SetState(ulong[] state)
    {
        if (state.Length != 7) throw new ArgumentException($"generator state must have 7 words, got {state.Length}");
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
        InitialSeed = (long)state[4];
        _spareGaussian = state[6] == 1 ? BitConverter.UInt64BitsToDouble(state[5]) : null;
    }
}

/// <summary>Seeding for reproducibility.</summary>
public static class Seed
{
    /// <summary>
    /// Reseeds the engine's default generator, which initialization, shuffling, augmentation and
    /// dropout draw from (unless given their own). Same seed, same weights, same batches.
    /// </summary>
    public static void Everything(long seed)
    {
        Generator.Default = new Generator(seed);
        Current = seed;
    }

    /// <summary>The last seed given to <see cref="Everything"/> (null if never called).</summary>
    public static long? Current { get; private set; }
}
