namespace Engine;

/// <summary>
/// The gradients waiting for each node of one backward pass, and how they are summed: <c>pending[input] += dx</c>,
/// and <c>leaf.Grad += dx</c> for leaves. Sums are made in place where that is safe, which is the point of this type.
/// </summary>
/// <remarks>
/// Ownership rule. A pending gradient is "owned" when this pass allocated it (the sum of two arrivals, or a zeroed
/// buffer for <see cref="Function.AddGradInto"/>) and has not handed it to any Backward yet: nothing else can see it, so
/// later arrivals are added into it (Float32). A gradient that came out of a Backward is never written: a Backward may
/// return its dy, or one tensor for several inputs (Add), or a view. The caller's gradient is never written either.
/// Ops whose input gradient is zero outside a region (slices, index selections) add dy straight into an owned buffer
/// (<see cref="BufferFor"/>): n slices of one tensor then cost one zeroed buffer and n slice-sized adds, instead of n
/// full-size zero tensors and n full-size sums. GradSumTests check every rule against a reference backprop that
/// allocates every sum.
/// </remarks>
internal sealed class PendingGrads(Tensor userGrad)
{
    /// <summary>The gradients pending for a node's outputs; Owned[i]: Grads[i] was allocated by this pass and never handed out.</summary>
    private sealed class Slots(int outputs)
    {
        public readonly Tensor?[] Grads = new Tensor?[outputs];
        public readonly bool[] Owned = new bool[outputs];
    }

    private readonly Dictionary<Function, Slots> _pending = new(ReferenceEqualityComparer.Instance);

    private Slots SlotsOf(Function fn)
    {
        if (!_pending.TryGetValue(fn, out var s)) _pending[fn] = s = new Slots(fn.OutputCount);
        return s;
    }

    /// <summary>The gradients of fn's outputs, handed to its Backward (and no longer owned), or null if none arrived.</summary>
    public Tensor?[]? Take(Function fn) => _pending.Remove(fn, out var s) && s.Grads.Any(g => g != null) ? s.Grads : null;

    /// <summary>
    /// pending[t] += dx, or t.Grad += dx when t is a leaf. siblings: every gradient the same Backward returned and the
    /// dys it was given (a leaf adopts dx as its Grad only when none of them shares dx's memory).
    /// </summary>
    public void Arrive(Tensor t, Tensor dx, ReadOnlySpan<Tensor?> siblings = default, ReadOnlySpan<Tensor?> dys = default)
    {
        if (t.GradFn is Function fn) { AddToSlot(SlotsOf(fn), t.OutputIndex, dx); return; }
        bool owned = !ReferenceEquals(dx.Storage, userGrad.Storage) && Count(siblings, dx) == 1 && Count(dys, dx) == 0;
        Accumulate(t, dx, owned);
    }

    private static int Count(ReadOnlySpan<Tensor?> ts, Tensor dx)
    {
        int n = 0;
        foreach (var d in ts) if (d != null && ReferenceEquals(d.Storage, dx.Storage)) n++;
        return n;
    }

    /// <summary>slot += dx: in place into an owned Float32 sum; otherwise a fresh sum, which the slot then owns.</summary>
    private static void AddToSlot(Slots p, int k, Tensor dx)
    {
        ref var slot = ref p.Grads[k];
        if (slot == null) { slot = dx; p.Owned[k] = false; return; }   // dx may be a dy, a view or shared: only read it
        bool owned = p.Owned[k];
        p.Owned[k] = true;                                            // below: slot += dx in place, or a new sum
        if (slot.DType != DType.Float32 || dx.DType != DType.Float32) { slot = slot.Add(dx); return; }   // the backend's new tensor
        if (owned) { GradSum.AddInto(slot, dx); return; }
        bool denseDx = GradSum.IsDense(dx), denseSlot = GradSum.IsDense(slot);
        if (dx.IsContiguous || slot.IsContiguous || (!denseDx && !denseSlot)) { slot = slot.Add(dx); return; }   // row-major is right
        // A new buffer laid out like the arriving gradients (dx, else the pending one, where dense: a transposed
        // weight gradient stays transposed), so that this sum and later ones run unit-stride. dx + slot = slot + dx.
        var (first, second) = denseDx ? (dx, slot) : (slot, dx);
        var sum = GradSum.Copy(first);
        GradSum.AddInto(sum, second);
        slot = sum;
    }

    /// <summary>
    /// The buffer an <see cref="Function.AddsGradInto"/> op adds its input t's gradient into: t's pending sum, made
    /// owned (a zeroed buffer, or a copy of a gradient that came from a Backward); for a leaf, its Grad (zeroed the first
    /// time). Null where the dtypes are not Float32: the op then runs its Backward.
    /// </summary>
    public Tensor? BufferFor(Tensor t)
    {
        if (t.DType != DType.Float32) return null;
        if (t.GradFn is not Function prev)
        {
            if (!t.RequiresGrad) return null;
            if (t.Grad == null) t.Grad = TensorApi.Zeros(t.Shape, t.Device);
            return t.Grad.DType == DType.Float32 && t.Grad.Shape == t.Shape ? t.Grad : null;
        }
        var p = SlotsOf(prev);
        int k = t.OutputIndex;
        var slot = p.Grads[k];
        if (p.Owned[k] && slot!.DType == DType.Float32) return slot;
        if (slot != null && slot.DType != DType.Float32) return null;
        p.Grads[k] = slot == null ? TensorApi.Zeros(t.Shape, t.Device) : GradSum.Copy(slot);
        p.Owned[k] = true;
        return p.Grads[k];
    }

    /// <summary>leaf.Grad += g (g itself the first time when owned and laid out plainly, else a contiguous copy).</summary>
    private static void Accumulate(Tensor leaf, Tensor g, bool owned)
    {
        if (!leaf.RequiresGrad) return;
        if (leaf.Grad == null)
            leaf.Grad = owned && g.IsContiguous && g.Layout.Offset == 0 && g.Storage.Length == g.Numel && g.DType == leaf.DType
                ? g : g.Clone();
        else if (leaf.Grad.DType == DType.Float32) GradSum.AddInto(leaf.Grad, g);
        else leaf.Grad = leaf.Grad.Add(g).ToDType(leaf.Grad.DType);   // in-place kernels write Float32 only: sum in fp32, round once
    }
}
