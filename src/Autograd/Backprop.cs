namespace Engine;

/// <summary>
/// Reverse-mode differentiation: orders the graph's nodes topologically from the root, then walks
/// them backwards, passing each node the sum of the gradients of its outputs. Leaves that require
/// grad accumulate into <see cref="Tensor.Grad"/> with +=.
/// </summary>
/// <remarks>
/// Sums of output gradients are made in place where that is safe. A pending gradient is "owned" when this pass
/// allocated it (the sum of two arrivals, or a zeroed buffer for <see cref="Function.AddGradInto"/>) and has not handed
/// it to any Backward yet: nothing else can see it, so later arrivals are added into it (Float32). A gradient that came
/// out of a Backward is never written: a Backward may return its dy, or one tensor for several inputs (Add), or a view.
/// Ops whose input gradient is zero outside a region (slices, index selections) add dy straight into the owned buffer of
/// their input, or into the leaf's Grad: n slices of one tensor then cost one zeroed buffer and n slice-sized adds,
/// instead of n full-size zero tensors and n full-size sums.
/// </remarks>
internal static class Backprop
{
    /// <summary>Test switch (per thread): every sum allocates and every op runs its Backward (the path before in-place sums).</summary>
    [ThreadStatic] internal static bool Naive;

    /// <summary>The gradients pending for a node's outputs; Owned[i]: Grads[i] was allocated by this pass and never handed out.</summary>
    private sealed class Pending(int outputs)
    {
        public readonly Tensor?[] Grads = new Tensor?[outputs];
        public readonly bool[] Owned = new bool[outputs];
    }

    public static void Run(Tensor root, Tensor? gradOutput, bool retainGraph)
    {
        root.ThrowIfDisposed("backward");
        if (!Autograd.Tracks(root))
            throw new InvalidOperationException($"backward: the tensor {root.Describe()} does not require grad and has no grad_fn (did you compute it inside Tensor.NoGrad(), or forget RequiresGrad on the inputs?)");
        if (gradOutput == null)
        {
            if (root.Numel != 1)
                throw new ShapeException($"backward: gradient can be implicitly created only for one-element outputs; the output has shape {root.Shape}, so pass a gradient of that shape");
            gradOutput = TensorApi.OnesLike(root);
        }
        else if (gradOutput.Shape != root.Shape)
            throw new ShapeException($"backward: gradient shape {gradOutput.Shape} does not match output shape {root.Shape}");
        if (gradOutput.Device != root.Device)
            throw new DeviceMismatchException($"backward: gradient on {gradOutput.Device} but output on {root.Device}");

        using var _ = Autograd.NoGrad();
        if (root.GradFn == null) { Accumulate(root, gradOutput, owned: false); return; }

        var order = TopoSort((Function)root.GradFn);
        var pending = new Dictionary<Function, Pending>(ReferenceEqualityComparer.Instance);
        var rootFn = (Function)root.GradFn;
        pending[rootFn] = new Pending(rootFn.OutputCount);
        pending[rootFn].Grads[root.OutputIndex] = gradOutput;      // the caller's tensor: not owned, never written
        var userGrad = gradOutput;
        bool naive = Naive;

        for (int n = order.Count - 1; n >= 0; n--)
        {
            var fn = order[n];
            if (!pending.Remove(fn, out var p) || p.Grads.All(d => d == null)) { if (!retainGraph) fn.Release(); continue; }
            var dys = p.Grads;
            fn.CheckSaved();
            if (!naive && fn.AddsGradInto && dys[0] != null)
            {
                var input = fn.Inputs[0];
                if (!Autograd.Tracks(input)) { if (!retainGraph) fn.Release(); continue; }
                if (OwnedTarget(input, pending) is Tensor target)
                {
                    fn.AddGradInto(dys[0]!, target);
                    if (!retainGraph) fn.Release();
                    continue;
                }
            }
            var dxs = fn.OutputCount == 1 ? fn.Backward(dys[0]!) : fn.Backward(dys);
            if (dxs.Length != fn.Inputs.Length)
                throw new InvalidOperationException($"backward: {fn.Name} returned {dxs.Length} gradients for {fn.Inputs.Length} inputs");
            for (int i = 0; i < dxs.Length; i++)
            {
                var input = fn.Inputs[i];
                var dx = dxs[i];
                if (dx == null || !Autograd.Tracks(input)) continue;
                if (dx.Shape != input.Shape)
                    throw new InvalidOperationException($"backward: {fn.Name} returned a gradient of shape {dx.Shape} for an input of shape {input.Shape}");
                if (input.GradFn is Function prev)
                {
                    if (!pending.TryGetValue(prev, out var ps)) pending[prev] = ps = new Pending(prev.OutputCount);
                    AddToSlot(ps, input.OutputIndex, dx, naive);
                }
                else
                {
                    // Adopt dx as the leaf's gradient only when its memory is shared with nothing else.
                    bool owned = !ReferenceEquals(dx.Storage, userGrad.Storage)
                        && dxs.Count(d => d != null && ReferenceEquals(d.Storage, dx.Storage)) == 1
                        && !dys.Any(d => d != null && ReferenceEquals(d.Storage, dx.Storage));
                    Accumulate(input, dx, owned);
                }
            }
            if (!retainGraph) fn.Release();
        }
    }

