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

/// <summary>Pooling window geometry (PyTorch's floor mode). AvgPool counts padded cells unless CountIncludePad is false.</summary>
public readonly record struct Pool2dArgs(int KernelH, int KernelW, int StrideH, int StrideW, int PadH = 0, int PadW = 0, bool CountIncludePad = true)
{
    public int OutH(int h) => Conv2dArgs.FloorDiv(h + 2 * PadH - KernelH, StrideH) + 1;
    public int OutW(int w) => Conv2dArgs.FloorDiv(w + 2 * PadW - KernelW, StrideW) + 1;

    /// <summary>Validates the window against x [N,C,H,W] and returns the output shape [N,C,P,Q].</summary>
    public Shape OutputOf(Shape x, string op)
    {
        if (x.Rank != 4) throw new ShapeException($"{op}: input must be [N,C,H,W], got {x}");
        if (KernelH < 1 || KernelW < 1 || StrideH < 1 || StrideW < 1 || PadH < 0 || PadW < 0)
            throw new ArgumentException($"{op}: invalid window {this}");
        if (PadH * 2 > KernelH || PadW * 2 > KernelW)
            throw new ArgumentException($"{op}: padding ({PadH},{PadW}) should be at most half the kernel ({KernelH},{KernelW})");
        int P = OutH(x[2]), Q = OutW(x[3]);
        if (P <= 0 || Q <= 0) throw new ShapeException($"{op}: input {x} is too small for a {KernelH}x{KernelW} window");
        return Shape.Wrap([x[0], x[1], P, Q]);
    }
}

/// <summary>Neural-network primitives: convolution, pooling and the fused recurrent cells.</summary>
public partial interface IBackend
{
    /// <summary>y[N,K,P,Q] = conv(x[N,C,H,W], w[K,C/groups,R,S]) + b[K].</summary>
    Tensor Conv2d(Tensor x, Tensor w, Tensor? bias, Conv2dArgs args);
    /// <summary>dx[N,C,H,W] from dy[N,K,P,Q] and w.</summary>
    Tensor Conv2dBackwardInput(Tensor dy, Tensor w, Shape xShape, Conv2dArgs args);
    /// <summary>dw[K,C/groups,R,S] from dy[N,K,P,Q] and x.</summary>
    Tensor Conv2dBackwardWeight(Tensor dy, Tensor x, Shape wShape, Conv2dArgs args);
    /// <summary>
    /// The gradients of <see cref="Conv2d"/> that are asked for (null where not): dx [N,C,H,W], dw [K,C/groups,R,S] and
    /// db [K] (dy summed over N, P, Q). By default the three separate calls; a backend may fuse them into one pass over dy.
    /// </summary>
    (Tensor? dx, Tensor? dw, Tensor? db) Conv2dBackward(Tensor dy, Tensor x, Tensor w, Conv2dArgs args, bool needDx, bool needDw, bool needDb) =>
        (needDx ? Conv2dBackwardInput(dy, w, x.Shape, args) : null,
         needDw ? Conv2dBackwardWeight(dy, x, w.Shape, args) : null,
         needDb ? Reduce(ReduceKind.Sum, dy, [0, 2, 3], false) : null);

    /// <summary>y[N,C,P,Q] = max over each window; indices (Int32, flat h*W+w within the plane) saved for backward. Padding counts as -inf.</summary>
    Tensor MaxPool2d(Tensor x, Pool2dArgs args, out Tensor indices);
    Tensor MaxPool2dBackward(Tensor dy, Tensor indices, Shape xShape);
    Tensor AvgPool2d(Tensor x, Pool2dArgs args);
    Tensor AvgPool2dBackward(Tensor dy, Shape xShape, Pool2dArgs args);

    /// <summary>
    /// LSTM cell, gates fused. gates [B,4H] pre-activations in PyTorch order (i, f, g, o), cPrev [B,H].
    /// c = sigmoid(f)*cPrev + sigmoid(i)*tanh(g); h = sigmoid(o)*tanh(c).
    /// act [B,4H] keeps the activated gates for backward.
    /// </summary>
    (Tensor h, Tensor c, Tensor act) LstmCell(Tensor gates, Tensor cPrev);
    /// <summary>Gradients of <see cref="LstmCell"/>: from dh, dc (both [B,H]; dc may be null) to dGates [B,4H] and dcPrev [B,H].</summary>
    (Tensor dGates, Tensor dcPrev) LstmCellBackward(Tensor dh, Tensor? dc, Tensor act, Tensor cPrev, Tensor c);

    /// <summary>
    /// GRU cell, PyTorch's formulation. xg = x W_ih^T + b_ih [B,3H], hg = h W_hh^T + b_hh [B,3H], gates (r, z, n):
    /// r = sigmoid(xr + hr), z = sigmoid(xz + hz), n = tanh(xn + r*hn), h' = (1-z)*n + z*hPrev.
    /// act [B,3H] keeps (r, z, n) for backward.
    /// </summary>
    (Tensor h, Tensor act) GruCell(Tensor xg, Tensor hg, Tensor hPrev);
    /// <summary>Gradients of <see cref="GruCell"/>: dxg [B,3H], dhg [B,3H], dhPrev [B,H].</summary>
    (Tensor dxg, Tensor dhg, Tensor dhPrev) GruCellBackward(Tensor dh, Tensor act, Tensor hg, Tensor hPrev);
}
