namespace Engine.Kernels.Cpu;

// The CPU's fused attention (IAttentionKernels): checks, contiguous float32 views, then FlashAttention's tiles.
public sealed partial class CpuBackend : IAttentionKernels
{
    /// <summary>A contiguous float32 tensor at offset 0 of its storage (the kernels index the arrays from 0).</summary>
    private Tensor Dense(Tensor t, string op)
    {
        var c = ContiguousF32(t, op);
        if (c.Layout.Offset == 0) return c;
        var o = New(c.Shape);
        Copy(c, o);
        DisposeIfTemp(c, t);
        return o;
    }

    public (Tensor O, Tensor Lse) AttentionForward(Tensor q, Tensor k, Tensor v, AttentionMaskView? mask, bool causal, float scale)
    {
        var (B, L, S, D, Dv) = FlashAttention.Shapes(q, k, v);
        var qc = Dense(q, "attention"); var kc = Dense(k, "attention"); var vc = Dense(v, "attention");
        var o = New(Shape.Wrap([B, L, Dv])); var lse = New(Shape.Wrap([B, L]));
        var m = mask == null ? null : Dense(mask.Data, "attention mask");
        FlashAttention.Forward(new(B, L, S, D, Dv, scale, causal), F(qc), F(kc), F(vc),
            m == null ? null : new FlashAttention.Mask(F(m), mask!.Base, mask.StrideL, mask.StrideS), F(o), F(lse));
        DisposeIfTemp(qc, q); DisposeIfTemp(kc, k); DisposeIfTemp(vc, v);
        if (m != null) DisposeIfTemp(m, mask!.Data);
        return (o, lse);
    }

    public (Tensor Dq, Tensor Dk, Tensor Dv) AttentionBackward(Tensor dO, Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse,
        AttentionMaskView? mask, bool causal, float scale)
    {
        var (B, L, S, D, Dv) = FlashAttention.Shapes(q, k, v);
        if (dO.Shape != o.Shape || o.Shape != Shape.Wrap([B, L, Dv]) || lse.Shape != Shape.Wrap([B, L]))
            throw new ShapeException($"attention backward: dO {dO.Shape}, o {o.Shape} must be [{B},{L},{Dv}] and lse {lse.Shape} [{B},{L}]");
        var dc = Dense(dO, "attention backward"); var qc = Dense(q, "attention backward");
        var kc = Dense(k, "attention backward"); var vc = Dense(v, "attention backward");
        var oc = Dense(o, "attention backward"); var lc = Dense(lse, "attention backward");
        var m = mask == null ? null : Dense(mask.Data, "attention mask");
        var dq = New(q.Shape, zero: true); var dk = New(k.Shape, zero: true); var dv = New(v.Shape, zero: true);
        FlashAttention.Backward(new(B, L, S, D, Dv, scale, causal), F(dc), F(qc), F(kc), F(vc), F(oc), F(lc),
            m == null ? null : new FlashAttention.Mask(F(m), mask!.Base, mask.StrideL, mask.StrideS), F(dq), F(dk), F(dv));
        DisposeIfTemp(dc, dO); DisposeIfTemp(qc, q); DisposeIfTemp(kc, k); DisposeIfTemp(vc, v); DisposeIfTemp(oc, o); DisposeIfTemp(lc, lse);
        if (m != null) DisposeIfTemp(m, mask!.Data);
        return (dq, dk, dv);
    }
}
