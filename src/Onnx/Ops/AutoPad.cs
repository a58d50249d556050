namespace Engine.Onnx.Ops;

/// <summary>
/// The auto_pad attribute of Conv, MaxPool and AveragePool. NOTSET: the explicit pads. VALID: no padding.
/// SAME_UPPER / SAME_LOWER: out = ceil(in / stride) in every spatial dim, with total padding
/// max(0, (out - 1) * stride + (k - 1) * dilation + 1 - in) split in half, the odd one at the end (UPPER) or at the
/// beginning (LOWER). The SAME pads depend on the input's size, so they are resolved when the node runs.
/// </summary>
internal static class AutoPad
{
    public const string NotSet = "NOTSET";

    public static string Mode(Node n)
    {
        var m = n.Str("auto_pad", NotSet);
        if (m.Length == 0) m = NotSet;
        if (m is not (NotSet or "VALID" or "SAME_UPPER" or "SAME_LOWER"))
            throw n.Error($"auto_pad '{m}' is not NOTSET, VALID, SAME_UPPER or SAME_LOWER");
        if (m != NotSet && (n.Ints("pads")?.Any(p => p != 0) ?? false))
            throw n.Error($"auto_pad {m} and explicit pads [{string.Join(",", n.Ints("pads")!)}] are both given; the spec allows one of them");
        return m;
    }

    /// <summary>(begin, end) pads per spatial dim for an input of spatial size inSize.</summary>
    public static (int[] begin, int[] end) Resolve(string mode, ReadOnlySpan<int> inSize, int[] kernel, int[] strides, int[] dilations, int[] begin, int[] end)
    {
        if (mode == NotSet) return (begin, end);
        int sp = kernel.Length;
        var b = new int[sp]; var e = new int[sp];
        if (mode == "VALID") return (b, e);
        for (int i = 0; i < sp; i++)
        {
            int outSize = (inSize[i] + strides[i] - 1) / strides[i];
            int total = Math.Max(0, (outSize - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inSize[i]);
            int small = total / 2, big = total - small;
            (b[i], e[i]) = mode == "SAME_UPPER" ? (small, big) : (big, small);
        }
        return (b, e);
    }
}
