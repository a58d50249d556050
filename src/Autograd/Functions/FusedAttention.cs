namespace Engine.Functions;

// out = softmax(q k^T scale + mask [+ causal]) v through the backend's fused kernel (IAttentionKernels), which keeps
// only lse = logsumexp of each score row; backward recomputes the scores from lse tile by tile.
//   q [..., L, D], k [..., S, D], v [..., S, Dv] (batch dims broadcast) -> [..., L, Dv]; the mask is not differentiated.
// dq, dk, dv come from the kernel on the broadcast batch and are summed back to each input's shape.
internal sealed class FusedAttention : Function
{
    private Tensor _q = null!, _k = null!, _v = null!, _o = null!, _lse = null!;
    private AttentionMaskView? _mask;
    private bool _causal;
    private float _scale;
    private Shape _qs = Shape.Scalar, _ks = Shape.Scalar, _vs = Shape.Scalar;
    private int[] _batchDims = [];

    public static Tensor Forward(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal, float scale)
    {
        Check.SameDevice(q, k, "scaled_dot_product_attention");
        Check.SameDevice(q, v, "scaled_dot_product_attention");
        var kernels = (IAttentionKernels)q.Backend;
        int L = q.Shape[^2], S = k.Shape[^2], D = q.Shape[^1], Dv = v.Shape[^1];
        var batch = Shape.Broadcast(Batch(q), Shape.Broadcast(Batch(k), Batch(v), "scaled_dot_product_attention (batch dims)"), "scaled_dot_product_attention (batch dims)");
        if (mask != null && mask.Rank > 2)
            batch = Shape.Broadcast(batch, Shape.Wrap(mask.Shape.ToArray()[..^2]), "scaled_dot_product_attention (mask batch dims)");
        int B = batch.Numel;
        var q3 = As3D(q, batch, L, D, B); var k3 = As3D(k, batch, S, D, B); var v3 = As3D(v, batch, S, Dv, B);
        var mv = mask == null ? null : MaskView(mask.Contiguous(), batch, L, S);
        var (o3, lse) = kernels.AttentionForward(q3, k3, v3, mv, causal, scale);
        var y = o3.Reshape(batch.ToArray().Concat([L, Dv]).ToArray());
        if (!Autograd.Needed(q, k, v)) return y;
        var fn = new FusedAttention { _mask = mv, _causal = causal, _scale = scale, _qs = q.Shape, _ks = k.Shape, _vs = v.Shape, _batchDims = batch.ToArray() };
        fn._q = fn.Save(q3); fn._k = fn.Save(k3); fn._v = fn.Save(v3); fn._o = fn.Save(o3); fn._lse = fn.Save(lse);
        if (mv != null) fn.Save(mv.Data);
        return Autograd.Record(fn, y, q, k, v);
    }

    private static Shape Batch(Tensor t) => Shape.Wrap(t.Shape.ToArray()[..^2]);

    /// <summary>t broadcast to batch + [r, c] and made a contiguous [B, r, c].</summary>
    private static Tensor As3D(Tensor t, Shape batch, int r, int c, int B)
    {
        var full = batch.ToArray().Concat([r, c]).ToArray();
        var e = t.Shape.ToArray().SequenceEqual(full) ? t : t.Expand(full);
        return e.Contiguous().Reshape(B, r, c);
    }

    /// <summary>The mask's offsets per flat batch index and its row and column strides (0 where it broadcasts).</summary>
    private static AttentionMaskView MaskView(Tensor m, Shape batch, int L, int S)
    {
        int R = batch.Rank + 2;
        var strides = new int[R];
        var own = Layout.ContiguousStrides(m.Shape.AsSpan());
        for (int i = 1; i <= m.Rank; i++) strides[R - i] = m.Shape[^i] == 1 ? 0 : own[^i];
        int B = batch.Numel;
        var bases = new int[B];
        for (int b = 0; b < B; b++)
        {
            int rest = b, off = 0;
            for (int dim = batch.Rank - 1; dim >= 0; dim--) { off += rest % batch[dim] * strides[dim]; rest /= batch[dim]; }
            bases[b] = off;
        }
        return new AttentionMaskView(m, bases, strides[R - 2], strides[R - 1]);
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        var kernels = (IAttentionKernels)_q.Backend;
        var d3 = dy.Contiguous().Reshape(_o.Shape.ToArray());
        var (dq, dk, dv) = kernels.AttentionBackward(d3, _q, _k, _v, _o, _lse, _mask, _causal, _scale);
        return [Back(dq, _qs, 0), Back(dk, _ks, 1), Back(dv, _vs, 2)];
    }

    private Tensor? Back(Tensor g3, Shape shape, int i)
    {
        if (!NeedsGrad(i)) return null;
        var full = Shape.Wrap(_batchDims.Concat([shape[^2], shape[^1]]).ToArray());
        var g = g3.Reshape(full.ToArray());
        return full == shape ? g : Reduction.SumTo(g, shape);
    }

    protected override void ReleaseState() { _mask = null; }
}
