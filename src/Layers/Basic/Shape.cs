namespace Engine;

/// <summary>Merges dims startDim..endDim (default: everything after the batch dim).</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <summary>The first and last dims flattened together.</summary>
    public int StartDim => startDim;
    public int EndDim => endDim;
    public override Tensor Forward(Tensor input) => input.Flatten(startDim, endDim);
    public override string ExtraRepr() => $"startDim={startDim}, endDim={endDim}";
}

/// <summary>Returns its input unchanged (a placeholder, e.g. for a shortcut without projection).</summary>
public sealed class Identity : Module
{
    public override Tensor Forward(Tensor input) => input;
}
