using Engine.Training;

namespace Engine.Tests.Tricks;

// Seed.Everything reseeds the process-wide generator: run apart from tests that draw from it.
[Collection("Data.GlobalGenerator")]
public class TrainerTests
{
    private static Tensor Ce(Tensor logits, Tensor y) => TinyNet.CrossEntropy(logits, y);

    [Fact]
    public void FitsBlobsAndLogsHistory()
    {
        var train = Blobs.Make(256, 8, 4, 32, seed: 1);
        var valid = Blobs.Make(128, 8, 4, 64, seed: 2);
        var net = new TinyNet(8, 32, 4, new Generator(3));
        var h = new Trainer(net, new SGD(net.Parameters(), lr: 0.1), Ce).Fit(train, valid, epochs: 5);
        Assert.Equal(5, h.Epochs["train_loss"].Count);
        Assert.True(h.Epochs["train_loss"][^1] < h.Epochs["train_loss"][0]);
        Assert.True(h.Last("val_accuracy") > 0.9, $"val accuracy {h.Last("val_accuracy")}");
        Assert.Equal(5 * 8, h.Steps["loss"].Count);
        Assert.NotNull(h.Run);
        Assert.Contains("val_top5_accuracy", h.Epochs.Keys);
        Assert.Contains("epoch,lr,train_accuracy", h.ToCsv());
    }

    [Fact]
    public void SeededRunsAreBitIdentical()
    {
        float[] Run()
        {
            Seed.Everything(11);
            var train = Blobs.Make(128, 8, 4, 16, seed: 5);
            var net = new TinyNet(8, 16, 4, Generator.Default);
            new Trainer(net, new Adam(net.Parameters(), lr: 1e-2), Ce).Fit(train, null, epochs: 2);
            return net.Parameters().SelectMany(p => p.ToArray()).ToArray();
        }
        var first = Run();
        var second = Run();                 // a second, independent run from the same seed
        Assert.Equal(first, second);
    }

    [Fact]
    public void AccumulatingFourMicroBatchesEqualsOneLargeBatch()
    {
        var big = Blobs.Make(32, 8, 4, 32, seed: 6);
        var micro = new List<(Tensor, Tensor)>();
        for (int i = 0; i < 4; i++) micro.Add((big[0].x.Narrow(0, i * 8, 8), big[0].y.Narrow(0, i * 8, 8)));
        var a = new TinyNet(8, 16, 4, new Generator(7));
        var b = new TinyNet(8, 16, 4, new Generator(7));
        new Trainer(a, new SGD(a.Parameters(), lr: 0.5), Ce).Fit(big, null, epochs: 1);
        var tb = new Trainer(b, new SGD(b.Parameters(), lr: 0.5), Ce).With(new GradAccumulation(4));
        tb.Fit(micro, null, epochs: 1);
        var pa = a.Parameters().SelectMany(p => p.ToArray()).ToArray();
        var pb = b.Parameters().SelectMany(p => p.ToArray()).ToArray();
        for (int i = 0; i < pa.Length; i++) Assert.Equal(pa[i], pb[i], 5);
        var untouched = new TinyNet(8, 16, 4, new Generator(7)).W1.ToArray();
        Assert.NotEqual(untouched, a.W1.ToArray());
    }

    [Fact]
    public void PartialAccumulationGroupIsStepped()
    {
        var data = Blobs.Make(24, 8, 4, 8, seed: 8);          // 3 batches, K = 2: one full group and one partial
        var net = new TinyNet(8, 16, 4, new Generator(9));
        var steps = 0L;
        var t = new Trainer(net, new SGD(net.Parameters(), lr: 0.1), Ce).With(new GradAccumulation(2), new CountSteps(n => steps = n));
        t.Fit(data, null, epochs: 1);
        Assert.Equal(2, steps);
        Assert.All(net.Parameters(), p => Assert.Null(p.Grad));
    }

    private sealed class CountSteps(Action<long> report) : Callback
    {
        public override void OnTrainEnd(TrainContext ctx) => report(ctx.OptimizerSteps);
    }

    [Fact]
    public void MixedPrecisionTrainsCloseToFloat32()
    {
        var train = Blobs.Make(256, 8, 4, 32, seed: 10);
        var valid = Blobs.Make(128, 8, 4, 64, seed: 11);
        var f32 = new TinyNet(8, 32, 4, new Generator(12));
        var amp = new TinyNet(8, 32, 4, new Generator(12));
        var h32 = new Trainer(f32, new SGD(f32.Parameters(), lr: 0.1), Ce).Fit(train, valid, epochs: 4);
        var mp = new MixedPrecision(new LossScaler(initScale: 1024f));
        var h16 = new Trainer(amp, new SGD(amp.Parameters(), lr: 0.1), Ce).With(mp).Fit(train, valid, epochs: 4);
        Assert.InRange(h16.Last("val_loss")!.Value, h32.Last("val_loss")!.Value - 0.05, h32.Last("val_loss")!.Value + 0.05);
        Assert.Equal(mp.Float32WeightBytes / 2, mp.Float16WeightBytes);
        Assert.True(mp.BytesSaved > 0);
        Assert.Equal(0, mp.Scaler.SkippedSteps);
        // The weights differ from the float32 run (they were rounded to half each step) but only slightly.
        Assert.NotEqual(f32.W1.ToArray(), amp.W1.ToArray());
    }

