namespace Engine.Functions;

/// <summary>Argument checks shared by the ops, with messages that name the op, shapes and devices.</summary>
internal static class Check
{
    public static void SameDevice(Tensor a, Tensor b, string op)
    {
        a.ThrowIfDisposed(op); b.ThrowIfDisposed(op);
        if (a.Device != b.Device)
            throw new DeviceMismatchException($"{op}: tensors are on different devices: {a.Describe()} and {b.Describe()}; move one with .To(device)");
    }

    public static void IntIndex(Tensor index, string op)
    {
        if (index.DType != DType.Int32)
            throw new ArgumentException($"{op}: index must be an Int32 tensor, got {index.DType} of shape {index.Shape}");
    }

    public static void Index1D(Tensor index, string op)
    {
        IntIndex(index, op);
        if (index.Rank != 1) throw new ShapeException($"{op}: index must be 1-D, got shape {index.Shape}");
    }
}
