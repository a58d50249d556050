using Engine.Kernels.Ilgpu;
using Engine.Tests.TestUtil;

namespace Engine.Text.Tests;

/// <summary>
/// The ILGPU fused attention kernel (one thread per query row / key row) on ILGPU's CPU accelerator: outputs and
/// gradients against the composed reference (on the same device for the short lengths), and against the CPU's FlashAttention kernel
/// (o and lse of the kernel contract too). Tolerance 1e-4 relative + 1e-5 absolute on N(0,1) inputs, head dim 8.
/// </summary>
public class IlgpuAttentionTests
{
    private static readonly Lazy<Device> Lazy = new(Device.IlgpuCpu);
    private static Device Dev => Lazy.Value;

    public static TheoryData<int, int, string> Cases()
    {
        var d = new TheoryData<int, int, string>();
        foreach (var (L, S) in new[] { (1, 1), (17, 17), (65, 65), (130, 130), (17, 65), (65, 17) })
            foreach (var mask in new[] { "none", "padding", "full", "causal", "padding+causal" })
                d.Add(L, S, mask);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DeviceKernelMatchesNaiveAndCpuKernel(int L, int S, string maskKind)
    {
        using var scope = Tensor.Scope();
        const int N = 2, H = 2, D = 8, Dv = 6;
        var gen = new Generator(L * 1000 + S + maskKind.Length);
        var qd = Tensor.Randn(new Shape([N, H, L, D]), gen); var kd = Tensor.Randn(new Shape([N, H, S, D]), gen); var vd = Tensor.Randn(new Shape([N, H, S, Dv]), gen);
        Tensor? mask = null;
        if (maskKind.Contains("padding"))
        {
            var m = new float[N * S];
            for (int j = S / 2 + 1; j < S; j++) m[S + j] = float.NegativeInfinity;   // batch 1 pads its second half; key 0 always stays
            mask = Tensor.FromArray(m, N, 1, 1, S);
        }
        if (maskKind == "full") mask = Tensor.Randn(new Shape([L, S]), gen);
        bool causal = maskKind.Contains("causal");
        var up = Tensor.Randn(new Shape([N, H, L, Dv]), gen);

        var (yc, gc) = Run(qd, kd, vd, mask, causal, up, Device.Cpu, fused: true);
        var (yg, gg) = Run(qd, kd, vd, mask, causal, up, Dev, fused: true);
        // The composed reference runs on the device for the short lengths and on the CPU for the long ones: the device's
        // composed softmax and GEMM take seconds per call on the CPU accelerator (one OS thread per group thread), the
        // fused kernel milliseconds.
        var (yn, gn) = Run(qd, kd, vd, mask, causal, up, Math.Max(L, S) <= 17 ? Dev : Device.Cpu, fused: false);
        Approx.Equal(yn, yg, 1e-4, 1e-5, "device output vs the composed reference");
        Approx.Equal(yc, yg, 1e-4, 1e-5, "device output vs the CPU kernel");
        for (int i = 0; i < 3; i++)
        {
            Approx.Equal(gn[i], gg[i], 1e-4, 1e-4, $"device gradient of {"qkv"[i]} vs the composed reference");
            Approx.Equal(gc[i], gg[i], 1e-4, 1e-4, $"device gradient of {"qkv"[i]} vs the CPU kernel");
        }
    }

    private static (float[] Y, float[][] Grads) Run(Tensor qd, Tensor kd, Tensor vd, Tensor? mask, bool causal, Tensor up, Device dev, bool fused)
    {
        var (q, k, v) = (qd.To(dev).Detach().RequiresGrad_(), kd.To(dev).Detach().RequiresGrad_(), vd.To(dev).Detach().RequiresGrad_());
        var m = mask?.To(dev);
        var y = fused ? F.ScaledDotProductAttention(q, k, v, m, isCausal: causal) : F.ScaledDotProductAttentionNaive(q, k, v, m, isCausal: causal);
        Assert.Equal(dev, y.Device);
        y.Backward(up.To(dev));
        return (y.ToArray(), [q.Grad!.ToArray(), k.Grad!.ToArray(), v.Grad!.ToArray()]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void KernelContractOAndLseMatchTheCpuKernel(bool causal)
    {
        using var scope = Tensor.Scope();
        var gen = new Generator(11);
        var q = Tensor.Randn(new Shape([3, 20, 5]), gen); var k = Tensor.Randn(new Shape([3, 33, 5]), gen); var v = Tensor.Randn(new Shape([3, 33, 7]), gen);
        // A per-batch mask [3, 20, 33] seen through the view the autograd function builds: one offset per batch.
        var mdata = Tensor.Randn(new Shape([3, 20, 33]), gen);
        var bases = new[] { 0, 20 * 33, 2 * 20 * 33 };
        var cpuMask = new AttentionMaskView(mdata, bases, 33, 1);
        var devMask = new AttentionMaskView(mdata.To(Dev), bases, 33, 1);
        var cpu = (IAttentionKernels)q.Backend;
        var gpu = (IlgpuBackend)Dev.Backend;
        var (oc, lc) = cpu.AttentionForward(q, k, v, cpuMask, causal, 0.4f);
        var (og, lg) = gpu.AttentionForward(q.To(Dev), k.To(Dev), v.To(Dev), devMask, causal, 0.4f);
        Approx.Equal(oc.ToArray(), og.ToArray(), 1e-4, 1e-5, "o");
        Approx.Equal(lc.ToArray(), lg.ToArray(), 1e-5, 1e-5, "lse");
        var dO = Tensor.Randn(new Shape([3, 20, 7]), gen);
        var gc = cpu.AttentionBackward(dO, q, k, v, oc, lc, cpuMask, causal, 0.4f);
        var gg = gpu.AttentionBackward(dO.To(Dev), q.To(Dev), k.To(Dev), v.To(Dev), og, lg, devMask, causal, 0.4f);
        Approx.Equal(gc.Dq.ToArray(), gg.Dq.ToArray(), 1e-4, 1e-4, "dq");
        Approx.Equal(gc.Dk.ToArray(), gg.Dk.ToArray(), 1e-4, 1e-4, "dk");
        Approx.Equal(gc.Dv.ToArray(), gg.Dv.ToArray(), 1e-4, 1e-4, "dv");
    }

    [Fact]
    public void ARowWithEveryKeyMaskedIsNaNAsTheComposedSoftmax()
    {
        using var scope = Tensor.Scope();
        var q = Tensor.Randn(1, 2, 4).To(Dev); var k = Tensor.Randn(1, 3, 4).To(Dev); var v = Tensor.Randn(1, 3, 4).To(Dev);
        var mask = Tensor.FromArray([0f, -1f, 0f, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity], [2, 3], Dev);
        var f = F.ScaledDotProductAttention(q, k, v, mask).ToArray();
        var n = F.ScaledDotProductAttentionNaive(q, k, v, mask).ToArray();
        Assert.All(f[..4], x => Assert.False(float.IsNaN(x)));
        Assert.All(f[4..], x => Assert.True(float.IsNaN(x)));
        Approx.Equal(n, f, 1e-5, 1e-6, "output");
    }

    [Fact]
    public void AMaskViewReachingOutsideItsDataIsAnErrorNotARead()
    {
        using var scope = Tensor.Scope();
        var gpu = (IlgpuBackend)Dev.Backend;
        var q = Tensor.Randn(2, 4, 3).To(Dev); var k = Tensor.Randn(2, 5, 3).To(Dev); var v = Tensor.Randn(2, 5, 3).To(Dev);
        var small = new AttentionMaskView(Tensor.Zeros(4, 5).To(Dev), [0, 20], 5, 1);   // batch 1 starts past the end
        var e = Assert.Throws<ShapeException>(() => gpu.AttentionForward(q, k, v, small, false, 1f));
        Assert.Contains("[4,5]", e.Message);
        Assert.Contains("L=4, S=5", e.Message);
    }

    [Fact]
    public void DeviceGradientsPassFiniteDifferences()
    {
        // The leaves live on the CPU and travel to the device and back (Transfer is differentiable): the check sees the
        // device kernel's forward and backward.
        var mask = Tensor.FromArray([0f, -1f, float.NegativeInfinity, 0.5f, 0f, 0f], [2, 3], Dev).Keep();
        GradCheck.Check(t => F.ScaledDotProductAttention(t[0].To(Dev), t[1].To(Dev), t[2].To(Dev), mask, isCausal: true).To(Device.Cpu),
            [([2, 2, 4], GradCheck.Values(16, seed: 1)), ([2, 3, 4], GradCheck.Values(24, seed: 2)), ([2, 3, 3], GradCheck.Values(18, seed: 3))],
            what: "device fused attention");
    }
}
