using Engine.Kernels.Cpu;
using Engine.Tests.Tricks;
using Engine.Training;

namespace Engine.Tests.Kernels;

// The kernels that were running when the test host crashed (issue 14), side by side on their own threads with a thread
// that forces compacting collections: depthwise backward (fused, scratch planes), GEMMs of sizes that walk through
// the packing buffers' reuse windows, convolutions (explicit im2col, chunked weight gradient), and the EMA swap. Every
// result must equal, bit for bit, the one computed alone before the threads start. A bounded number of rounds, no
// timing. In the checked build (-c Checked) every pointer access of these rounds is bounds-checked as well.
public class ConcurrencyStressTests
{
    private const int Rounds = 16;

    private static float[] Random(int n, int seed)
    {
        var g = new Generator(seed);
        return Enumerable.Range(0, n).Select(_ => (float)g.NextGaussian()).ToArray();
    }

    private static bool SameBits(float[] a, float[] b) =>
        a.Length == b.Length && a.Zip(b).All(p => BitConverter.SingleToInt32Bits(p.First) == BitConverter.SingleToInt32Bits(p.Second));

    /// <summary>One workload: a function from a variant (0 .. Variants-1) to its result, which must not change across rounds.</summary>
    private sealed record Work(string Name, Func<int, float[]> Run, int Variants = 1);

    private static IEnumerable<Work> Workloads()
    {
        var be = CpuBackend.Instance;
        // Depthwise 3x3 (fused backward, dy the expanded gradient of a sum) and 5x5 dilated.
        var dx = Tensor.FromArray(Random(4 * 8 * 15 * 21, 1), 4, 8, 15, 21);
        var dw = Tensor.FromArray(Random(8 * 9, 2), 8, 1, 3, 3);
        var dw5 = Tensor.FromArray(Random(8 * 25, 3), 8, 1, 5, 5);
        yield return new Work("depthwise backward", _ =>
        {
            var a = new Conv2dArgs(PadH: 1, PadW: 1, Groups: 8);
            var dy = Tensor.Ones(1, 1, 1, 1).Expand(4, 8, 15, 21);
            var (gx, gw, gb) = be.Conv2dBackward(dy, dx, dw, a, true, true, true);
            var a5 = new Conv2dArgs(PadH: 3, PadW: 3, DilationH: 2, DilationW: 2, Groups: 8);
            var y5 = be.Conv2d(dx, dw5, null, a5);
            var (gx5, gw5, _) = be.Conv2dBackward(y5, dx, dw5, a5, true, true, false);
            return [.. gx!.ToArray(), .. gw!.ToArray(), .. gb!.ToArray(), .. gx5!.ToArray(), .. gw5!.ToArray()];
        });
        // GEMMs whose B packs (K x 16) grow by 16 floats a step: every other one reuses a buffer of exactly its size.
        var ga = Tensor.FromArray(Random(3 * 140, 4), 3, 140);
        var gbm = Tensor.FromArray(Random(140 * 16, 5), 140, 16);
        var big = Tensor.FromArray(Random(37 * 129, 6), 37, 129); var bigB = Tensor.FromArray(Random(129 * 65, 7), 129, 65);
        yield return new Work("gemm", r =>
        {
            var outs = new List<float>();
            for (int k = 64; k <= 140; k += 3 + r)
                outs.AddRange(ga.Narrow(1, 0, k).Matmul(gbm.Narrow(0, 0, k)).ToArray());
            outs.AddRange(big.Matmul(bigB).ToArray());
            outs.AddRange(big.T.Contiguous().T.Matmul(bigB).ToArray());
            return [.. outs];
        }, Variants: 3);
        // Dense convolution: explicit im2col, the flipped-kernel input gradient, the chunked weight gradient.
        var cx = Tensor.FromArray(Random(8 * 16 * 12 * 12, 8), 8, 16, 12, 12);
        var cw = Tensor.FromArray(Random(16 * 16 * 9, 9), 16, 16, 3, 3);
        yield return new Work("conv", _ =>
        {
            var a = new Conv2dArgs(PadH: 1, PadW: 1);
            var y = be.Conv2d(cx, cw, null, a);
            var (gx, gw, _) = be.Conv2dBackward(y, cx, cw, a, true, true, false);
            return [.. y.ToArray(), .. gx!.ToArray(), .. gw!.ToArray()];
        });
        // The EMA swap: averaged weights in, a forward pass, training weights back.
        yield return new Work("ema swap", r =>
        {
            var net = new TinyNet(6, 32, 3, new Generator(10));
            var ema = new ModelEma(net, decay: 0.5f, warmup: false);
            using (Tensor.NoGrad()) net.W1.Add_(Tensor.OnesLike(net.W1));
            ema.Update();
            var x = Tensor.FromArray(Random(16 * 6, 11), 16, 6);
            float[] inside;
            using (ema.Apply()) inside = net.Forward(x).ToArray();
            return [.. inside, .. net.Forward(x).ToArray()];
        });
    }

    [Fact]
    public void KernelsStayCorrectSideBySideUnderCompactingCollections()
    {
        var work = Workloads().ToList();
        var expected = work.Select(w => Enumerable.Range(0, w.Variants).Select(w.Run).ToArray()).ToList();
        bool stop = false;
        var compactor = new Thread(() =>
        {
            var keep = new List<float[]>();
            var g = new System.Random(3);
            while (!Volatile.Read(ref stop))
            {
                for (int i = 0; i < 16; i++) keep.Add(new float[g.Next(1, 40_000)]);
                keep.RemoveRange(0, keep.Count / 2);
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                Thread.Sleep(2);
            }
        });
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var threads = work.Select((w, i) => new Thread(() =>
        {
            try
            {
                for (int r = 0; r < Rounds; r++)
                {
                    int v = r % w.Variants;
                    float[] got;
                    using (Tensor.Scope()) got = w.Run(v);
                    if (!SameBits(expected[i][v], got)) { errors.Enqueue($"{w.Name}: round {r} differs from the result computed alone"); return; }
                }
            }
            catch (Exception e) { errors.Enqueue($"{w.Name}: {e}"); }
        })).ToList();
        compactor.Start();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Volatile.Write(ref stop, true);
        compactor.Join();
        Assert.True(errors.IsEmpty, string.Join("\n", errors));
    }
}
