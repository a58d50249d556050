using Engine.Kernels.Ops;

namespace Engine.Functions;

// The recurrence of one LSTM layer over a whole sequence, as one node. Shape letters: T steps, B batch, H hidden.
//   xg [T,B,4H] = x_t W_ih^T + biases (all steps, computed outside by one GEMM), whh [4H,H], h0 c0 [B,H]
//   gates_t = xg_t + h_{t-1} W_hh^T;  (h_t, c_t) = lstm_cell(gates_t, c_{t-1});  hs [T,B,H] = (h_0 .. h_{T-1}), cN = c_{T-1}
// backward, t = T-1 .. 0:
//   (dg_t, dc_{t-1}) = lstm_cell_backward(dhs_t + dg_{t+1} W_hh, dc_t)
//   dxg = dg (the [T,B,4H] buffer the loop fills)   dh0 = dg_0 W_hh   dc0 = dc_{-1}
//   dW_hh = sum_t dg_t^T h_{t-1} = dg[1..]^T [(T-1)B, 4H]^T @ hs[..T-1] [(T-1)B, H]  +  dg_0^T h0
// Why one node: the per-step graph (a Matmul and a cell per step) computes dW_hh as T products with an inner size of
// B (32 for the compare workload), each writing a full [4H,H] gradient that is then summed into the pending one: T
// passes over 1 MB each for the GEMM and as many for the sums. Here it is one GEMM with inner size (T-1)B, and the
// input gradient of all steps is one buffer instead of T slices added into xg's gradient.
// The forward runs exactly the per-step ops (same kernels, same order): its bits equal the per-step graph's.
internal sealed class LstmSequence : Function
{
    private Tensor _whh = null!, _h0 = null!, _hs = null!;
    private Tensor[] _act = null!, _c = null!;   // _c[0] = c0, _c[t + 1] = c_t

    public override int OutputCount => 2;

    public static (Tensor hs, Tensor cN) Forward(Tensor xg, Tensor whh, Tensor h0, Tensor c0)
    {
        Check.SameDevice(xg, whh, "lstm_sequence"); Check.SameDevice(xg, h0, "lstm_sequence"); Check.SameDevice(xg, c0, "lstm_sequence");
        if (whh.Rank != 2 || whh.Shape[0] != 4 * whh.Shape[1])
            throw new ShapeException($"lstm_sequence: whh {whh.Shape} must be [4H, H]");
        int H = whh.Shape[1];
        if (xg.Rank != 3 || xg.Shape[0] < 1 || xg.Shape[2] != 4 * H)
            throw new ShapeException($"lstm_sequence: xg {xg.Shape} must be [T, B, 4H] = [T, B, {4 * H}] for whh {whh.Shape}");
        int T = xg.Shape[0], B = xg.Shape[1];
        var state = Shape.Wrap([B, H]);
        if (h0.Shape != state || c0.Shape != state)
            throw new ShapeException($"lstm_sequence: h0 {h0.Shape} and c0 {c0.Shape} must be [B, H] = [{B}, {H}] for xg {xg.Shape}");
        if (xg.Backend is not IFusedKernels k) return Composed(xg, whh, h0, c0);

        var be = xg.Backend;
        var hs = Tensor.Create(be.Allocate(DType.Float32, T * B * H, false), Layout.Contiguous(Shape.Wrap([T, B, H])));
        var act = new Tensor[T]; var c = new Tensor[T + 1];
        c[0] = c0;
        using var whhT = View(whh, whh.Layout.Transpose(0, 1));
        var h = h0;
        for (int t = 0; t < T; t++)
        {
            using var hg = Matmul.Product(h, whhT, B, H, 4 * H);                    // [B, 4H]
            using var xt = View(xg, Step(xg.Layout, t));
            using var gates = be.Zip(xt, hg, new AddOp());
            var (ht, ct, at) = k.LstmCell(gates, c[t]);
            using (var slot = View(hs, Step(hs.Layout, t))) be.Copy(ht, slot);
            if (t > 0) h.Dispose();
            h = ht; c[t + 1] = ct; act[t] = at;
        }
        if (T > 0 && !ReferenceEquals(h, h0)) h.Dispose();
        var cN = c[T];
        if (!Autograd.Needed([xg, whh, h0, c0]))
        {
            foreach (var a in act) a.Dispose();
            for (int t = 1; t < T; t++) c[t].Dispose();
            return (hs, cN);
        }
        var fn = new LstmSequence();
        fn._whh = fn.Save(whh); fn._h0 = fn.Save(h0); fn._hs = fn.Save(hs);
        fn._act = act.Select(fn.Save).ToArray(); fn._c = c.Select(fn.Save).ToArray();
        Autograd.RecordMany(fn, [hs, cN], xg, whh, h0, c0);
        return (hs, cN);
    }

