namespace Engine.Onnx.Ops;

/// <summary>ReduceMean, ReduceSum, ReduceMax, ReduceMin over axes (an attribute, or an input from opset 13 for ReduceSum
/// and from 18 for the others), keepdims default 1.</summary>
internal static class ReduceOps
{
    public static void Register(Dictionary<string, Func<Node, Kernel>> d)
    {
        d["ReduceMean"] = n => Reduce(n, 18, (t, dims, keep) => t.Mean(dims, keep));
        d["ReduceSum"] = n => Reduce(n, 13, (t, dims, keep) => t.Sum(dims, keep));
        d["ReduceMax"] = n => Reduce(n, 18, (t, dims, keep) => t.Max(dims, keep));
        d["ReduceMin"] = n => Reduce(n, 18, (t, dims, keep) => t.Min(dims, keep));
    }

    private static Kernel Reduce(Node n, int axesInputFrom, Func<Tensor, int[], bool, Tensor> f)
    {
        bool keep = n.Int("keepdims", 1) != 0;
        bool noopEmpty = n.Int("noop_with_empty_axes", 0) != 0;
        var axesAttr = n.Ints("axes");
        return (ins, ctx) =>
        {
            var xv = Node.In(ins, 0, n);
            var x = xv.AsTensor(ctx.Device, n.Op);
            long[]? axes = n.Opset >= axesInputFrom ? (ins.Length > 1 && ins[1] is { } a ? a.AsInts(n.Op) : null) : axesAttr;
            if (axes == null || axes.Length == 0)
            {
                if (noopEmpty) return [Value.Of(x)];
                axes = Enumerable.Range(0, x.Rank).Select(i => (long)i).ToArray();
            }
            var dims = axes.Select(a => Node.Axis(a, x.Rank, n)).Distinct().ToArray();
            return [Value.Of(f(x, dims, keep))];
        };
    }
}
