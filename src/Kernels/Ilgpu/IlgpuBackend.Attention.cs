using ILGPU;
using ILGPU.Runtime;
using Engine.Kernels.Cpu;

namespace Engine.Kernels.Ilgpu;

// The device's fused attention (IAttentionKernels), the CPU kernel's contract: q [B, L, D], k [B, S, D], v [B, S, Dv]
// to o [B, L, Dv] and lse [B, L]; the backward recomputes the scores from lse (AttentionKernels).
public sealed partial class IlgpuBackend : IAttentionKernels
{
    public (Tensor O, Tensor Lse) AttentionForward(Tensor q, Tensor k, Tensor v, AttentionMaskView? mask, bool causal, float scale)
    {
        var (B, L, S, D, Dv) = FlashAttention.Shapes(q, k, v);
        var qc = ContiguousF32(q, "attention"); var kc = ContiguousF32(k, "attention"); var vc = ContiguousF32(v, "attention");
        var o = New(Shape.Wrap([B, L, Dv])); var lse = New(Shape.Wrap([B, L]));
        var (m, bases, d) = MaskArgs(mask, B, L, S, D, Dv, causal, scale, qc, "attention");
        if (B * L > 0)
            Kernel("attention.forward", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
                ArrayView<int>, ArrayView<float>, ArrayView<float>, AttnDims>(AttentionKernels.Forward))
                (B * L, Data(qc), Data(kc), Data(vc), Data(m), Data32(bases), F(o), F(lse), d);
        bases.Dispose();
        if (mask != null) DisposeIfTemp(m, mask.Data);
        DisposeIfTemp(qc, q); DisposeIfTemp(kc, k); DisposeIfTemp(vc, v);
        return (o, lse);
    }

    public (Tensor Dq, Tensor Dk, Tensor Dv) AttentionBackward(Tensor dO, Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse,
        AttentionMaskView? mask, bool causal, float scale)
    {
        var (B, L, S, D, Dv) = FlashAttention.Shapes(q, k, v);
        if (dO.Shape != o.Shape || o.Shape != Shape.Wrap([B, L, Dv]) || lse.Shape != Shape.Wrap([B, L]))
            throw new ShapeException($"attention backward: dO {dO.Shape}, o {o.Shape} must be [{B},{L},{Dv}] and lse {lse.Shape} [{B},{L}]");
        const string op = "attention backward";
        var dc = ContiguousF32(dO, op); var qc = ContiguousF32(q, op); var kc = ContiguousF32(k, op); var vc = ContiguousF32(v, op);
        var oc = ContiguousF32(o, op); var lc = ContiguousF32(lse, op);
        var (m, bases, d) = MaskArgs(mask, B, L, S, D, Dv, causal, scale, qc, op);
        var dq = New(q.Shape); var dk = New(k.Shape); var dv = New(v.Shape);
        using var delta = New(Shape.Wrap([B, L]));
        if (B * L > 0)
            Kernel("attention.backward.query", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
                ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttnDims>(AttentionKernels.BackwardQuery))
                (B * L, Data(qc), Data(kc), Data(vc), Data(m), Data32(bases), Data(dc), Data(oc), Data(lc), F(delta), F(dq), d);
        // In stream order after the query kernel, which wrote delta.
        if (B * S > 0)
            Kernel("attention.backward.key", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
                ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttnDims>(AttentionKernels.BackwardKey))
                (B * S, Data(qc), Data(kc), Data(vc), Data(m), Data32(bases), Data(dc), Data(lc), F(delta), F(dk), F(dv), d);
        bases.Dispose();
        if (mask != null) DisposeIfTemp(m, mask.Data);
        DisposeIfTemp(dc, dO); DisposeIfTemp(qc, q); DisposeIfTemp(kc, k); DisposeIfTemp(vc, v); DisposeIfTemp(oc, o); DisposeIfTemp(lc, lse);
        return (dq, dk, dv);
    }

    private static ArrayView<int> Data32(Tensor t) => I(t).SubView(t.Layout.Offset, t.Numel);

    /// <summary>
    /// The mask's data (or, without a mask, any float view the kernels never read), its per-batch offsets on the device,
    /// and the kernel's sizes. Every index the kernels can form is checked here against the mask's length: a bad view
    /// is an error naming it, never a read outside the buffer.
    /// </summary>
    private (Tensor Mask, Tensor Bases, AttnDims Dims) MaskArgs(AttentionMaskView? mask, int B, int L, int S, int D, int Dv,
        bool causal, float scale, Tensor anyFloat, string op)
    {
        var d = new AttnDims { L = L, S = S, D = D, Dv = Dv, Causal = causal ? 1 : 0, Scale = scale };
        if (mask == null) return (anyFloat, New(Shape.Wrap([1]), zero: true, dtype: DType.Int32), d);
        var m = ContiguousF32(mask.Data, op + " mask");
        long n = m.Numel;
        bool ok = mask.Base.Length == B && mask.StrideL >= 0 && mask.StrideS >= 0;
        for (int b = 0; ok && b < B; b++)
            ok = mask.Base[b] >= 0 && (L == 0 || S == 0 || mask.Base[b] + (long)(L - 1) * mask.StrideL + (long)(S - 1) * mask.StrideS < n);
        if (!ok)
        {
            DisposeIfTemp(m, mask.Data);
            throw new ShapeException($"{op}: the mask view (strides {mask.StrideL}, {mask.StrideS}, {mask.Base.Length} batch offsets) reaches outside its data {mask.Data.Shape} for [B={B}, L={L}, S={S}]");
        }
        d.HasMask = 1; d.SL = mask.StrideL; d.SS = mask.StrideS;
        int[] b0 = B == 0 ? [0] : mask.Base;
        var bases = Tensor.Create(Upload(b0), Layout.Contiguous(Shape.Wrap([b0.Length])));
        return (m, bases, d);
    }
}
