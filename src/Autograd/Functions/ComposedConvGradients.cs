namespace Engine.Functions;

// The gradients of conv2d from forward primitives alone, for a backend without IFusedKernels (candle's recipe).
// Shape letters as in ConvShape: x [N,C,H,W], w [K,Cg,R,S], dy [N,K,P,Q], G groups (Cg = C/G, Kg = K/G).
//   y[n,k,p,q] = sum_{c,r,s} x[n, g Cg + c, p sh - ph + r dh, q sw - pw + s dw] w[k,c,r,s]
// dx: for each input row h the output rows with p sh + r dh = h + ph contribute, which is a correlation of dy spread
//     out to stride-1 positions (zeros between its rows and columns) with the kernel flipped and its channel roles
//     swapped per group, w'[g Cg + c, k, r, s] = w[g Kg + k, c, R-1-r, S-1-s]:
//       dx = conv(Z, w', groups G, dilation (dh, dw)), Z[n, k, (R-1) dh - ph + p sh, (S-1) dw - pw + q sw] = dy[n,k,p,q]
//     with Z sized so that the result is exactly H x W (positions of dy that fall outside Z fed only padding).
// dw: per group, a convolution of x with dy in which the batch is the channel axis, stride and dilation exchanged:
//       dw_g[k, c, r, s] = sum_{n,p,q} dy[n,k,p,q] x_pad[n, c, r dh + p sh, s dw + q sw]
//                        = conv(x_g^T [Cg,N,H,W], dy_g^T [Kg,N,P,Q], stride (dh, dw), pad (ph, pw), dilation (sh, sw))[c,k,r,s]
//     cropped to R x S and transposed to [Kg, Cg, R, S].
// db: dy summed over N, P, Q.
internal static class ComposedConvGradients
{
    public static (Tensor? dx, Tensor? dw, Tensor? db) Of(Tensor dy, Tensor x, Tensor w, Conv2dArgs a, bool needDx, bool needDw, bool needDb)
    {
        var g = ConvShape.Of(x.Shape, w.Shape, a, "conv2d backward");
        g.CheckOutput(dy.Shape, "conv2d backward");
        return (needDx ? Input(dy, w, g) : null, needDw ? Weight(dy, x, g) : null, needDb ? dy.Sum([0, 2, 3]) : null);
    }

    private static Tensor Input(Tensor dy, Tensor w, ConvShape g)
    {
        var a = g.Args;
        int top = (g.R - 1) * a.DilationH - a.PadH, left = (g.S - 1) * a.DilationW - a.PadW;
        int zh = g.H + (g.R - 1) * a.DilationH, zw = g.W + (g.S - 1) * a.DilationW;
        var z = Tensor.Zeros(Shape.Wrap([g.N, g.K, zh, zw]), dy.Device);
        // The rows p (columns q) of dy whose spread-out position top + p sh lands inside Z.
        var (p0, p1) = Inside(top, a.StrideH, g.P, zh);
        var (q0, q1) = Inside(left, a.StrideW, g.Q, zw);
        if (p1 > p0 && q1 > q0)
        {
            var target = z.Slice(2, top + p0 * a.StrideH, top + (p1 - 1) * a.StrideH + 1, a.StrideH)
                          .Slice(3, left + q0 * a.StrideW, left + (q1 - 1) * a.StrideW + 1, a.StrideW);
            target.Copy_(dy.Narrow(2, p0, p1 - p0).Narrow(3, q0, q1 - q0));
        }
        // w' [C, Kg, R, S]: per group the kernel's in and out channels swapped, flipped in space.
        var flipped = w.Reshape(g.G, g.Kg, g.Cg, g.R, g.S).Permute(0, 2, 1, 3, 4)
                       .IndexSelect(3, Reversed(g.R, w.Device)).IndexSelect(4, Reversed(g.S, w.Device))
                       .Contiguous().Reshape(g.C, g.Kg, g.R, g.S);
        return Conv2d.Forward(z, flipped, null, new Conv2dArgs(DilationH: a.DilationH, DilationW: a.DilationW, Groups: g.G));
    }

    private static Tensor Weight(Tensor dy, Tensor x, ConvShape g)
    {
        var a = g.Args;
        var parts = new List<Tensor>(g.G);
        for (int gi = 0; gi < g.G; gi++)
        {
            var xg = x.Narrow(1, gi * g.Cg, g.Cg).Transpose(0, 1);        // [Cg, N, H, W]
            var dyg = dy.Narrow(1, gi * g.Kg, g.Kg).Transpose(0, 1);      // [Kg, N, P, Q]
            var full = Conv2d.Forward(xg, dyg, null, new Conv2dArgs(a.DilationH, a.DilationW, a.PadH, a.PadW, a.StrideH, a.StrideW));
            parts.Add(full.Narrow(2, 0, g.R).Narrow(3, 0, g.S).Transpose(0, 1));   // [Kg, Cg, R, S]
        }
        return parts.Count == 1 ? parts[0].Contiguous() : Tensor.Cat(parts, 0);
    }

    /// <summary>Indices i in [0, n) with start + i step in [0, size): a contiguous range [i0, i1).</summary>
    private static (int, int) Inside(int start, int step, int n, int size)
    {
        int i0 = start >= 0 ? 0 : (-start + step - 1) / step;
        int i1 = Math.Min(n, start >= size ? 0 : (size - 1 - start) / step + 1);
        return (Math.Min(i0, i1), i1);
    }

    private static Tensor Reversed(int n, Device d) => Tensor.FromArray(Enumerable.Range(0, n).Reverse().ToArray(), n).To(d);
}
