namespace Engine.Tests.TestUtil;

/// <summary>
/// The plainest reverse-mode pass, the reference for Backprop's in-place sums: topological order, then every node's
/// Backward (never AddGradInto), every sum a new tensor (a.Add(b)), every leaf gradient a new tensor. Nothing is
/// written in place, so no ownership rule can be wrong here. It leaves the graph intact (like retainGraph).
/// </summary>
public static class ReferenceBackprop
{
    public static void Run(Tensor root)
    {
        using var _ = Engine.Autograd.NoGrad();
        var seed = Tensor.Ones(root.Shape.ToArray(), root.Device);
        if (root.GradFn is not Function rootFn) { Accumulate(root, seed); return; }
        var pending = new Dictionary<(Function, int), Tensor>();
        pending[(rootFn, root.OutputIndex)] = seed;
        var order = Backprop.TopoSort(rootFn);
        for (int n = order.Count - 1; n >= 0; n--)
        {
            var fn = order[n];
            var dys = Enumerable.Range(0, fn.OutputCount).Select(k => pending.Remove((fn, k), out var g) ? g : null).ToArray();
            if (dys.All(d => d == null)) continue;
            var dxs = fn.OutputCount == 1 ? fn.Backward(dys[0]!) : fn.Backward(dys);
            for (int i = 0; i < dxs.Length; i++)
            {
                var input = fn.Inputs[i];
                var dx = dxs[i];
                if (dx == null || !Engine.Autograd.Tracks(input)) continue;
                if (input.GradFn is Function prev)
                {
                    var key = (prev, input.OutputIndex);
                    pending[key] = pending.TryGetValue(key, out var s) ? s.Add(dx) : dx;
                }
                else Accumulate(input, dx);
            }
        }
    }

    private static void Accumulate(Tensor leaf, Tensor g)
    {
        if (!leaf.RequiresGrad) return;
        leaf.Grad = leaf.Grad == null ? g.Clone() : leaf.Grad.Add(g).ToDType(leaf.Grad.DType);
    }
}
