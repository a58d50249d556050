using Engine.Training;

namespace Engine.Tests.Tricks;

/// <summary>
/// The Trainer's closure hook and weight swap: every zoo optimizer trains through it, and for the closure optimizers
/// (SAM, L-BFGS, Sophia) the Trainer gives the bits of a hand-written loop that calls Step(closure) itself.
/// </summary>
// Seed.Everything reseeds the process-wide generator (Sophia samples labels from it): run apart from tests that draw from it.
[Collection("Data.GlobalGenerator")]
public class TrainerClosureTests
{
    private static Tensor Ce(Tensor logits, Tensor y) => TinyNet.CrossEntropy(logits, y);

    public static IEnumerable<object[]> Names() => OptimizerZoo.Names.Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryOptimizerTrainsThroughTheTrainer(string name)
    {
        Seed.Everything(5);
        var train = Blobs.Make(64, 8, 4, 16, seed: 1);
        var net = new TinyNet(8, 16, 4, new Generator(3));
        var before = net.Parameters().SelectMany(p => p.ToArray()).ToArray();
        var opt = OptimizerZoo.Get(name).Create(ParamGroups.NoDecayOnBiasAndNorm(net, 0));
        var h = new Trainer(net, opt, Ce).Fit(train, train, epochs: 2);
        Assert.All(h.Steps["loss"], l => Assert.True(double.IsFinite(l), $"{name}: loss {l}"));
        Assert.True(double.IsFinite(h.Last("val_loss")!.Value), $"{name}: validation loss {h.Last("val_loss")}");
        Assert.NotEqual(before, net.Parameters().SelectMany(p => p.ToArray()).ToArray());
    }

    /// <summary>The Trainer's step for a closure optimizer is the hand-written loop's, bit for bit.</summary>
    [Theory]
    [InlineData("sam")]
    [InlineData("lbfgs")]
    [InlineData("sophia")]
    [InlineData("asam")]
    public void TrainerStepsClosureOptimizersAsAHandWrittenLoop(string name)
    {
        var batches = Blobs.Make(64, 8, 4, 16, seed: 2);
        Optimizer Make(TinyNet n) => name == "sophia"
            ? new Sophia(n.Parameters(), lr: 1e-2, hessianInterval: 2)
            : OptimizerZoo.Get(name).Create([new ParamGroup(n.Parameters())]);

        Seed.Everything(9);
        var a = new TinyNet(8, 16, 4, new Generator(4));
        var optA = Make(a);
        new Trainer(a, optA, Ce).Fit(batches, null, epochs: 2);

        Seed.Everything(9);
        var b = new TinyNet(8, 16, 4, new Generator(4));
        var optB = Make(b);
        for (int epoch = 0; epoch < 2; epoch++)
            foreach (var (x, y) in batches)
            {
                using var _ = Tensor.Scope();
                Ce(b.Forward(x), y).Backward();
                float Closure()
                {
                    var output = b.Forward(x);
                    var l = optB.ClosureKind == ClosureKind.SampledLoss ? Sophia.SampledLoss(output) : Ce(output, y);
                    l.Backward();
                    return l.Item();
                }
                optB.Step(Closure);
                optB.ZeroGrad();
            }
        Assert.Equal(b.Parameters().SelectMany(p => p.ToArray()), a.Parameters().SelectMany(p => p.ToArray()));
    }

    [Fact]
    public void ScheduleFreeLeavesTheModelWithItsAverageAndValidatesIt()
    {
        var train = Blobs.Make(64, 8, 4, 16, seed: 1);
        var net = new TinyNet(8, 16, 4, new Generator(3));
        var opt = new ScheduleFreeAdamW(net.Parameters(), lr: 0.01);
        var trainer = new Trainer(net, opt, Ce);
        var h = trainer.Fit(train, train, epochs: 2);
        Assert.All(opt.ParamGroups, g => Assert.Equal(0, g["train_mode"]));       // eval mode: the model holds x
        // the last validation ran on x: evaluating the model as it is now gives the same loss
        Assert.Equal(h.Last("val_loss")!.Value, trainer.Evaluate(train).Loss, 6);
        var x = net.W1.ToArray();
        opt.Train();
        Assert.NotEqual(x, net.W1.ToArray());
        // a second Fit starts from train mode again
        trainer.Fit(train, null, epochs: 1, startEpoch: 0);
        Assert.Equal(0, opt.ParamGroups[0]["train_mode"]);
    }

    [Fact]
    public void ClosureOptimizersRefuseGradientAccumulation()
    {
        var train = Blobs.Make(32, 8, 4, 16, seed: 1);
        var net = new TinyNet(8, 16, 4, new Generator(3));
        var trainer = new Trainer(net, new SAM(new SGD(net.Parameters(), 0.1)), Ce).With(new GradAccumulation(2));
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit(train, null, epochs: 1));
        Assert.Contains("GradAccumulation", e.Message);
    }
}