    /// <summary>slot += dx: in place into an owned Float32 sum; otherwise a fresh sum, which the slot then owns.</summary>
    private static void AddToSlot(Pending p, int k, Tensor dx, bool naive)
    {
        ref var slot = ref p.Grads[k];
        if (slot == null) { slot = dx; p.Owned[k] = false; return; }   // dx may be a dy, a view or shared: only read it
        bool owned = p.Owned[k];
        p.Owned[k] = true;                                            // below: slot += dx in place, or a new sum
        if (naive || slot.DType != DType.Float32 || dx.DType != DType.Float32) { slot = slot.Add(dx); return; }   // the backend's new tensor
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
    /// The buffer an <see cref="Function.AddsGradInto"/> op adds its input's gradient into: the input's pending sum, made
    /// owned (a zeroed buffer, or a copy of a gradient that came from a Backward); for a leaf, its Grad (zeroed the first
    /// time). Null where the dtypes are not Float32: the op then runs its Backward.
    /// </summary>
    private static Tensor? OwnedTarget(Tensor input, Dictionary<Function, Pending> pending)
    {
        if (input.DType != DType.Float32) return null;
        if (input.GradFn is not Function prev)
        {
            if (!input.RequiresGrad) return null;
            if (input.Grad == null) input.Grad = TensorApi.Zeros(input.Shape, input.Device);
            return input.Grad.DType == DType.Float32 && input.Grad.Shape == input.Shape ? input.Grad : null;
        }
        if (!pending.TryGetValue(prev, out var p)) pending[prev] = p = new Pending(prev.OutputCount);
        int k = input.OutputIndex;
        var slot = p.Grads[k];
        if (p.Owned[k] && slot!.DType == DType.Float32) return slot;
        if (slot != null && slot.DType != DType.Float32) return null;
        p.Grads[k] = slot == null ? TensorApi.Zeros(input.Shape, input.Device) : GradSum.Copy(slot);
        p.Owned[k] = true;
        return p.Grads[k];
    }

    /// <summary>leaf.Grad += g (a fresh contiguous tensor the first time).</summary>
    private static void Accumulate(Tensor leaf, Tensor g, bool owned)
    {
        if (!leaf.RequiresGrad) return;
        if (leaf.Grad == null)
        {
            // Adopt g when nobody else holds it; otherwise copy (g may be a view, broadcast or shared).
            leaf.Grad = owned && g.IsContiguous && g.Layout.Offset == 0 && g.Storage.Length == g.Numel && g.DType == leaf.DType
                ? g : g.Clone();
        }
        else if (leaf.Grad.DType == DType.Float32) GradSum.AddInto(leaf.Grad, g);
        else leaf.Grad = leaf.Grad.Add(g).ToDType(leaf.Grad.DType);   // in-place kernels write Float32 only: sum in fp32, round once
    }

    /// <summary>Nodes reachable from root, each after all nodes that feed it (iterative DFS: RNN graphs are deep).</summary>
    private static List<Function> TopoSort(Function root)
    {
        var order = new List<Function>();
        var visited = new HashSet<Function>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Function fn, int next)>();
        stack.Push((root, 0)); visited.Add(root);
        while (stack.Count > 0)
        {
            var (fn, next) = stack.Pop();
            if (next < fn.Inputs.Length)
            {
                stack.Push((fn, next + 1));
                if (fn.Inputs[next].GradFn is Function child && visited.Add(child)) stack.Push((child, 0));
            }
            else order.Add(fn);
        }
        return order;
    }
}