    [Fact]
    public void MixedPrecisionSkipsAnOverflowingStep()
    {
        var data = Blobs.Make(32, 8, 4, 32, seed: 13);
        var net = new TinyNet(8, 16, 4, new Generator(14));
        var before = net.W1.ToArray();
        var mp = new MixedPrecision(new LossScaler(initScale: 1024f));
        // A loss whose scaled gradient (1e36 * 1024) is beyond float range: the step must be skipped.
        Tensor Huge(Tensor o, Tensor y) => o.Sum().Mul(1e36f);
        new Trainer(net, new SGD(net.Parameters(), lr: 0.1), Huge).With(mp).Fit(data, null, epochs: 1);
        Assert.Equal(1, mp.Scaler.SkippedSteps);
        Assert.Equal(before, net.W1.ToArray());
        Assert.Equal(512f, mp.Scaler.Scale);
        Assert.All(net.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void EarlyStoppingStopsTheTrainer()
    {
        var train = Blobs.Make(64, 8, 4, 32, seed: 15);
        var valid = Blobs.Make(64, 8, 4, 64, seed: 16);
        var net = new TinyNet(8, 16, 4, new Generator(17));
        // lr 0 never improves: the first epoch is the best, patience 1 stops after epoch 3.
        var h = new Trainer(net, new SGD(net.Parameters(), lr: 0.0), Ce).With(new EarlyStopping(patience: 1)).Fit(train, valid, epochs: 10);
        Assert.Equal(3, h.Epochs["val_loss"].Count);
    }

    [Fact]
    public void DistillationMovesTheStudentTowardTheTeacher()
    {
        var train = Blobs.Make(256, 8, 4, 32, seed: 18);
        var teacher = new TinyNet(8, 32, 4, new Generator(19));
        new Trainer(teacher, new SGD(teacher.Parameters(), lr: 0.1), Ce).Fit(train, null, epochs: 3);
        float Kl(Module s)
        {
            using var _ = Tensor.NoGrad();
            return train.Average(b => Distillation.SoftLoss(s.Forward(b.x), teacher.Forward(b.x), 4f).Item());
        }
        var student = new TinyNet(8, 8, 4, new Generator(20));
        float before = Kl(student);
        new Trainer(student, new SGD(student.Parameters(), lr: 0.1), Ce).With(new Distillation(teacher, temperature: 4f, alpha: 0f)).Fit(train, null, epochs: 3);
        Assert.True(Kl(student) < 0.5f * before, $"KL {before} -> {Kl(student)}");
    }

    [Fact]
    public void EmaWeightsAreUsedForValidation()
    {
        var train = Blobs.Make(64, 8, 4, 32, seed: 21);
        var valid = Blobs.Make(64, 8, 4, 64, seed: 22);
        var net = new TinyNet(8, 16, 4, new Generator(23));
        var ema = new ModelEma(decay: 0.5f, warmup: false);
        var h = new Trainer(net, new SGD(net.Parameters(), lr: 0.1), Ce).With(ema).Fit(train, valid, epochs: 1);
        // The validation loss is that of the EMA weights, not of the trained ones.
        var trained = new Trainer(net, new SGD(net.Parameters(), lr: 0.1), Ce).Evaluate(valid).Loss;
        double emaLoss;
        using (ema.Apply()) emaLoss = new Trainer(net, new SGD(net.Parameters(), lr: 0.1), Ce).Evaluate(valid).Loss;
        Assert.Equal(emaLoss, h.Last("val_loss")!.Value, 5);
        Assert.NotEqual(trained, emaLoss, 5);
    }
}

public class AnomalyGuardTests
{
    [Fact]
    public void NamesTheFirstOpThatMadeANaN()
    {
        var data = Blobs.Make(16, 8, 4, 16, seed: 40);
        var net = new TinyNet(8, 16, 4, new Generator(41));
        // The bug: log of a value that can be negative.
        Tensor BadLoss(Tensor o, Tensor y) => o.Log().Mean();
        var t = new Trainer(net, new SGD(net.Parameters(), lr: 0.1), BadLoss).With(new AnomalyGuard());
        var e = Assert.Throws<AnomalyException>(() => t.Fit(data, null, epochs: 1));
        Assert.Equal("Log", e.Op);
        Assert.Contains("NaN", e.Message);
    }
}
