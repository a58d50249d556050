using static Engine.Onnx.Export.GraphWriter;

namespace Engine.Onnx.Export;

/// <summary>
/// RNN, LSTM and GRU as ONNX's RNN, LSTM and GRU operators, one node per layer (as torch.onnx.export writes them).
/// Shapes: T time, B batch, H hidden, D directions (2 when bidirectional), G gates (1, 4, 3).
/// ONNX stacks a layer's weights per direction, W [D, G*H, in], R [D, G*H, H], B [D, 2*G*H] (= W_b then R_b), and
/// orders the gates differently from PyTorch (whose order the engine keeps): LSTM is i o f c in ONNX and i f g o in
/// PyTorch; GRU is z r h in ONNX and r z n in PyTorch, and PyTorch's n = tanh(xn + r * (h W_hn^T + b_hn)) is ONNX's
/// linear_before_reset = 1. The node's Y [T, D, B, H] becomes the engine's [T, B, D*H].
/// </summary>
internal static class Recurrent
{
    /// <summary>For each ONNX gate slot, the PyTorch gate it takes.</summary>
    public static int[] OnnxFromTorch(RecurrentBase r) => r switch
    {
        LSTM => [0, 3, 1, 2],   // i o f c  <-  i f g o
        GRU => [1, 0, 2],       // z r h    <-  r z n
        _ => [0],
    };

    public static string Export(RecurrentBase r, string path, string input, string scope, GraphWriter w)
    {
        string op = r switch { LSTM => "LSTM", GRU => "GRU", _ => "RNN" };
        var order = OnnxFromTorch(r);
        int H = r.HiddenSize, D = r.Bidirectional ? 2 : 1, G = order.Length;
        var p = r.NamedParameters(recurse: false).ToDictionary(q => q.Name, q => q.Parameter);

        // Rows of a [G*H, ...] PyTorch weight regrouped in ONNX's gate order.
        Tensor Reorder(Tensor t) => G == 1 ? t : Tensor.Cat(order.Select(g => t.Narrow(0, g * H, H)).ToArray(), 0);

        var cur = input;
        if (r.BatchFirst) cur = w.Node("Transpose", scope, [cur], Attr("perm", 1L, 0L, 2L));   // [B,T,in] -> [T,B,in]
        for (int l = 0; l < r.NumLayers; l++)
        {
            var ws = new Tensor[D]; var rs = new Tensor[D]; var bs = new Tensor[D];
            for (int d = 0; d < D; d++)
            {
                string s = $"_l{l}" + (d == 1 ? "_reverse" : "");
                ws[d] = Reorder(p["weight_ih" + s]);
                rs[d] = Reorder(p["weight_hh" + s]);
                bs[d] = r.HasBias ? Tensor.Cat([Reorder(p["bias_ih" + s]), Reorder(p["bias_hh" + s])], 0) : Tensor.Zeros(2 * G * H);
            }
            var W = w.Initializer(Name(path, $"onnx_W_l{l}"), Tensor.Stack(ws, 0));
            var R = w.Initializer(Name(path, $"onnx_R_l{l}"), Tensor.Stack(rs, 0));
            var B = w.Initializer(Name(path, $"onnx_B_l{l}"), Tensor.Stack(bs, 0));
            var attrs = new List<global::Onnx.AttributeProto>
            {
                Attr("hidden_size", (long)H),
                Attr("direction", D == 2 ? "bidirectional" : "forward"),
            };
            if (r is GRU) attrs.Add(Attr("linear_before_reset", 1L));
            if (r is RNN rnn) attrs.Add(Strings("activations", Enumerable.Repeat(rnn.Nonlinearity == "relu" ? "Relu" : "Tanh", D).ToArray()));
            var y = w.Node(op, $"{scope}/l{l}", [cur, W, R, B], attrs.ToArray());          // Y [T, D, B, H]
            cur = D == 1
                ? w.Node("Squeeze", $"{scope}/l{l}", [y, w.Ints("axes", 1)])                // [T, B, H]
                : w.Node("Reshape", $"{scope}/l{l}",                                         // [T, B, D, H] -> [T, B, D*H]
                    [w.Node("Transpose", $"{scope}/l{l}", [y], Attr("perm", 0L, 2L, 1L, 3L)), w.Ints("shape", 0, 0, -1)]);
        }
        if (r.BatchFirst) cur = w.Node("Transpose", scope, [cur], Attr("perm", 1L, 0L, 2L));   // back to [B,T,D*H]
        return cur;
    }

    private static string Name(string path, string member) => path.Length == 0 ? member : $"{path}.{member}";
}
