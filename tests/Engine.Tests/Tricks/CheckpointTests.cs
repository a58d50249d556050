using Engine.Training;

namespace Engine.Tests.Tricks;

// Seed.Everything reseeds the process-wide generator: run apart from tests that draw from it.
[Collection("Data.GlobalGenerator")]
public class CheckpointTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "engine-ckpt-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Batches in an order drawn from the engine's generator at every epoch (as a shuffling loader does).</summary>
    private sealed class Shuffled(List<(Tensor x, Tensor y)> batches) : IEnumerable<(Tensor x, Tensor y)>
    {
        public IEnumerator<(Tensor x, Tensor y)> GetEnumerator()
        {
            foreach (var i in Generator.Default.Permutation(batches.Count)) yield return batches[i];
        }
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private static (TinyNet net, Trainer trainer, LrSchedule sched, ModelEma ema) Setup(string dir, bool resume)
    {
        var net = new TinyNet(8, 16, 4, new Generator(30));
        var opt = new Adam(net.Parameters(), lr: 1e-2);
        var sched = new LrSchedule(new StepLR(opt, stepSize: 5, gamma: 0.5));
        var ema = new ModelEma(decay: 0.9f);
        var t = new Trainer(net, opt, TinyNet.CrossEntropy).With(sched, ema, new Checkpoints(dir, every: 1, keepLast: 2, resume: resume));
        return (net, t, sched, ema);
    }

    [Fact]
    public void ResumeContinuesExactlyAsAnUninterruptedRun()
    {
        var data = Blobs.Make(96, 8, 4, 16, seed: 31);
        var valid = Blobs.Make(32, 8, 4, 32, seed: 32);

        Seed.Everything(5);
        var (straight, t1, _, ema1) = Setup(Path.Combine(_dir, "a"), resume: false);
        t1.Fit(new Shuffled(data), valid, epochs: 4);

        Seed.Everything(5);
        var (first, t2, _, _) = Setup(Path.Combine(_dir, "b"), resume: false);
        t2.Fit(new Shuffled(data), valid, epochs: 2);
        Seed.Everything(999);                                   // a new process: different RNG state, fresh objects
        var (resumed, t3, sched3, ema3) = Setup(Path.Combine(_dir, "b"), resume: true);
        long stepsRun = 0;
        t3.With(new StepCounter(() => stepsRun++));
        var h = t3.Fit(new Shuffled(data), valid, epochs: 4);
        Assert.Equal(2 * 6, stepsRun);                           // only epochs 3 and 4 ran

        Assert.Equal(straight.Parameters().SelectMany(p => p.ToArray()), resumed.Parameters().SelectMany(p => p.ToArray()));
        Assert.Equal(ema1.StateDict()["w1"].ToArray(), ema3.StateDict()["w1"].ToArray());
        Assert.Equal(4, h.Epochs["val_loss"].Count);                   // the history continues, not restarts
        Assert.Equal(t1.History.Epochs["val_loss"], h.Epochs["val_loss"]);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(_dir, "b"), "epoch-*.safetensors").Length);   // keepLast
        Assert.True(File.Exists(Checkpoints.BestFile(Path.Combine(_dir, "b"))));
    }

    [Fact]
    public void AModelFileIsNotACheckpoint()
    {
        var net = new TinyNet(8, 16, 4, new Generator(33));
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "model.safetensors");
        Safetensors.Save(path, net.StateDict());
        File.Copy(path, Checkpoints.LastFile(_dir));
        var (_, t, _, _) = Setup(_dir, resume: true);
        var e = Assert.Throws<InvalidDataException>(() => t.Fit(Blobs.Make(16, 8, 4, 16, seed: 34), null, epochs: 1));
        Assert.Contains("not an engine checkpoint", e.Message);
        Assert.Contains("last.safetensors", e.Message);
    }

    [Fact]
    public void ACrashDuringSaveLeavesTheLastCheckpointIntact()
    {
        var data = Blobs.Make(32, 8, 4, 16, seed: 35);
        var (net, t, _, _) = Setup(_dir, resume: false);
        t.Fit(data, null, epochs: 1);
        var last = Checkpoints.LastFile(_dir);
        var good = File.ReadAllBytes(last);
        // A save that dies half-way (a tensor disposed under it) must not touch last.safetensors.
        var broken = new Dictionary<string, Tensor> { ["a"] = Tensor.Ones(3), ["b"] = Tensor.Ones(2) };
        broken["b"].Dispose();
        Assert.ThrowsAny<Exception>(() => Safetensors.Save(last, broken));
        Assert.Equal(good, File.ReadAllBytes(last));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }
}

[Collection("Data.GlobalGenerator")]
public class MidEpochCheckpointTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "engine-ckpt-step-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static (TinyNet net, Trainer trainer, Engine.Data.DataLoader loader) Setup(string dir, bool resume, int everySteps)
    {
        var g = new Generator(50);
        var x = Tensor.Randn(new Shape(80, 8), g); var y = Tensor.Randint(0, 4, new Shape(80), g);
        var loader = new Engine.Data.DataLoader(Engine.Data.TensorDataset.FromTensors(x, y), batchSize: 16, shuffle: true, generator: new Generator(51));
        var net = new TinyNet(8, 16, 4, new Generator(52));
        var opt = new SGD(net.Parameters(), lr: 0.1, momentum: 0.9);
        var t = new Trainer(net, opt, TinyNet.CrossEntropy).With(new Checkpoints(dir, resume: resume, everySteps: everySteps) { Loader = loader });
        return (net, t, loader);
    }

    [Fact]
    public void ResumingFromAStepCheckpointContinuesWithTheNextBatch()
    {
        var (straight, t1, l1) = Setup(Path.Combine(_dir, "a"), resume: false, everySteps: 0);
        t1.Fit(l1, null, epochs: 3);

        var (_, t2, l2) = Setup(Path.Combine(_dir, "b"), resume: false, everySteps: 7);
        t2.Fit(l2, null, epochs: 2);                           // 10 steps; the last step checkpoint is step 7, mid epoch 2
        // Keep only the step-7 checkpoint as "last": the run died right after it.
        var step7 = Checkpoints.StepPathFor(Path.Combine(_dir, "b"), 7);
        File.Copy(step7, Checkpoints.LastFile(Path.Combine(_dir, "b")), overwrite: true);

        var (resumed, t3, l3) = Setup(Path.Combine(_dir, "b"), resume: true, everySteps: 7);
        long stepsRun = 0;
        t3.With(new StepCounter(() => stepsRun++));
        t3.Fit(l3, null, epochs: 3);
        Assert.Equal(15 - 7, stepsRun);                          // it resumed: only the missing 8 steps ran
        Assert.Equal(straight.Parameters().SelectMany(p => p.ToArray()), resumed.Parameters().SelectMany(p => p.ToArray()));
    }
}

internal sealed class StepCounter(Action onStep) : Callback
{
    public override void AfterStep(TrainContext ctx) => onStep();
}
