using Engine.Kernels.Ops;

namespace Engine;

/// <summary>
/// Reverse-mode differentiation: orders the graph's nodes topologically from the root, then walks
/// them backwards, passing each node the sum of the gradients of its outputs. Leaves that require
/// grad accumulate into <see cref="Tensor.Grad"/> with +=.
/// </summary>
internal static class Backprop
{
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
        var slots = new Dictionary<Function, Tensor?[]>(ReferenceEqualityComparer.Instance);
        var rootFn = (Function)root.GradFn;
        slots[rootFn] = new Tensor?[rootFn.OutputCount];
        slots[rootFn][root.OutputIndex] = gradOutput;
        var userGrad = gradOutput;

        for (int n = order.Count - 1; n >= 0; n--)
        {
            var fn = order[n];
            if (!slots.Remove(fn, out var dys) || dys.All(d => d == null)) { if (!retainGraph) fn.Release(); continue; }
            fn.CheckSaved();
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
                    if (!slots.TryGetValue(prev, out var ps)) slots[prev] = ps = new Tensor?[prev.OutputCount];
                    ref var slot = ref ps[input.OutputIndex];
                    slot = slot == null ? dx : slot.Add(dx);
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
        else if (leaf.Grad.DType == DType.Float32) leaf.Grad.Backend.ZipInPlace(leaf.Grad, g, new AddOp());
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
