namespace Engine.Onnx.Ops;

/// <summary>
/// ONNX's RNN, LSTM and GRU operators on the engine's ops (differentiable, so the weights fine-tune), one step at a
/// time like the engine's own layers. Shapes: T time, B batch, H hidden_size, D directions, G gates (1, 4, 3).
/// Inputs X [T, B, in] (layout 1: [B, T, in]), W [D, G*H, in], R [D, G*H, H], B [D, 2*G*H] (W_b then R_b),
/// sequence_lens (only full lengths), initial_h / initial_c [D, B, H]; outputs Y [T, D, B, H] (layout 1:
/// [B, T, D, H]), Y_h and Y_c [D, B, H] (layout 1: [B, D, H]). ONNX's gate orders (LSTM i o f c, GRU z r h) are
/// regrouped into PyTorch's (i f g o, r z n), so the engine's fused cells run them.
/// </summary>
internal static class RecurrentOps
{
    public static void Register(Dictionary<string, Func<Node, Kernel>> d)
    {
        d["LSTM"] = n => Make(n, 4);
        d["GRU"] = n => Make(n, 3);
        d["RNN"] = n => Make(n, 1);
    }

    /// <summary>For each PyTorch gate, the ONNX gate slot it comes from.</summary>
    private static int[] TorchFromOnnx(int gates) => gates switch
    {
        4 => [0, 2, 3, 1],   // i f g o  <-  i o f c
        3 => [1, 0, 2],      // r z n    <-  z r h
        _ => [0],
    };

