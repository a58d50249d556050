namespace Engine.Kernels.Gemm;

/// <summary>
/// The operands of C[M,N] (= or +=) A[M,K] B[K,N]: A(i,k) = A[i*RsA + k*CsA] (or PackedA, packed once at the plan's
/// tile), C row-major with Ldc. B comes separately, as an <see cref="IBSource"/>.
/// </summary>
internal readonly unsafe struct GemmOperands(int m, int n, int k, float* a, int rsA, int csA, float* packedA, float* c, int ldc, bool accumulate)
{
    public readonly int M = m, N = n, K = k, RsA = rsA, CsA = csA, Ldc = ldc;
    public readonly float* A = a, PackedA = packedA, C = c;
    public readonly bool Accumulate = accumulate;
}

/// <summary>
/// How one GEMM is cut up at a tile: row blocks of Mc rows (at most the tile's MC, as even as MR allows), the padded
/// row count, and the threads. <see cref="Block"/> adds, per NC-column block, the panels and the tasks.
/// </summary>
internal readonly struct GemmPlan
{
    public readonly GemmOperands Operands;
    public readonly int Threads, Mc, IcBlocks, MRounded, NR;

    private GemmPlan(in GemmOperands op, int threads, int mr, int nr, int mcMax)
    {
        Operands = op; Threads = threads; NR = nr;
        int icBlocks = (op.M + mcMax - 1) / mcMax;
        Mc = Sgemm.RoundUp((op.M + icBlocks - 1) / icBlocks, mr);
        IcBlocks = (op.M + Mc - 1) / Mc;
        MRounded = Sgemm.RoundUp(op.M, mr);
    }

    public static GemmPlan Of<TK>(in GemmOperands op, int threads) where TK : struct, ITile => new(op, threads, TK.MR, TK.NR, TK.MC);

    /// <summary>Tasks per thread the plan aims at (the cores take them dynamically, so a core the OS takes away for a while does not hold up the rest).</summary>
    private const int TasksPerThread = 4, MinPanelsPerTask = 4;

    /// <summary>The column block that starts at jc: its width, panels, and how its row blocks are split into tasks.</summary>
    public GemmBlock Block(int jc)
    {
        int nc = Math.Min(Sgemm.NC, Operands.N - jc), ncR = Sgemm.RoundUp(nc, NR), panels = ncR / NR;
        // Columns are split too when rows are few, down to MinPanelsPerTask panels a task.
        int want = Threads * TasksPerThread;
        int nSplit = Threads == 1 || IcBlocks >= want ? 1 : Math.Max(1, Math.Min(panels / MinPanelsPerTask, (want + IcBlocks - 1) / IcBlocks));
        return new GemmBlock(nc, ncR, panels, nSplit, IcBlocks * nSplit);
    }
}

/// <summary>One NC-column block of a plan: Nc columns (NcRounded padded to NR), Panels of NR, Tasks = row blocks x NSplit.</summary>
internal readonly record struct GemmBlock(int Nc, int NcRounded, int Panels, int NSplit, int Tasks);

/// <summary>What the tasks of one column block share: the plan, the block, the packed operands and C at the block's first column.</summary>
internal readonly unsafe struct GemmWork(GemmPlan plan, GemmBlock block, float* sharedA, float* b, float* c)
{
    public readonly GemmPlan Plan = plan;
    public readonly GemmBlock Block = block;
    public readonly float* SharedA = sharedA, B = b, C = c;
}
