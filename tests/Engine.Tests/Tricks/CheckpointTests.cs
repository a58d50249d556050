using Engine.Training;

namespace Engine.Tests.Tricks;

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
        var h = t3.Fit(new Shuffled(data), valid, epochs: 4);

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
