namespace Engine.Bench;

/// <summary>One timed workload: a name shared with bench/compare_torch.py, its float operations per call, and a factory
/// that builds the inputs once and returns the step to time.</summary>
internal sealed record Workload(string Name, double Flops, Func<Action> Make, bool Long = false);

// The workloads of DESIGN.md section 5, built from the autograd API (no layers or optimizers needed).
// Every input that PyTorch's side marks requires_grad is marked here too, so both sides do the same backward.
internal static class Workloads
{
    public static IReadOnlyList<Workload> All { get; } =
    [
        Matmul(256), Matmul(512), Matmul(1024),
        new("linear_784x512_b128_fwdbwd", 3 * 2.0 * 128 * 784 * 512, Linear),
        Conv("conv3x3_n32_c3_k32_32x32_fwdbwd", 32, 3, 32, 32, 1),
        Conv("conv3x3_n32_c64_k64_16x16_fwdbwd", 32, 64, 64, 16, 1),
        Conv("depthwise3x3_n32_c64_32x32_fwdbwd", 32, 64, 64, 32, 64),
        new("lstm_s32_b32_i128_h256_fwdbwd", 3 * 2.0 * 32 * 32 * 4 * 256 * (128 + 256), Lstm),
        new("smallcnn_b64_adam_step", SmallCnn.Flops(64), () => new SmallCnn(64).Step),
        .. VisionNets.Workloads.Select(v => Vision(v.Name, v.Flops, () => Engine.Vision.VisionModels.Create(v.Arch))),
        new("smallcnn_fmnist_epoch", SmallCnn.Flops(64) * 60000 / 64, FashionMnistEpoch, Long: true),
        .. AttentionWorkloads.All,
    ];

    /// <summary>A torchvision model's forward pass at batch 8, 224 x 224, eval mode, no gradients.</summary>
    private static Workload Vision(string name, double flops, Func<Module> make) => new(name, flops, () =>
    {
        var net = make(); net.Eval();
        var x = Tensor.Randn(8, 3, 224, 224);
        return () => { using var _ = Tensor.Scope(); using var __ = Tensor.NoGrad(); net.Forward(x); };
    });

    /// <summary>
    /// One epoch of the small CNN on the full Fashion-MNIST (Debian's dataset-fashion-mnist): 60,000 images in batches
    /// of 64 (the last 32) in one fixed permutation, an Adam step per batch; the data are loaded and normalized to
    /// [0, 1] before the clock starts.
    /// </summary>
    private static Action FashionMnistEpoch()
    {
        var train = Engine.Data.FashionMnist.Load(Engine.Data.FashionMnist.DebianDir, "train");
        var (x, y) = train.ToTensors();
        var perm = new int[train.Count];
        for (int i = 0; i < perm.Length; i++) perm[i] = i;
        new Random(0).Shuffle(perm);
        var order = Tensor.FromArray(perm, perm.Length);
        var cnn = new SmallCnn(64);
        var y2 = y.Reshape(train.Count, 1);
        return () =>
        {
            for (int b = 0; b < train.Count; b += 64)
            {
                using var _ = Tensor.Scope();
                var idx = order.Narrow(0, b, Math.Min(64, train.Count - b));
                cnn.StepOn(x.IndexSelect(0, idx), y2.IndexSelect(0, idx));
            }
        };
    }

    private static Tensor Param(params int[] shape) => (Tensor.Randn(shape) * 0.05f).RequiresGrad_();

    private static Workload Matmul(int n) => new($"matmul_{n}", 2.0 * n * n * n, () =>
    {
        var a = Tensor.Randn(n, n); var b = Tensor.Randn(n, n);
        return () => { using var _ = Tensor.Scope(); a.Matmul(b); };
    });

    // y = x W^T + b, loss = sum(y); x, W and b all take gradients.
    private static Action Linear()
    {
        var x = Param(128, 784); var w = Param(512, 784); var b = Param(512);
        return () =>
        {
            using var _ = Tensor.Scope();
            x.ZeroGrad(); w.ZeroGrad(); b.ZeroGrad();
            (x.Matmul(w.T) + b).Sum().Backward();
        };
    }

    // 3x3 convolution, padding 1, stride 1; groups = c for depthwise. loss = sum(y).
    private static Workload Conv(string name, int n, int c, int k, int hw, int groups) =>
        new(name, 3 * 2.0 * n * k * hw * hw * (c / groups) * 9, () =>
        {
            var x = Param(n, c, hw, hw); var w = Param(k, c / groups, 3, 3); var b = Param(k);
            var args = new Conv2dArgs(PadH: 1, PadW: 1, Groups: groups);
            return () =>
            {
                using var _ = Tensor.Scope();
                x.ZeroGrad(); w.ZeroGrad(); b.ZeroGrad();
                x.Conv2d(w, b, args).Sum().Backward();
            };
        });

    // One LSTM layer over seq 32, batch 32, input 128, hidden 256: the input projection of all steps in one GEMM,
    // then the recurrence as one node (Tensor.LstmSequence, what the LSTM layer runs; PyTorch's side is nn.LSTM): one
    // GEMM per step for the recurrent projection (4 gates concatenated), the fused cell, and in backward W_hh's
    // gradient as one GEMM over all steps. loss = sum of all h.
    private static Action Lstm()
    {
        const int S = 32, B = 32, I = 128, H = 256;
        var x = Param(S, B, I); var wih = Param(4 * H, I); var whh = Param(4 * H, H); var bias = Param(4 * H);
        return () =>
        {
            using var _ = Tensor.Scope();
            x.ZeroGrad(); wih.ZeroGrad(); whh.ZeroGrad(); bias.ZeroGrad();
            var xp = (x.Reshape(S * B, I).Matmul(wih.T) + bias).Reshape(S, B, 4 * H);
            var (hs, _) = Tensor.LstmSequence(xp, whh, Tensor.Zeros(B, H), Tensor.Zeros(B, H));
            hs.Sum().Backward();
        };
    }
}
