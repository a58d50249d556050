using GraphProto = global::Onnx.GraphProto;
using NodeProto = global::Onnx.NodeProto;

namespace Engine.Onnx;

/// <summary>
/// The erf form of GELU that torch.onnx.export writes below opset 20 (and the engine's exporter too),
/// y = Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5), rewritten at load time into one Gelu node: one kernel (the
/// engine's fused Gelu, with its own backward) instead of five, and four intermediate tensors fewer per use. A match
/// needs the constants within 1e-6 of sqrt 2, 1 and 0.5 (initializers or Constant nodes), each intermediate read
/// by the next node only and no intermediate a graph output; anything else is left as it is.
/// </summary>
internal static class GeluFusion
{
    /// <summary>Rewrites g in place; returns the number of patterns fused.</summary>
    public static int Apply(GraphProto g)
    {
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        var consumers = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < g.Node.Count; i++)
        {
            foreach (var o in g.Node[i].Output) if (o.Length > 0) producer.TryAdd(o, i);
            foreach (var inp in g.Node[i].Input)
                if (inp.Length > 0) (consumers.TryGetValue(inp, out var l) ? l : consumers[inp] = new()).Add(i);
        }
        var outputs = new HashSet<string>(g.Output.Select(o => o.Name), StringComparer.Ordinal);
        var inits = g.Initializer.GroupBy(t => t.Name).ToDictionary(t => t.Key, t => t.First());

        bool IsScalar(string name, float expected)
        {
            Value v;
            try
            {
                if (inits.TryGetValue(name, out var t)) { if (t.DataLocation == global::Onnx.TensorProto.Types.DataLocation.External) return false; v = TensorData.Decode(t, null, name); }
                else if (producer.TryGetValue(name, out var p) && g.Node[p] is { OpType: "Constant" } c
                         && c.Attribute.FirstOrDefault(a => a.Name == "value") is { T: { } ct }) v = TensorData.Decode(ct, null, name);
                else return false;
            }
            catch (OnnxException) { return false; }   // a damaged constant is reported where the graph is compiled
            return v.TryScalar(out var s) && MathF.Abs(s - expected) <= 1e-6f * MathF.Max(1f, MathF.Abs(expected));
        }
        // The single node that reads value (and is not a graph output), with the op.
        int? Next(string value, string op)
        {
            if (outputs.Contains(value) || !consumers.TryGetValue(value, out var cs) || cs.Count != 1) return null;
            var n = g.Node[cs[0]];
            return n.OpType == op && n.Domain is "" or "ai.onnx" ? cs[0] : null;
        }
        // The input of a binary node that is not `known`, or null when both or neither are.
        static string? Other(NodeProto n, string known) =>
            n.Input.Count != 2 ? null : n.Input[0] == known && n.Input[1] != known ? n.Input[1] : n.Input[1] == known && n.Input[0] != known ? n.Input[0] : null;

        var removed = new HashSet<int>();
        var replacement = new Dictionary<int, NodeProto>();
        for (int i = 0; i < g.Node.Count; i++)
        {
            var div = g.Node[i];
            if (div.OpType != "Div" || div.Domain is not ("" or "ai.onnx") || div.Input.Count != 2 || div.Output.Count != 1) continue;
            string x = div.Input[0];
            if (!IsScalar(div.Input[1], MathF.Sqrt(2f))) continue;
            if (Next(div.Output[0], "Erf") is not int erf) continue;
            if (Next(g.Node[erf].Output[0], "Add") is not int add) continue;
            if (Other(g.Node[add], g.Node[erf].Output[0]) is not { } one || !IsScalar(one, 1f)) continue;
            if (Next(g.Node[add].Output[0], "Mul") is not int mul1 || Other(g.Node[mul1], g.Node[add].Output[0]) != x) continue;
            if (Next(g.Node[mul1].Output[0], "Mul") is not int mul2) continue;
            if (Other(g.Node[mul2], g.Node[mul1].Output[0]) is not { } half || !IsScalar(half, 0.5f)) continue;
            int[] chain = [i, erf, add, mul1, mul2];
            if (chain.Any(removed.Contains) || g.Node[mul2].Output.Count != 1) continue;
            foreach (var c in chain) removed.Add(c);
            var gelu = new NodeProto { OpType = "Gelu", Name = $"{g.Node[mul2].Name}/fused_gelu" };
            gelu.Input.Add(x);
            gelu.Output.Add(g.Node[mul2].Output[0]);
            replacement[mul2] = gelu;
        }
        if (replacement.Count == 0) return 0;
        var nodes = new List<NodeProto>(g.Node.Count);
        for (int i = 0; i < g.Node.Count; i++)
            if (replacement.TryGetValue(i, out var r)) nodes.Add(r);
            else if (!removed.Contains(i)) nodes.Add(g.Node[i]);
        g.Node.Clear();
        g.Node.AddRange(nodes);
        return replacement.Count;
    }
}
