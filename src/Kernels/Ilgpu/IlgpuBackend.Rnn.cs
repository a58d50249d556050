using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Ilgpu;

// Fused LSTM / GRU cells on the device (RnnKernels).
public sealed partial class IlgpuBackend
{
    public (Tensor h, Tensor c, Tensor act) LstmCell(Tensor gates, Tensor cPrev)
    {
        int B = cPrev.Shape[0], H = cPrev.Shape[1];
        if (gates.Shape != Shape.Wrap([B, 4 * H])) throw new ShapeException($"lstm cell: gates {gates.Shape} must be [B,4H] = [{B},{4 * H}] for state {cPrev.Shape}");
        var gc = ContiguousF32(gates, "lstm cell"); var cc = ContiguousF32(cPrev, "lstm cell");
        var h = New(cPrev.Shape); var c = New(cPrev.Shape); var act = New(gates.Shape);
        var k = Kernel("lstm", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(RnnKernels.Lstm));
        if (B * H > 0) k(B * H, Data(gc), Data(cc), F(h), F(c), F(act), H);
        DisposeIfTemp(gc, gates); DisposeIfTemp(cc, cPrev);
        return (h, c, act);
    }

    public (Tensor dGates, Tensor dcPrev) LstmCellBackward(Tensor dh, Tensor? dc, Tensor act, Tensor cPrev, Tensor c)
    {
        int B = cPrev.Shape[0], H = cPrev.Shape[1];
        var dhc = ContiguousF32(dh, "lstm cell backward"); var dcc = dc == null ? null : ContiguousF32(dc, "lstm cell backward");
        var ac = ContiguousF32(act, "lstm cell backward"); var cpc = ContiguousF32(cPrev, "lstm cell backward"); var cc = ContiguousF32(c, "lstm cell backward");
        var dg = New(act.Shape); var dcp = New(cPrev.Shape);
        var k = Kernel("lstm.backward", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(RnnKernels.LstmBackward));
        if (B * H > 0) k(B * H, Data(dhc), dcc == null ? Data(dhc) : Data(dcc), Data(ac), Data(cpc), Data(cc), F(dg), F(dcp), H, dcc == null ? 0 : 1);
        DisposeIfTemp(dhc, dh); if (dcc != null) DisposeIfTemp(dcc, dc!); DisposeIfTemp(ac, act); DisposeIfTemp(cpc, cPrev); DisposeIfTemp(cc, c);
        return (dg, dcp);
    }

    public (Tensor h, Tensor act) GruCell(Tensor xg, Tensor hg, Tensor hPrev)
    {
        int B = hPrev.Shape[0], H = hPrev.Shape[1];
        if (xg.Shape != Shape.Wrap([B, 3 * H]) || hg.Shape != xg.Shape) throw new ShapeException($"gru cell: xg {xg.Shape} and hg {hg.Shape} must be [B,3H] = [{B},{3 * H}] for state {hPrev.Shape}");
        var xc = ContiguousF32(xg, "gru cell"); var hc = ContiguousF32(hg, "gru cell"); var pc = ContiguousF32(hPrev, "gru cell");
        var h = New(hPrev.Shape); var act = New(xg.Shape);
        var k = Kernel("gru", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(RnnKernels.Gru));
        if (B * H > 0) k(B * H, Data(xc), Data(hc), Data(pc), F(h), F(act), H);
        DisposeIfTemp(xc, xg); DisposeIfTemp(hc, hg); DisposeIfTemp(pc, hPrev);
        return (h, act);
    }

    public (Tensor dxg, Tensor dhg, Tensor dhPrev) GruCellBackward(Tensor dh, Tensor act, Tensor hg, Tensor hPrev)
    {
        int B = hPrev.Shape[0], H = hPrev.Shape[1];
        var dhc = ContiguousF32(dh, "gru cell backward"); var ac = ContiguousF32(act, "gru cell backward");
        var hc = ContiguousF32(hg, "gru cell backward"); var pc = ContiguousF32(hPrev, "gru cell backward");
        var dxg = New(act.Shape); var dhg = New(act.Shape); var dhp = New(hPrev.Shape);
        var k = Kernel("gru.backward", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(RnnKernels.GruBackward));
        if (B * H > 0) k(B * H, Data(dhc), Data(ac), Data(hc), Data(pc), F(dxg), F(dhg), F(dhp), H);
        DisposeIfTemp(dhc, dh); DisposeIfTemp(ac, act); DisposeIfTemp(hc, hg); DisposeIfTemp(pc, hPrev);
        return (dxg, dhg, dhp);
    }
}
