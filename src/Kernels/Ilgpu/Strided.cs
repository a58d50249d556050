namespace Engine.Kernels.Ilgpu;

/// <summary>
/// The iteration shape of an elementwise kernel, up to <see cref="MaxRank"/> dims after coalescing,
/// stored innermost first (S0 is the fastest-moving dim). Passed to kernels by value: no device
/// buffer, no upload per launch.
/// </summary>
public struct Geo
{
    public const int MaxRank = 6;
    public int Rank, S0, S1, S2, S3, S4, S5;

    public static Geo Of(ReadOnlySpan<int> shapeOuterFirst)
    {
        var g = new Geo { Rank = shapeOuterFirst.Length, S0 = 1, S1 = 1, S2 = 1, S3 = 1, S4 = 1, S5 = 1 };
        for (int i = 0; i < shapeOuterFirst.Length; i++) g.Set(shapeOuterFirst.Length - 1 - i, shapeOuterFirst[i]);
        return g;
    }

    private void Set(int d, int v)
    {
        switch (d) { case 0: S0 = v; break; case 1: S1 = v; break; case 2: S2 = v; break; case 3: S3 = v; break; case 4: S4 = v; break; default: S5 = v; break; }
    }
}

/// <summary>
/// One operand's offset and strides (innermost first, matching <see cref="Geo"/>): element number
/// <c>flat</c> of the row-major iteration lives at <c>Off + sum_d idx_d * T_d</c>.
/// </summary>
public struct Operand
{
    public int Off, T0, T1, T2, T3, T4, T5;

    public static Operand Of(int offset, ReadOnlySpan<int> stridesOuterFirst)
    {
        var o = new Operand { Off = offset };
        for (int i = 0; i < stridesOuterFirst.Length; i++) o.Set(stridesOuterFirst.Length - 1 - i, stridesOuterFirst[i]);
        return o;
    }

    private void Set(int d, int v)
    {
        switch (d) { case 0: T0 = v; break; case 1: T1 = v; break; case 2: T2 = v; break; case 3: T3 = v; break; case 4: T4 = v; break; default: T5 = v; break; }
    }

    /// <summary>Storage offset of row-major element number flat (called inside kernels; integer math only).</summary>
    public readonly int At(Geo g, int flat)
    {
        if (g.Rank <= 1) return Off + flat * T0;
        int r = flat, o = Off;
        o += (r % g.S0) * T0; r /= g.S0;
        if (g.Rank == 2) return o + r * T1;
        o += (r % g.S1) * T1; r /= g.S1;
        if (g.Rank == 3) return o + r * T2;
        o += (r % g.S2) * T2; r /= g.S2;
        if (g.Rank == 4) return o + r * T3;
        o += (r % g.S3) * T3; r /= g.S3;
        if (g.Rank == 5) return o + r * T4;
        o += (r % g.S4) * T4; r /= g.S4;
        return o + r * T5;
    }
}

/// <summary>
/// Splits an iteration over several operands into launches of rank at most <see cref="Geo.MaxRank"/>:
/// the operands are coalesced (size-1 dims dropped, contiguous dims merged); when more than
/// MaxRank dims remain, the host loops over the leading ones and launches once per slice.
/// </summary>
internal static class StridedLaunch
{
    public delegate void Body(Geo geo, Operand[] ops, int count);

    public static void Run(Shape shape, Layout[] layouts, Body body)
    {
        if (shape.Numel == 0) return;
        var c = Cpu.Coalesced.Of(shape, layouts);
        int rank = c.Rank, lead = Math.Max(0, rank - Geo.MaxRank);
        var inner = c.Shape.AsSpan(lead);
        int count = 1;
        foreach (var d in inner) count *= d;
        var geo = Geo.Of(inner);
        var idx = new int[lead];
        while (true)
        {
            var ops = new Operand[layouts.Length];
            for (int j = 0; j < ops.Length; j++)
            {
                int off = c.Offsets[j];
                for (int d = 0; d < lead; d++) off += idx[d] * c.Strides[j][d];
                ops[j] = Operand.Of(off, c.Strides[j].AsSpan(lead));
            }
            body(geo, ops, count);
            int k = lead - 1;
            while (k >= 0 && ++idx[k] == c.Shape[k]) idx[k--] = 0;
            if (k < 0) break;
        }
    }
}
