namespace Engine.Kernels.Ilgpu;

/// <summary>Tuning knobs of one ILGPU backend (<see cref="IlgpuBackend.Options"/>).</summary>
public sealed record IlgpuOptions
{
    /// <summary>Most floats an im2col buffer may take (default 64M floats, 256 MiB); larger batches run in chunks.</summary>
    public long ColBudget { get; init; } = 64 << 20;

    /// <summary>Tile-groups a GEMM launch should reach (default 128): below it, K is split across groups and summed.</summary>
    public int SplitKTarget { get; init; } = 128;
}
