namespace Engine;

/// <summary>
/// Reverse-mode differentiation, as micrograd does it: order the graph's nodes topologically from the root, then walk
/// them backwards; each node gets the sum of its outputs' gradients, and adds each input's gradient to that input's
/// pending sum (a leaf's into its <see cref="Tensor.Grad"/>, with +=). How the sums are kept, in place where that is
/// safe, is <see cref="PendingGrads"/>'s business.
/// </summary>
internal static class Backprop
{
    public static void Run(Tensor root, Tensor? gradOutput, bool retainGraph)
    {
        gradOutput = CheckRoot(root, gradOutput);
        using var _ = Autograd.NoGrad();
        var grads = new PendingGrads(gradOutput);
        if (root.GradFn is not Function rootFn) { grads.Arrive(root, gradOutput); return; }
        grads.Arrive(root, gradOutput);

        var order = TopoSort(rootFn);
        for (int n = order.Count - 1; n >= 0; n--)
        {
            var fn = order[n];
            var dys = grads.Take(fn);
            if (dys != null)
            {
                fn.CheckSaved();
                // A slice or index op adds its input's gradient straight into a buffer the pass owns.
                if (fn.AddsGradInto && dys[0] != null && grads.BufferFor(fn.Inputs[0]) is Tensor target)
                    fn.AddGradInto(dys[0]!, target);
                else
                {
                    var dxs = Backward(fn, dys);
                    for (int i = 0; i < dxs.Length; i++)
                        if (dxs[i] is Tensor dx && Autograd.Tracks(fn.Inputs[i]))
                            grads.Arrive(fn.Inputs[i], dx, dxs, dys);      // pending[input] += dx
                }
            }
            if (!retainGraph) fn.Release();
        }
    }

    /// <summary>fn's Backward, with its contract checked: one gradient per input, each of its input's shape.</summary>
    private static Tensor?[] Backward(Function fn, Tensor?[] dys)
    {
        var dxs = fn.OutputCount == 1 ? fn.Backward(dys[0]!) : fn.Backward(dys);
        if (dxs.Length != fn.Inputs.Length)
            throw new InvalidOperationException($"backward: {fn.Name} returned {dxs.Length} gradients for {fn.Inputs.Length} inputs");
        for (int i = 0; i < dxs.Length; i++)
            if (dxs[i] is Tensor dx && dx.Shape != fn.Inputs[i].Shape)
                throw new InvalidOperationException($"backward: {fn.Name} returned a gradient of shape {dx.Shape} for an input of shape {fn.Inputs[i].Shape}");
        return dxs;
    }

    /// <summary>The gradient to start from: the caller's (checked against the root), or 1 for a one-element root.</summary>
    private static Tensor CheckRoot(Tensor root, Tensor? gradOutput)
    {
        root.ThrowIfDisposed("backward");
        if (!Autograd.Tracks(root))
            throw new InvalidOperationException($"backward: the tensor {root.Describe()} does not require grad and has no grad_fn (did you compute it inside Tensor.NoGrad(), or forget RequiresGrad on the inputs?)");
        if (gradOutput == null)
        {
            if (root.Numel != 1)
                throw new ShapeException($"backward: gradient can be implicitly created only for one-element outputs; the output has shape {root.Shape}, so pass a gradient of that shape");
            return TensorApi.OnesLike(root);
        }
        if (gradOutput.Shape != root.Shape)
            throw new ShapeException($"backward: gradient shape {gradOutput.Shape} does not match output shape {root.Shape}");
        if (gradOutput.Device != root.Device)
            throw new DeviceMismatchException($"backward: gradient on {gradOutput.Device} but output on {root.Device}");
        return gradOutput;
    }

    /// <summary>Nodes reachable from root, each after all nodes that feed it (iterative DFS: RNN graphs are deep).</summary>
    internal static List<Function> TopoSort(Function root)
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
