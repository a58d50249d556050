using Engine.Data;
using Engine.Tests.Autograd;
using Engine.Training;
using Xunit.Abstractions;

namespace Engine.Tests.Tricks;

/// <summary>
/// A long CNN run through the <see cref="Trainer"/> and a <see cref="DataLoader"/> (shuffled, prefetching, with a
/// validation pass each epoch) keeps the engine's own counters flat after its first epoch: live tensors, pooled bytes
/// in use, bytes ever allocated by the pool (a miss per step would show here) and scratch. Before the trainer owned the
/// loader's batches, each step left its batch to the finalizer: the pool allocated afresh every step and the process
/// grew by a batch per step until a full collection.
/// </summary>
[Collection("Process-wide memory counters")]
public class TrainerMemoryTests(ITestOutputHelper output)
{
    private const int Prefetch = 2;

    [Fact]
    public void TwoThousandCnnStepsKeepTheEngineCountersFlat()
    {
        const int n = 320, valN = 80, side = 12, classes = 4, batch = 8, epochs = 50;   // 40 steps an epoch, 2,000 steps
        const long batchBytes = batch * side * side * sizeof(float) + batch * sizeof(int);   // x [8,1,12,12] and y [8]
        Seed.Everything(23);
        var (train, valid) = (Images(n, side, classes, new Generator(1)), Images(valN, side, classes, new Generator(2)));
        var model = new Sequential(
            new Conv2d(1, 4, kernelSize: 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Conv2d(4, 8, kernelSize: 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(8 * 3 * 3, 16), new ReLU(), new Dropout(0.2), new Linear(16, classes));
        var monitor = new MemoryMonitor(every: 40);
        var dir = Path.Combine(Path.GetTempPath(), "engine-memory-" + Guid.NewGuid().ToString("N"));
        GC.Collect(); GC.WaitForPendingFinalizers();   // earlier tests' garbage must not be finalized mid-measurement
        History history;
        try
        {
            // The per-epoch tricks too: a checkpoint every epoch, early stopping's best weights, an EMA.
            history = new Trainer(model, new Adam(model.Parameters(), lr: 3e-3), F.CrossEntropy)
                .With(new ModelEma(0.99f), new EarlyStopping(patience: 1000), new Checkpoints(dir, keepLast: 2), monitor)
                .Fit(new DataLoader(train, batch, shuffle: true, prefetch: Prefetch), new DataLoader(valid, 20, prefetch: 0), epochs);
        }
        finally { Directory.Delete(dir, recursive: true); }

        var s = monitor.Samples;
        output.WriteLine(MemorySample.CsvHeader);
        foreach (var m in s.Where((_, i) => i % 10 == 0 || i == s.Count - 1)) output.WriteLine(m.ToCsv());
        Assert.Equal(epochs * n / batch, s[^1].Step);
        // The first epoch and its validation are the warm-up: every size the run needs is in the pool from then on.
        var warm = s.First(m => m.Step >= 2 * n / batch);
        foreach (var m in s.Where(m => m.Step > warm.Step))
        {
            Assert.True(m.LiveTensors <= warm.LiveTensors, $"live tensors grew from {warm.LiveTensors} at step {warm.Step} to {m.LiveTensors} at step {m.Step}");
            Assert.True(m.PoolLiveBytes <= warm.PoolLiveBytes, $"pool bytes in use grew from {warm.PoolLiveBytes} at step {warm.Step} to {m.PoolLiveBytes} at step {m.Step}");
            // The prefetching worker may run ahead of the trainer by more batches than it did during the warm-up (a
            // matter of thread scheduling): at most its queue, the batch it is making and the trainer's are alive at
            // once, so the pool may add up to prefetch + 1 batches of arrays once. A leak adds one per step, without end.
            Assert.True(m.PoolAllocatedBytes - warm.PoolAllocatedBytes <= (Prefetch + 1) * batchBytes,
                $"the pool kept allocating: {warm.PoolAllocatedBytes} bytes at step {warm.Step}, {m.PoolAllocatedBytes} at step {m.Step}, more than the {Prefetch + 1} batches of {batchBytes} bytes that prefetching can add (a tensor of every step went to the GC instead of back to the pool)");
            // Scratch is per thread and grows to the biggest request a thread has served: a pool thread that later
            // serves a bigger layer grows to a size the warm-up already needed, so no thread can hold more than the
            // whole warm-up total, and the total stays within threads x that (the trainer's and the prefetch thread too).
            long bound = (m.PoolThreads + 2L) * warm.ScratchBytes;
            Assert.True(m.ScratchBytes <= bound, $"scratch grew past what the warm-up's sizes allow: {m.ScratchBytes} bytes at step {m.Step} on {m.PoolThreads} pool threads, {warm.ScratchBytes} at step {warm.Step}");
        }
        // and it really trained: flat because nothing happened would prove nothing
        Assert.True(history.Epochs["train_loss"][^1] < 0.5 * history.Epochs["train_loss"][0],
            $"train loss went from {history.Epochs["train_loss"][0]:F3} to {history.Epochs["train_loss"][^1]:F3}");
    }

    [Fact]
    public void TheTrainerDisposesFreshBatchesButNotACallersList()
    {
        var ds = Images(16, 8, 2, new Generator(3));
        var model = new Sequential(new Flatten(), new Linear(64, 2));
        var seen = new List<Tensor>();
        var fresh = Batches.Fresh(Recorded(new DataLoader(ds, 4, prefetch: 0), seen));
        new Trainer(model, new SGD(model.Parameters(), lr: 0.1), F.CrossEntropy).Fit(fresh, null, epochs: 1);
        Assert.Equal(8, seen.Count);
        Assert.All(seen, t => Assert.True(t.IsDisposed, "a fresh batch outlived its step"));

        var kept = new DataLoader(ds, 4, prefetch: 0).Select(b => (b.x.Keep(), b.y.Keep())).ToList();
        new Trainer(model, new SGD(model.Parameters(), lr: 0.1), F.CrossEntropy).Fit(kept, kept, epochs: 2);
        Assert.All(kept, b => Assert.False(b.Item1.IsDisposed || b.Item2.IsDisposed, "the trainer disposed a batch of the caller's list"));
        foreach (var (x, y) in kept) { x.Dispose(); y.Dispose(); }
    }

    private static IEnumerable<(Tensor x, Tensor y)> Recorded(IEnumerable<(Tensor x, Tensor y)> source, List<Tensor> seen)
    {
        foreach (var (x, y) in source) { seen.Add(x); seen.Add(y); yield return (x, y); }
    }

    // Images [1, side, side] whose class is the quadrant holding a bright square, on noise.
    private static TensorDataset Images(int count, int side, int classes, Generator g)
    {
        var data = new float[count * side * side];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int c = labels[i] = g.NextInt(classes);
            int top = c / 2 * (side / 2), left = c % 2 * (side / 2);
            for (int p = 0; p < side * side; p++) data[i * side * side + p] = 0.3f * (float)g.NextGaussian();
            for (int r = 1; r < side / 2 - 1; r++)
                for (int q = 1; q < side / 2 - 1; q++) data[i * side * side + (top + r) * side + left + q] += 1f;
        }
        return new TensorDataset(data, labels, 1, side, side);
    }
}
