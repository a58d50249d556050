namespace Engine;

/// <summary>
/// The geometry of one 2-D convolution, resolved and validated once. Shape letters: N batch, C in-channels, H W input,
/// K out-channels, G groups (Cg = C/G in-channels and Kg = K/G out-channels per group), R x S kernel, P Q output.
///   y[n,k,p,q] = b[k] + sum over c &lt; Cg, r &lt; R, s &lt; S of x[n, g*Cg + c, p*sh - ph + r*dh, q*sw - pw + s*dw] * w[k,c,r,s],  g = k / Kg
/// The CPU kernels index raw memory from these numbers, so every entry point that hands shapes to a kernel (the autograd
/// function, and each backend call, which is public) resolves them here first: a shape that does not fit is a
/// <see cref="ShapeException"/> naming the shapes, never a read past a buffer.
/// </summary>
public readonly record struct ConvShape(int N, int C, int H, int W, int K, int G, int R, int S, int P, int Q, Conv2dArgs Args)
{
    public int Cg => C / G;
    public int Kg => K / G;
    /// <summary>Output channels per input channel of a depthwise convolution (Cg = 1): K = C * M.</summary>
    public int M => K / C;
    /// <summary>The GEMM's inner size per group: Cg * R * S.</summary>
    public int L => Cg * R * S;
    public int PQ => P * Q;
    /// <summary>The zero-padded input plane: (H + 2 ph) x (W + 2 pw).</summary>
    public int Hp => H + 2 * Args.PadH;
    public int Wp => W + 2 * Args.PadW;
    public Shape Input => Shape.Wrap([N, C, H, W]);
    public Shape Weight => Shape.Wrap([K, Cg, R, S]);
    public Shape Output => Shape.Wrap([N, K, P, Q]);

    /// <summary>Validates x [N,C,H,W] against w [K,C/groups,R,S] and the geometry; bias, when given, must be [K].</summary>
    public static ConvShape Of(Shape x, Shape w, Conv2dArgs a, string op = "conv2d", Shape? bias = null)
    {
        if (x.Rank != 4) throw new ShapeException($"{op}: input must be [N,C,H,W], got {x}");
        if (w.Rank != 4) throw new ShapeException($"{op}: weight must be [K,C/groups,R,S], got {w}");
        int G = a.Groups, C = x[1], K = w[0];
        if (G < 1 || C % G != 0 || K % G != 0)
            throw new ShapeException($"{op}: groups {G} must divide input channels {C} and output channels {K}");
        if (w[1] * G != C)
            throw new ShapeException($"{op}: input {x} has {C} channels but weight {w} expects {w[1] * G} ({w[1]} per group x {G} groups)");
        if (bias is Shape b && (b.Rank != 1 || b[0] != K))
            throw new ShapeException($"{op}: bias {b} must be [{K}]");
        if (a.StrideH < 1 || a.StrideW < 1 || a.DilationH < 1 || a.DilationW < 1 || a.PadH < 0 || a.PadW < 0)
            throw new ArgumentException($"{op}: invalid geometry {a} (strides and dilations must be >= 1, padding >= 0)");
        int P = a.OutH(x[2], w[2]), Q = a.OutW(x[3], w[3]);
        if (P <= 0 || Q <= 0)
            throw new ShapeException($"{op}: input {x} is too small for weight {w} (kernel {w[2]}x{w[3]}) with {a}: output would be {P}x{Q}");
        // The kernels' offsets are computed in 32-bit ints within one image and in 64-bit across images.
        if ((long)C * x[2] * x[3] > int.MaxValue || (long)K * P * Q > int.MaxValue || (long)w[1] * w[2] * w[3] * P * Q > int.MaxValue)
            throw new ShapeException($"{op}: input {x} with weight {w} is too large for one image's 32-bit offsets");
        return new(x[0], C, x[2], x[3], K, G, w[2], w[3], P, Q, a);
    }

    /// <summary>Checks that a gradient arriving at the output has the output's shape.</summary>
    public void CheckOutput(Shape dy, string op)
    {
        if (dy != Output) throw new ShapeException($"{op}: dy {dy} must have the output shape {Output} of input {Input} and weight {Weight} with {Args}");
    }
}