    /// <summary>The per-step graph (a backend without fused cells): Matmul, add and the cell's tensor formula per step.</summary>
    private static (Tensor hs, Tensor cN) Composed(Tensor xg, Tensor whh, Tensor h0, Tensor c0)
    {
        var h = h0; var c = c0; var outs = new Tensor[xg.Shape[0]];
        for (int t = 0; t < outs.Length; t++)
        {
            (h, c) = LstmCell.Forward(xg.Select(0, t).Add(h.Matmul(whh.T)), c);
            outs[t] = h;
        }
        return (Tensor.Stack(outs, 0), c);
    }

    private static Tensor View(Tensor t, Layout l) => Tensor.Create(t.Storage, l);

    /// <summary>Step t of a [T, ...] layout: dim 0 dropped.</summary>
    private static Layout Step(Layout l, int t) => l.Narrow(0, t, 1).Squeeze(0);

    protected internal override Tensor?[] Backward(Tensor dy) => Backward([dy, null]);

    protected internal override Tensor?[] Backward(Tensor?[] dys)
    {
        var k = (IFusedKernels)_hs.Backend;
        var be = _hs.Backend;
        int T = _hs.Shape[0], B = _hs.Shape[1], H = _hs.Shape[2];
        var dG = Tensor.Create(be.Allocate(DType.Float32, T * B * 4 * H, false), Layout.Contiguous(Shape.Wrap([T, B, 4 * H])));
        Tensor? dhNext = null, dc = dys[1];
        bool ownDc = false;
        for (int t = T - 1; t >= 0; t--)
        {
            // dh_t = dhs_t + dg_{t+1} W_hh (either part may be absent)
            var dht = dys[0] == null ? null : View(dys[0]!, Step(dys[0]!.Layout, t));
            var dh = dht == null ? dhNext ?? be.New0(B, H) : dhNext == null ? dht : be.Zip(dht, dhNext, new AddOp());
            var (dg, dcPrev) = k.LstmCellBackward(dh, dc, _act[t], _c[t], _c[t + 1]);
            dh.Dispose();
            if (!ReferenceEquals(dh, dht)) dht?.Dispose();
            if (!ReferenceEquals(dh, dhNext)) dhNext?.Dispose();
            if (ownDc) dc!.Dispose();
            dc = dcPrev; ownDc = true;
            using (var slot = View(dG, Step(dG.Layout, t))) be.Copy(dg, slot);
            dhNext = t > 0 || NeedsGrad(2) ? Matmul.Product(dg, _whh, B, 4 * H, H) : null;   // [B,4H] x [4H,H]
            dg.Dispose();
        }
        Tensor? dWhh = null;
        if (NeedsGrad(1))
        {
            // dg_0^T h0 (inner size B), then + dg[1..]^T hs[..T-1] (inner size (T-1)B) when T > 1.
            using var g0T = View(dG, Step(dG.Layout, 0).Transpose(0, 1));
            dWhh = Matmul.Product(g0T, _h0, 4 * H, B, H);
            if (T > 1)
            {
                int n = (T - 1) * B;
                using var gT = View(dG, dG.Layout.Narrow(0, 1, T - 1).TryView(Shape.Wrap([n, 4 * H]))!.Transpose(0, 1));
                using var hp = View(_hs, _hs.Layout.Narrow(0, 0, T - 1).TryView(Shape.Wrap([n, H]))!);
                using var rest = Matmul.Product(gT, hp, 4 * H, n, H);
                var sum = be.Zip(rest, dWhh, new AddOp());
                dWhh.Dispose();
                dWhh = sum;
            }
        }
        var dxg = NeedsGrad(0) ? dG : null;
        if (dxg == null) dG.Dispose();
        var dh0 = NeedsGrad(2) ? dhNext : null;
        if (dh0 == null) dhNext?.Dispose();
        var dc0 = NeedsGrad(3) ? dc : null;
        if (dc0 == null && ownDc) dc!.Dispose();
        return [dxg, dWhh, dh0, dc0];
    }
}

internal static class LstmSequenceBackendExtensions
{
    /// <summary>A zeroed [rows, cols] Float32 tensor on this backend.</summary>
    public static Tensor New0(this IBackend be, int rows, int cols) =>
        Tensor.Create(be.Allocate(DType.Float32, rows * cols, true), Layout.Contiguous(Shape.Wrap([rows, cols])));
}
