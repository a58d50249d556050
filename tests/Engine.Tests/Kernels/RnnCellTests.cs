using Engine.Kernels.Cpu;

namespace Engine.Tests.Kernels;

// The fused LSTM / GRU cells (8-lane vector blocks plus a scalar tail) against a double-precision reference of the
// formulas in IBackend.Nn.cs, and their backward passes against central finite differences of that reference.
public class RnnCellTests
{
    private static double S(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>(h, c) of one LSTM cell, gates (i, f, g, o) in PyTorch order.</summary>
    private static (double[] h, double[] c) Lstm(float[] gates, float[] cPrev, int B, int H)
    {
        var h = new double[B * H]; var c = new double[B * H];
        for (int b = 0; b < B; b++)
            for (int j = 0; j < H; j++)
            {
                int r = b * 4 * H;
                double i = S(gates[r + j]), f = S(gates[r + H + j]), g = Math.Tanh(gates[r + 2 * H + j]), o = S(gates[r + 3 * H + j]);
                c[b * H + j] = f * cPrev[b * H + j] + i * g;
                h[b * H + j] = o * Math.Tanh(c[b * H + j]);
            }
        return (h, c);
    }

    private static double[] Gru(float[] xg, float[] hg, float[] hPrev, int B, int H)
    {
        var h = new double[B * H];
        for (int b = 0; b < B; b++)
            for (int j = 0; j < H; j++)
            {
                int r = b * 3 * H;
                double rg = S(xg[r + j] + hg[r + j]), z = S(xg[r + H + j] + hg[r + H + j]);
                double n = Math.Tanh(xg[r + 2 * H + j] + rg * hg[r + 2 * H + j]);
                h[b * H + j] = (1 - z) * n + z * hPrev[b * H + j];
            }
        return h;
    }

    private static float[] ToF(double[] d) => d.Select(v => (float)v).ToArray();

    private static double Dot(double[] a, float[] w) { double s = 0; for (int i = 0; i < a.Length; i++) s += a[i] * w[i]; return s; }

    /// <summary>d/dv[k] of loss(v) by central differences in double precision around float inputs.</summary>
    private static float[] Numeric(float[] v, Func<float[], double> loss)
    {
        var g = new float[v.Length];
        for (int k = 0; k < v.Length; k++)
        {
            float keep = v[k]; const float e = 1e-2f;
            v[k] = keep + e; double up = loss(v);
            v[k] = keep - e; double down = loss(v);
            v[k] = keep;
            g[k] = (float)((up - down) / (2 * e));
        }
        return g;
    }

    [Theory]
    [InlineData(3, 13)] // one vector block and a 5-wide tail
    [InlineData(2, 16)] // vector blocks only
    [InlineData(2, 5)]  // tail only
    public void LstmForwardAndBackward(int B, int H)
    {
        var be = CpuBackend.Instance;
        var gates = KernelAssert.Random(B * 4 * H, H).Select(v => 3 * v).ToArray();
        var cPrev = KernelAssert.Random(B * H, H + 1);
        var (h, c, act) = be.LstmCell(Tensor.FromArray(gates, B, 4 * H), Tensor.FromArray(cPrev, B, H));
        var (hr, cr) = Lstm(gates, cPrev, B, H);
        KernelAssert.Close(ToF(hr), h.ToArray(), 1e-5f, "lstm h");
        KernelAssert.Close(ToF(cr), c.ToArray(), 1e-5f, "lstm c");

        // loss = <h, u> + <c, v>: dh = u, dc = v.
        var u = KernelAssert.Random(B * H, 7); var v = KernelAssert.Random(B * H, 8);
        var (dg, dcp) = be.LstmCellBackward(Tensor.FromArray(u, B, H), Tensor.FromArray(v, B, H), act, Tensor.FromArray(cPrev, B, H), c);
        double Loss(float[] g, float[] cp) { var (hh, cc) = Lstm(g, cp, B, H); return Dot(hh, u) + Dot(cc, v); }
        KernelAssert.Close(Numeric(gates, g => Loss(g, cPrev)), dg.ToArray(), 2e-3f, "lstm dGates");
        KernelAssert.Close(Numeric(cPrev, cp => Loss(gates, cp)), dcp.ToArray(), 2e-3f, "lstm dcPrev");
    }

    [Theory]
    [InlineData(3, 13)]
    [InlineData(2, 16)]
    [InlineData(2, 5)]
    public void GruForwardAndBackward(int B, int H)
    {
        var be = CpuBackend.Instance;
        var xg = KernelAssert.Random(B * 3 * H, H).Select(v => 2 * v).ToArray();
        var hg = KernelAssert.Random(B * 3 * H, H + 1).Select(v => 2 * v).ToArray();
        var hPrev = KernelAssert.Random(B * H, H + 2);
        var (h, act) = be.GruCell(Tensor.FromArray(xg, B, 3 * H), Tensor.FromArray(hg, B, 3 * H), Tensor.FromArray(hPrev, B, H));
        KernelAssert.Close(ToF(Gru(xg, hg, hPrev, B, H)), h.ToArray(), 1e-5f, "gru h");

        var u = KernelAssert.Random(B * H, 9);
        var (dxg, dhg, dhp) = be.GruCellBackward(Tensor.FromArray(u, B, H), act, Tensor.FromArray(hg, B, 3 * H), Tensor.FromArray(hPrev, B, H));
        KernelAssert.Close(Numeric(xg, x => Dot(Gru(x, hg, hPrev, B, H), u)), dxg.ToArray(), 2e-3f, "gru dxg");
        KernelAssert.Close(Numeric(hg, g => Dot(Gru(xg, g, hPrev, B, H), u)), dhg.ToArray(), 2e-3f, "gru dhg");
        KernelAssert.Close(Numeric(hPrev, p => Dot(Gru(xg, hg, p, B, H), u)), dhp.ToArray(), 2e-3f, "gru dhPrev");
    }

    [Fact]
    public void CellsBigEnoughToSplitOverTheCoresMatchRowByRow()
    {
        // B*H at the parallel threshold: every row must equal the same row run alone (which stays on one thread).
        var be = CpuBackend.Instance;
        const int H = 24;
        int B = CpuBackend.MinParallelCells / H + 1;
        var gates = KernelAssert.Random(B * 4 * H, 31).Select(v => 3 * v).ToArray();
        var cPrev = KernelAssert.Random(B * H, 32); var u = KernelAssert.Random(B * H, 33); var v = KernelAssert.Random(B * H, 34);
        var hg = KernelAssert.Random(B * 3 * H, 35);
        var (h, c, act) = be.LstmCell(Tensor.FromArray(gates, B, 4 * H), Tensor.FromArray(cPrev, B, H));
        var (dg, dcp) = be.LstmCellBackward(Tensor.FromArray(u, B, H), Tensor.FromArray(v, B, H), act, Tensor.FromArray(cPrev, B, H), c);
        var (gh, gact) = be.GruCell(Tensor.FromArray(gates[..(B * 3 * H)], B, 3 * H), Tensor.FromArray(hg, B, 3 * H), Tensor.FromArray(cPrev, B, H));
        var (dxg, dhg, dhp) = be.GruCellBackward(Tensor.FromArray(u, B, H), gact, Tensor.FromArray(hg, B, 3 * H), Tensor.FromArray(cPrev, B, H));
        float[] Row(float[] a, int b, int w) => a[(b * w)..((b + 1) * w)];
        foreach (int b in new[] { 0, 1, B / 2, B - 1 })
        {
            var (h1, c1, a1) = be.LstmCell(Tensor.FromArray(Row(gates, b, 4 * H), 1, 4 * H), Tensor.FromArray(Row(cPrev, b, H), 1, H));
            Assert.Equal(h1.ToArray(), Row(h.ToArray(), b, H));
            Assert.Equal(c1.ToArray(), Row(c.ToArray(), b, H));
            var (dg1, dcp1) = be.LstmCellBackward(Tensor.FromArray(Row(u, b, H), 1, H), Tensor.FromArray(Row(v, b, H), 1, H), a1, Tensor.FromArray(Row(cPrev, b, H), 1, H), c1);
            Assert.Equal(dg1.ToArray(), Row(dg.ToArray(), b, 4 * H));
            Assert.Equal(dcp1.ToArray(), Row(dcp.ToArray(), b, H));
            var (gh1, ga1) = be.GruCell(Tensor.FromArray(Row(gates, b, 3 * H), 1, 3 * H), Tensor.FromArray(Row(hg, b, 3 * H), 1, 3 * H), Tensor.FromArray(Row(cPrev, b, H), 1, H));
            Assert.Equal(gh1.ToArray(), Row(gh.ToArray(), b, H));
            var (dx1, dh1, dp1) = be.GruCellBackward(Tensor.FromArray(Row(u, b, H), 1, H), ga1, Tensor.FromArray(Row(hg, b, 3 * H), 1, 3 * H), Tensor.FromArray(Row(cPrev, b, H), 1, H));
            Assert.Equal(dx1.ToArray(), Row(dxg.ToArray(), b, 3 * H));
            Assert.Equal(dh1.ToArray(), Row(dhg.ToArray(), b, 3 * H));
            Assert.Equal(dp1.ToArray(), Row(dhp.ToArray(), b, H));
        }
        var (hr, _) = Lstm(gates, cPrev, B, H);
        KernelAssert.Close(ToF(hr), h.ToArray(), 1e-5f, "lstm h (parallel)");
    }
}