    private static Kernel Make(Node n, int G)
    {
        long hAttr = n.Int("hidden_size", 0);
        if (hAttr <= 0 || hAttr > 1 << 20) throw n.Error($"attribute 'hidden_size' must be given and positive, got {hAttr}");
        int H = (int)hAttr;
        string dir = n.Str("direction", "forward");
        if (dir is not ("forward" or "reverse" or "bidirectional")) throw n.Error($"direction '{dir}' is not forward, reverse or bidirectional");
        int D = dir == "bidirectional" ? 2 : 1;
        long layout = n.Int("layout", 0);
        if (layout is not (0 or 1)) throw n.Error($"layout {layout} is not 0 or 1");
        n.Refuse("clip", _ => true, "cell clipping is not supported");
        n.Refuse("activation_alpha", _ => true, "activations with parameters are not supported");
        n.Refuse("activation_beta", _ => true, "activations with parameters are not supported");
        if (G == 4) n.Refuse("input_forget", a => a.I != 0, "coupled input and forget gates are not supported");
        bool linearBeforeReset = G == 3 && n.Int("linear_before_reset", 0) != 0;
        var acts = n.Attr("activations")?.Strings.Select(s => s.ToStringUtf8()).ToArray();
        string[] standard = G switch { 4 => ["Sigmoid", "Tanh", "Tanh"], 3 => ["Sigmoid", "Tanh"], _ => ["Tanh"] };
        bool relu = false;
        if (acts != null && acts.Length > 0)
        {
            if (G == 1 && acts.Length == D && acts.All(a => a.Equals("Relu", StringComparison.OrdinalIgnoreCase))) relu = true;
            else if (acts.Length != standard.Length * D || !acts.Select((a, i) => a.Equals(standard[i % standard.Length], StringComparison.OrdinalIgnoreCase)).All(b => b))
                throw n.Error($"activations [{string.Join(", ", acts)}] are not supported; supported: the defaults ({string.Join(", ", standard)} per direction){(G == 1 ? " or Relu" : "")}");
        }
        var order = TorchFromOnnx(G);

        return (ins, ctx) =>
        {
            var x = Node.In(ins, 0, n).AsTensor(ctx.Device, n.Op);
            var W = Node.In(ins, 1, n).AsTensor(ctx.Device, n.Op);
            var R = Node.In(ins, 2, n).AsTensor(ctx.Device, n.Op);
            var Bias = ins.Length > 3 && ins[3] is { } bv ? bv.AsTensor(ctx.Device, n.Op) : null;
            if (ins.Length > 7 && ins[7] != null) throw n.Error("peephole weights (input P) are not supported");
            if (x.Rank != 3) throw n.Error($"X must be {(layout == 0 ? "[T,B,in]" : "[B,T,in]")}, got {x.Shape}");
            if (layout == 1) x = x.Transpose(0, 1);
            int T = x.Shape[0], B = x.Shape[1], I = x.Shape[2];
            Expect(n, W, "W", D, G * H, I);
            Expect(n, R, "R", D, G * H, H);
            if (Bias != null && (Bias.Rank != 2 || Bias.Shape[0] != D || Bias.Shape[1] != 2 * G * H))
                throw n.Error($"B must be [{D},{2 * G * H}], got {Bias.Shape}");
            if (ins.Length > 4 && ins[4] is { } lens)
                foreach (var len in lens.AsInts(n.Op))
                    if (len != T) throw n.Error($"sequence_lens holds {len} but the sequence has {T} steps; only full-length sequences are supported");
            var h0 = ins.Length > 5 && ins[5] is { } hv ? State(hv.AsTensor(ctx.Device, n.Op), "initial_h") : null;
            var c0 = G == 4 && ins.Length > 6 && ins[6] is { } cv ? State(cv.AsTensor(ctx.Device, n.Op), "initial_c") : null;

            Tensor State(Tensor s, string what)
            {
                if (layout == 1 && s.Rank == 3) s = s.Transpose(0, 1);
                if (s.Rank != 3 || s.Shape[0] != D || s.Shape[1] != B || s.Shape[2] != H) throw n.Error($"{what} must be [{D},{B},{H}], got {s.Shape}");
                return s;
            }
            // Rows of an ONNX [G*H, ...] block regrouped into PyTorch's gate order.
            Tensor Regroup(Tensor t) => G == 1 ? t : Tensor.Cat(order.Select(g => t.Narrow(0, g * H, H)).ToArray(), 0);

            var ys = new Tensor[D]; var hs = new Tensor[D]; var cs = new Tensor[D];
            for (int d = 0; d < D; d++)
            {
                bool reverse = dir == "reverse" || d == 1;
                var wd = Regroup(W.Select(0, d)); var rd = Regroup(R.Select(0, d));
                Tensor? bw = null, br = null;
                if (Bias != null) { var bd = Bias.Select(0, d); bw = Regroup(bd.Narrow(0, 0, G * H)); br = Regroup(bd.Narrow(0, G * H, G * H)); }
                // Input projection of every step at once: [T*B, in] x [in, G*H].
                var xg = x.Reshape(T * B, I).Matmul(wd.T);
                if (bw != null) xg = xg.Add(bw);
                xg = xg.Reshape(T, B, G * H);
                var h = h0?.Select(0, d) ?? Tensor.Zeros(new Shape(B, H), ctx.Device);
                var c = G == 4 ? c0?.Select(0, d) ?? Tensor.Zeros(new Shape(B, H), ctx.Device) : null;
                var rT = rd.T;
                var outs = new Tensor[T];
                for (int s = 0; s < T; s++)
                {
                    int t = reverse ? T - 1 - s : s;
                    var xt = xg.Select(0, t);
                    if (G == 3 && !linearBeforeReset) h = GruResetFirst(xt, h, rd, br, H);
                    else
                    {
                        var hg = h.Matmul(rT);
                        if (br != null) hg = hg.Add(br);
                        if (G == 4) (h, c) = Tensor.LstmCell(xt.Add(hg), c!);
                        else if (G == 3) h = Tensor.GruCell(xt, hg, h);
                        else h = relu ? xt.Add(hg).Relu() : xt.Add(hg).Tanh();
                    }
                    outs[t] = h;
                }
                ys[d] = Tensor.Stack(outs, 0); hs[d] = h; if (c != null) cs[d] = c;
            }
            var y = Tensor.Stack(ys, 1);                                   // [T, D, B, H]
            var yh = Tensor.Stack(hs, 0);                                  // [D, B, H]
            var yc = G == 4 ? Tensor.Stack(cs, 0) : null;
            if (layout == 1) { y = y.Permute(2, 0, 1, 3); yh = yh.Transpose(0, 1); yc = yc?.Transpose(0, 1); }
            return [Value.Of(y), Value.Of(yh), yc != null ? Value.Of(yc) : null];
        };
    }

    // linear_before_reset = 0 (ONNX's default, not PyTorch's): n = tanh(xn + (r * h) R_n^T + Rb_n), gates in r z n order.
    private static Tensor GruResetFirst(Tensor xt, Tensor h, Tensor rd, Tensor? br, int H)
    {
        var rzW = rd.Narrow(0, 0, 2 * H); var nW = rd.Narrow(0, 2 * H, H);
        var rz = xt.Narrow(1, 0, 2 * H).Add(h.Matmul(rzW.T));
        if (br != null) rz = rz.Add(br.Narrow(0, 0, 2 * H));
        rz = rz.Sigmoid();
        var r = rz.Narrow(1, 0, H); var z = rz.Narrow(1, H, H);
        var hn = r.Mul(h).Matmul(nW.T);
        if (br != null) hn = hn.Add(br.Narrow(0, 2 * H, H));
        var nn = xt.Narrow(1, 2 * H, H).Add(hn).Tanh();
        return nn.Add(z.Mul(h.Sub(nn)));                                   // (1 - z) n + z h
    }

    private static void Expect(Node n, Tensor t, string what, int d, int rows, int cols)
    {
        if (t.Rank != 3 || t.Shape[0] != d || t.Shape[1] != rows || t.Shape[2] != cols)
            throw n.Error($"{what} must be [{d},{rows},{cols}], got {t.Shape}");
    }
}
