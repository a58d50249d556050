namespace Engine;

/// <summary>Convolution geometry. Shape letters: N batch, C in-channels, K out-channels, H/W input, R/S kernel, P/Q output.</summary>
public readonly record struct Conv2dArgs(int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0, int DilationH = 1, int DilationW = 1, int Groups = 1)
{
    /// <summary>Stride 1, no padding, no dilation, one group (a plain <c>new Conv2dArgs()</c> would otherwise be all zeros).</summary>
    public Conv2dArgs() : this(1, 1, 0, 0, 1, 1, 1) { }

    // floor((n - extent) / stride) + 1, with floor division: a kernel that does not fit gives 0 (not 1, as C#'s truncation would).
    public int OutH(int h, int r) => FloorDiv(h + 2 * PadH - DilationH * (r - 1) - 1, StrideH) + 1;
    public int OutW(int w, int s) => FloorDiv(w + 2 * PadW - DilationW * (s - 1) - 1, StrideW) + 1;

    internal static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}

/// <summary>
/// Pooling window geometry. AvgPool counts padded cells unless CountIncludePad is false. The output length along a
/// dim of size L is PyTorch's: floor((L + 2p - d(k-1) - 1 + (ceil ? s-1 : 0)) / s) + 1, and in ceil mode one less
/// when the last window would start at or beyond L + p (so every window starts inside the input or its left
/// padding). Dilation d spaces the window's taps (max pooling only, as in PyTorch).
/// </summary>
public readonly record struct Pool2dArgs(int KernelH, int KernelW, int StrideH, int StrideW, int PadH = 0, int PadW = 0, bool CountIncludePad = true,
    bool CeilMode = false, int DilationH = 1, int DilationW = 1)
{
    public int OutH(int h) => OutLength(h, KernelH, StrideH, PadH, DilationH, CeilMode);
    public int OutW(int w) => OutLength(w, KernelW, StrideW, PadW, DilationW, CeilMode);

    /// <summary>True for the default geometry the fast kernels assume: floor mode, no dilation.</summary>
    public bool IsPlain => !CeilMode && DilationH == 1 && DilationW == 1;

    private static int OutLength(int l, int k, int s, int p, int d, bool ceil)
    {
        int span = l + 2 * p - d * (k - 1) - 1;
        int o = Conv2dArgs.FloorDiv(span + (ceil ? s - 1 : 0), s) + 1;
        if (ceil && o > 0 && (o - 1) * s >= l + p) o--;
        return o;
    }

    /// <summary>
    /// Average pooling's divisor for output (p, q) of an H x W input, PyTorch's rule: the window clipped to the padded
    /// input when padding counts, else the number of its cells inside the input (at least 1).
    /// </summary>
    public int Divisor(int p, int q, int H, int W)
    {
        int h0 = p * StrideH - PadH, w0 = q * StrideW - PadW;
        if (CountIncludePad)
            return (Math.Min(h0 + KernelH, H + PadH) - h0) * (Math.Min(w0 + KernelW, W + PadW) - w0);
        int rows = Math.Min(h0 + KernelH, H) - Math.Max(h0, 0), cols = Math.Min(w0 + KernelW, W) - Math.Max(w0, 0);
        return Math.Max(rows * cols, 1);
    }

    /// <summary>Validates the window against x [N,C,H,W] and returns the output shape [N,C,P,Q].</summary>
    public Shape OutputOf(Shape x, string op)
    {
        if (x.Rank != 4) throw new ShapeException($"{op}: input must be [N,C,H,W], got {x}");
        if (KernelH < 1 || KernelW < 1 || StrideH < 1 || StrideW < 1 || PadH < 0 || PadW < 0)
            throw new ArgumentException($"{op}: invalid window {this}");
        if (DilationH < 1 || DilationW < 1)
            throw new ArgumentException($"{op}: dilation ({DilationH},{DilationW}) must be at least 1");
        if ((DilationH != 1 || DilationW != 1) && op.StartsWith("avg_pool2d", StringComparison.Ordinal))
            throw new ArgumentException($"{op}: dilation ({DilationH},{DilationW}) is not supported by average pooling (PyTorch's avg_pool2d has none either)");
        if (PadH * 2 > KernelH || PadW * 2 > KernelW)
            throw new ArgumentException($"{op}: padding ({PadH},{PadW}) should be at most half the kernel ({KernelH},{KernelW})");
        int P = OutH(x[2]), Q = OutW(x[3]);
        if (P <= 0 || Q <= 0) throw new ShapeException($"{op}: input {x} is too small for a {KernelH}x{KernelW} window");
        return Shape.Wrap([x[0], x[1], P, Q]);
    }
}

/// <summary>Neural-network primitives: convolution and pooling (forward only; their gradients compose from primitives).</summary>
public partial interface IBackend
{
    /// <summary>y[N,K,P,Q] = conv(x[N,C,H,W], w[K,C/groups,R,S]) + b[K].</summary>
    Tensor Conv2d(Tensor x, Tensor w, Tensor? bias, Conv2dArgs args);

    /// <summary>y[N,C,P,Q] = max over each window; indices (Int32, flat h*W+w within the plane) saved for backward. Padding counts as -inf.</summary>
    Tensor MaxPool2d(Tensor x, Pool2dArgs args, out Tensor indices);
    /// <summary>y[N,C,P,Q] = mean over each window (divisor: <see cref="Pool2dArgs.Divisor"/>).</summary>
    Tensor AvgPool2d(Tensor x, Pool2dArgs args);
}
