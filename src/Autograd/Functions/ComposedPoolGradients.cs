namespace Engine.Functions;

// The gradients of pooling from forward primitives alone, for a backend without IFusedKernels.
// Shape letters: x [N,C,H,W], y and dy [N,C,P,Q], window KH x KW, stride (sh, sw), padding (ph, pw).
//   max: dx[n,c] = scatter_add of dy[n,c] at the flat argmax indices the forward kept (h*W + w within the plane)
//   avg: dx_pad[n, c, p sh + r, q sw + s] += dy[n,c,p,q] / divisor[p,q] for every window offset (r, s): one strided
//        view of a padded zero tensor per offset, then the padding cropped away
internal static class ComposedPoolGradients
{
    public static Tensor Max(Tensor dy, Tensor indices, Shape x)
    {
        int N = x[0], C = x[1], HW = x[2] * x[3], PQ = dy.Shape[2] * dy.Shape[3];
        var dx = Tensor.Zeros(Shape.Wrap([N, C, HW]), dy.Device);
        dx.Backend.ScatterAdd(dx, 2, indices.Reshape(N, C, PQ), dy.Reshape(N, C, PQ));
        return dx.Reshape(x.ToArray());
    }

    public static Tensor Avg(Tensor dy, Shape x, Pool2dArgs a)
    {
        int N = x[0], C = x[1], H = x[2], W = x[3], P = dy.Shape[2], Q = dy.Shape[3];
        // dy / divisor: the divisor depends on the geometry only (PyTorch's rule, Pool2dArgs.Divisor).
        var div = new float[P * Q];
        for (int p = 0; p < P; p++)
            for (int q = 0; q < Q; q++) div[p * Q + q] = 1f / a.Divisor(p, q, H, W);
        var g = dy.Mul(Tensor.FromArray(div, P, Q).To(dy.Device));
        int hp = Math.Max(H + 2 * a.PadH, (P - 1) * a.StrideH + a.KernelH), wp = Math.Max(W + 2 * a.PadW, (Q - 1) * a.StrideW + a.KernelW);
        var padded = Tensor.Zeros(Shape.Wrap([N, C, hp, wp]), dy.Device);
        for (int r = 0; r < a.KernelH; r++)
            for (int s = 0; s < a.KernelW; s++)
            {
                var at = padded.Slice(2, r, r + (P - 1) * a.StrideH + 1, a.StrideH).Slice(3, s, s + (Q - 1) * a.StrideW + 1, a.StrideW);
                at.Add_(g);
            }
        return padded.Narrow(2, a.PadH, H).Narrow(3, a.PadW, W).Contiguous();
    }
}
