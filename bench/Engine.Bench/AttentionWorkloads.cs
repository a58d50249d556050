using System.Globalization;

namespace Engine.Bench;

// Transformer workloads (issue 16), beside PyTorch's in bench/compare_torch.py.
//   transformer_d512_h8_s128_b8_fwdbwd: nn.TransformerEncoderLayer(512, 8, 2048, dropout 0, relu, batch first,
//     post-norm) on x [8, 128, 512] that takes gradients, loss = sum(y), forward + backward.
//   attention_{fused,naive}_b1_h8_s1024_d64_fwdbwd: softmax(q k^T / 8) v on q, k, v [1, 8, 1024, 64], loss = sum,
//     forward + backward; PyTorch 1.13 runs the composed ops for both (it has no fused CPU attention).
// `attention-memory` prints the bytes the engine holds after the forward pass (what backward keeps) for both paths
// at several lengths: the naive path keeps [B, H, T, T] scores and weights, the fused one O and a logsumexp per row.
internal static class AttentionWorkloads
{
    // 3 x (the six projections' GEMMs + the two attention GEMMs), per token of the batch
    public static double TransformerFlops(int b, int t, int e, int h, int ff) =>
        3 * (2.0 * b * t * (4.0 * e * e + 2.0 * e * ff) + 2 * 2.0 * b * t * t * e);

    public static double AttentionFlops(int b, int h, int t, int d) => 3.5 * 2 * 2.0 * b * h * t * t * d;

    public static IReadOnlyList<Workload> All { get; } =
    [
        new("transformer_d512_h8_s128_b8_fwdbwd", TransformerFlops(8, 128, 512, 8, 2048), Transformer),
        new("attention_fused_b1_h8_s1024_d64_fwdbwd", AttentionFlops(1, 8, 1024, 64), () => Attention(fused: true)),
        new("attention_naive_b1_h8_s1024_d64_fwdbwd", AttentionFlops(1, 8, 1024, 64), () => Attention(fused: false)),
    ];

    private static Action Transformer()
    {
        Seed.Everything(0);
        var layer = new TransformerEncoderLayer(512, 8, 2048, dropout: 0, activation: "relu", batchFirst: true);
        var x = Tensor.Randn(8, 128, 512).RequiresGrad_();
        return () =>
        {
            using var _ = Tensor.Scope();
            x.ZeroGrad(); layer.ZeroGrad();
            layer.Forward(x).Sum().Backward();
        };
    }

    private static Action Attention(bool fused, int t = 1024)
    {
        var q = Tensor.Randn(1, 8, t, 64).RequiresGrad_(); var k = Tensor.Randn(1, 8, t, 64).RequiresGrad_(); var v = Tensor.Randn(1, 8, t, 64).RequiresGrad_();
        return () =>
        {
            using var _ = Tensor.Scope();
            q.ZeroGrad(); k.ZeroGrad(); v.ZeroGrad();
            (fused ? F.ScaledDotProductAttention(q, k, v) : F.ScaledDotProductAttentionNaive(q, k, v)).Sum().Backward();
        };
    }

    /// <summary>Bytes of tensors alive after the forward pass (inputs excluded), fused and naive, at each length.</summary>
    public static int Memory()
    {
        Console.WriteLine($"{"T",6} {"fused MiB",10} {"naive MiB",10} {"[B,H,T,T] MiB",14}");
        foreach (int t in new[] { 256, 512, 1024, 2048 })
        {
            double Held(bool fused)
            {
                var q = Tensor.Randn(1, 8, t, 64).RequiresGrad_(); var k = Tensor.Randn(1, 8, t, 64).RequiresGrad_(); var v = Tensor.Randn(1, 8, t, 64).RequiresGrad_();
                long before = CpuMemoryPool.LiveBytes;
                double mib;
                using (Tensor.Scope())
                {
                    var y = fused ? F.ScaledDotProductAttention(q, k, v) : F.ScaledDotProductAttentionNaive(q, k, v);
                    mib = (CpuMemoryPool.LiveBytes - before) / 1048576.0;
                    y.Sum().Backward();
                }
                q.Dispose(); k.Dispose(); v.Dispose();
                return mib;
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{t,6} {Held(true),10:F2} {Held(false),10:F2} {8.0 * t * t * 4 / 1048576,14:F2}"));
        }
        return 0;
    }
}
