using Engine.Optim;

namespace Engine.Tests.Kernels;

// The same training steps on 1, 2 and 7 worker threads give the same weights, bit for bit. The convolution's weight
// gradient used to be summed from one partial per core (Environment.ProcessorCount of them), so a seed reproduced its
// run only on a machine with the same core count (issue 14). Sizes are chosen so that every split path runs: the
// conv weight gradient over 8 chunks of images, the GEMM over column tasks, elementwise ops over long runs.
public class ThreadCountTests
{
    private static Module Net() => new Sequential(
        new Conv2d(3, 16, 3, padding: 1), new ReLU(), new MaxPool2d(2),
        new Conv2d(16, 16, 3, padding: 1, groups: 16), new ReLU(),
        new Conv2d(16, 32, 3, padding: 1), new ReLU(), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(32, 5));

    private static float[][] Train(int threads)
    {
        int saved = CpuSettings.Threads;
        CpuSettings.Threads = threads;
        try
        {
            var model = Net();
            // Weights from a local generator (the layers' default init draws from the process-wide one).
            var g = new Generator(7);
            using (Tensor.NoGrad())
                foreach (var p in model.Parameters())
                    p.Copy_(Tensor.FromArray(Enumerable.Range(0, p.Numel).Select(_ => (float)g.NextGaussian() * 0.2f).ToArray(), p.Shape.ToArray()));
            var x = Tensor.FromArray(Enumerable.Range(0, 16 * 3 * 24 * 24).Select(_ => (float)g.NextGaussian()).ToArray(), 16, 3, 24, 24);
            var y = Tensor.FromArray(Enumerable.Range(0, 16).Select(i => i % 5).ToArray(), 16);
            var opt = new Adam(model.Parameters(), lr: 1e-2);
            for (int step = 0; step < 4; step++)
            {
                using var _ = Tensor.Scope();
                var loss = F.CrossEntropy(model.Forward(x), y);
                opt.ZeroGrad(); loss.Backward(); opt.Step();
            }
            return model.Parameters().Select(p => p.ToArray()).ToArray();
        }
        finally { CpuSettings.Threads = saved; }
    }

    [Fact]
    public void OneTwoAndSevenThreadsGiveTheSameWeights()
    {
        var one = Train(1);
        foreach (var threads in new[] { 2, 7 })
        {
            var other = Train(threads);
            for (int i = 0; i < one.Length; i++)
                for (int j = 0; j < one[i].Length; j++)
                    if (BitConverter.SingleToInt32Bits(one[i][j]) != BitConverter.SingleToInt32Bits(other[i][j]))
                        Assert.Fail($"{threads} threads: parameter {i} element {j} is {other[i][j]:G9}, on 1 thread {one[i][j]:G9}");
        }
    }

    [Fact]
    public void AThreadCountBelowOneIsRefused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CpuSettings.Threads = 0);
        Assert.Contains("at least 1", e.Message);
    }
}
