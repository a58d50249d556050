using Xunit.Abstractions;

namespace Engine.Tests.Autograd;

/// <summary>Process-wide counters (live tensors, pool bytes) are measured here, so nothing else may run alongside.</summary>
[CollectionDefinition("Process-wide memory counters", DisableParallelization = true)]
public sealed class MemoryCollection;

/// <summary>
/// A training loop of a small MLP written with raw tensors keeps memory flat: after a warmup, the
/// number of live tensors, the pool's live bytes and the bytes ever allocated from the GC stay constant.
/// </summary>
[Collection("Process-wide memory counters")]
public class MemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void MlpTrainingStepsKeepLiveTensorsAndPooledBytesFlat()
    {
        const int n = 256, inF = 64, hid = 32, classes = 10, batch = 32, steps = 300, warmup = 20;
        const float lr = 0.1f;
        Seed.Everything(17);
        // Data: labels from a random linear teacher, so the task is learnable.
        var x = Tensor.Randn(n, inF);
        var teacher = Tensor.Randn(inF, classes);
        var y = x.Matmul(teacher).Argmax(1);
        var w1 = Tensor.Randn(inF, hid).Mul(MathF.Sqrt(2f / inF)).RequiresGrad_();
        var b1 = Tensor.Zeros(hid).RequiresGrad_();
        var w2 = Tensor.Randn(hid, classes).Mul(MathF.Sqrt(1f / hid)).RequiresGrad_();
        var b2 = Tensor.Zeros(classes).RequiresGrad_();
        Tensor[] ps = [w1, b1, w2, b2];

        GC.Collect(); GC.WaitForPendingFinalizers();   // earlier tests' garbage must not be finalized mid-measurement
        var live = new long[steps]; var liveBytes = new long[steps]; var allocated = new long[steps]; var losses = new float[steps];
        for (int step = 0; step < steps; step++)
        {
            using (Tensor.Scope())
            {
                int at = step * batch % n;
                var xb = x.Narrow(0, at, batch);
                var yb = y.Narrow(0, at, batch);
                var h = xb.Matmul(w1).Add(b1).Relu();
                var logp = h.Matmul(w2).Add(b2).LogSoftmax(-1);
                var loss = logp.Gather(1, yb.Unsqueeze(1)).Mean().Neg();   // cross-entropy
                loss.Backward();
                losses[step] = loss.Item();
                using (Tensor.NoGrad())
                    foreach (var p in ps) { p.Add_(p.Grad!, -lr); p.ZeroGrad(); }
            }
            live[step] = Tensor.LiveCount;
            liveBytes[step] = CpuMemoryPool.LiveBytes;
            allocated[step] = CpuMemoryPool.AllocatedBytes;
        }

        output.WriteLine("step  live tensors  pool live bytes  allocated bytes  loss");
        foreach (var s in new[] { 0, 1, 2, warmup, 100, 200, steps - 1 })
            output.WriteLine($"{s,4}  {live[s],12}  {liveBytes[s],15}  {allocated[s],15}  {losses[s]:F4}");

        // No growth after the warmup: every later step ends exactly where the warmup ended.
        for (int s = warmup; s < steps; s++)
        {
            Assert.True(live[s] <= live[warmup], $"live tensors grew from {live[warmup]} at step {warmup} to {live[s]} at step {s}");
            Assert.True(liveBytes[s] <= liveBytes[warmup], $"pool live bytes grew from {liveBytes[warmup]} at step {warmup} to {liveBytes[s]} at step {s}");
            Assert.True(allocated[s] == allocated[warmup], $"fresh allocations continued: {allocated[warmup]} bytes at step {warmup}, {allocated[s]} at step {s} (the pool should serve every temporary)");
        }
        // and the loop really trains (memory flat because nothing happens would prove nothing)
        Assert.True(losses[^10..].Average() < 0.7 * losses[..10].Average(), $"loss went from {losses[..10].Average():F3} to {losses[^10..].Average():F3}");
    }
}
