namespace Engine;

/// <summary>Element type of a tensor's storage.</summary>
/// <remarks>
/// Float32 is the compute type everywhere. Float16 is a storage type for mixed precision
/// (values are rounded as IEEE half; the CPU computes in fp32). Int32 holds labels and indices.
/// </remarks>
public enum DType
{
    Float32,
    Float16,
    Int32,
}

public static class DTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this DType t) => t switch
    {
        DType.Float32 => 4,
        DType.Float16 => 2,
        DType.Int32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };
}
