using Engine.Training;
using static Engine.Training.Advisor;

namespace Engine.Tests.Advisor;

/// <summary>Each rule fires on a model or setup that breaks it, and stays silent on one that does not.</summary>
public class AdvisorTests
{
    /// <summary>A model that follows every rule: aligned sizes, dropout 0.3 between hidden layers, logits out.</summary>
    private static Sequential Good() => new(new Linear(128, 256), new ReLU(), new Dropout(0.3), new Linear(256, 128), new ReLU(), new Linear(128, 10));

    private static List<Finding> Only(string id, Module m, AdvisorOptions o) => Check(m, o).Where(f => f.RuleId == id).ToList();

    private static void Fires(string id, Module m, AdvisorOptions o)
    {
        var f = Only(id, m, o);
        Assert.True(f.Count > 0, $"rule {id} should fire; all findings: {string.Join("\n", Check(m, o))}");
        Assert.All(f, x => Assert.False(string.IsNullOrWhiteSpace(x.Message)));
    }

    private static void Silent(string id, Module m, AdvisorOptions o)
    {
        var f = Only(id, m, o);
        Assert.True(f.Count == 0, $"rule {id} should be silent, got: {string.Join("\n", f)}");
    }

    [Fact]
    public void A_good_setup_gets_no_findings()
    {
        var m = Good();
        var opt = new AdamW(ParamGroups.NoDecayOnBiasAndNorm(m, 1e-2), lr: 3e-4);
        var findings = Check(m, new AdvisorOptions { BatchSize = 64, Optimizer = opt, BaseBatch = 32, BaseLr = 1.5e-4, Loss = LossKind.CrossEntropy, OneHotInputs = [("weekday", 7)] });
        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    [Fact]
    public void Every_rule_id_is_listed_once() =>
        Assert.Equal(Rules.Count, Rules.Select(r => r.Id).Distinct().Count());

    [Theory]
    [InlineData(30, true)]
    [InlineData(50, true)]
    [InlineData(32, false)]
    [InlineData(12, false)]
    [InlineData(2, false)]
    [InlineData(1, false)]
    public void Batch_size_not_a_multiple_of_four_nor_a_power_of_two(int batch, bool fires)
    {
        var o = new AdvisorOptions { BatchSize = batch };
        if (fires) Fires(BatchSizeId, Good(), o); else Silent(BatchSizeId, Good(), o);
    }

    [Fact]
    public void Rnn_sizes()
    {
        Fires(RnnSizesId, new Sequential(new LSTM(30, 100)), new AdvisorOptions { BatchSize = 32 });     // 30 not /4
        Fires(RnnSizesId, new Sequential(new GRU(32, 64)), new AdvisorOptions { BatchSize = 30 });       // batch
        Fires(RnnSizesId, new Sequential(new LSTM(32, 100)), new AdvisorOptions { BatchSize = 32 });     // 100: /4 but not /64
        Silent(RnnSizesId, new Sequential(new LSTM(32, 128)), new AdvisorOptions { BatchSize = 32 });
        Silent(RnnSizesId, new Sequential(new RNN(16, 32)), new AdvisorOptions { BatchSize = 64 });      // small hidden, multiple of 4
    }

    [Fact]
    public void Dense_features_not_divisible_by_64()
    {
        Fires(DenseFeaturesId, new Sequential(new Linear(128, 500), new ReLU(), new Linear(500, 10)), new());
        Fires(DenseFeaturesId, new Sequential(new Linear(784, 128), new ReLU(), new Linear(128, 10)), new());  // input features
        Silent(DenseFeaturesId, new Sequential(new Linear(128, 512), new ReLU(), new Linear(512, 10)), new()); // 10 classes: exempt
    }

    [Fact]
    public void Conv_channels()
    {
        Fires(ConvChannelsId, new Sequential(new Conv2d(4, 30, 3), new Conv2d(30, 64, 3)), new());      // 30
        Fires(ConvChannelsId, new Sequential(new Conv2d(4, 64, 3), new Conv2d(64, 132, 3)), new());     // wide 132 not /64
        Silent(ConvChannelsId, new Sequential(new Conv2d(3, 32, 3), new Conv2d(32, 192, 3), new Conv2d(192, 2, 1)), new()); // 3 is left to pad-input-channels; 2 = 2^1
    }

    [Fact]
    public void Three_channel_input_should_be_padded_to_four()
    {
        Fires(PadInputChannelsId, new Sequential(new Conv2d(3, 32, 3)), new());
        Fires(PadInputChannelsId, Good(), new AdvisorOptions { InputChannels = 3 });
        Silent(PadInputChannelsId, new Sequential(new Conv2d(4, 32, 3)), new());
        Silent(PadInputChannelsId, new Sequential(new Conv2d(1, 32, 3)), new());
    }

    [Theory]
    [InlineData(0.1, true)]
    [InlineData(0.6, true)]
    [InlineData(0.2, false)]
    [InlineData(0.5, false)]
    [InlineData(0.0, false)]
    public void Dropout_rate_outside_20_to_50_percent(double p, bool fires)
    {
        var m = new Sequential(new Linear(64, 64), new Dropout(p), new ReLU(), new Linear(64, 64), new Linear(64, 10));
        if (fires) Fires(DropoutRateId, m, new()); else Silent(DropoutRateId, m, new());
    }

    [Fact]
    public void Recurrent_dropout_rate_is_checked_too()
    {
        Fires(DropoutRateId, new Sequential(new LSTM(32, 64, numLayers: 2, dropout: 0.7)), new());
        Silent(DropoutRateId, new Sequential(new LSTM(32, 64, numLayers: 2, dropout: 0.3)), new());
    }

    [Fact]
    public void Dropout_on_the_outputs_is_flagged_dropout_on_the_last_hidden_layer_is_not()
    {
        // After the output layer: it zeroes logits.
        Fires(DropoutOnOutputId, new Sequential(new Linear(64, 64), new ReLU(), new Linear(64, 10), new Dropout(0.3)), new());
        Fires(DropoutOnOutputId, new Sequential(new Linear(64, 64), new ReLU(), new Linear(64, 10), new Dropout(0.3), new LogSoftmax(1)), new());
        // On the last hidden layer, right before the final Linear: standard (DESIGN.md's CNN), not flagged.
        Silent(DropoutOnOutputId, new Sequential(new Linear(64, 64), new ReLU(), new Dropout(0.3), new Linear(64, 10)), new());
        Silent(DropoutOnOutputId, new Sequential(new Linear(64, 64), new Dropout(0.3), new ReLU(), new Linear(64, 10)), new());
        Silent(DropoutOnOutputId, Good(), new());
    }

    [Fact]
    public void The_design_cnn_passes_the_dropout_rule()
    {
        var cnn = new Sequential(
            new Conv2d(1, 32, kernelSize: 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Conv2d(32, 64, kernelSize: 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(64 * 7 * 7, 128), new ReLU(), new Dropout(0.3), new Linear(128, 10));
        Silent(DropoutOnOutputId, cnn, new());
    }

    [Fact]
    public void Adam_lr_far_from_3e4()
    {
        var m = Good();
        Fires(AdamLrId, m, new AdvisorOptions { Optimizer = new Adam(m.Parameters(), lr: 1e-2) });
        Fires(AdamLrId, m, new AdvisorOptions { OptimizerName = "AdamW", Lr = 1e-5 });
        Silent(AdamLrId, m, new AdvisorOptions { Optimizer = new Adam(m.Parameters(), lr: 3e-4) });
        Silent(AdamLrId, m, new AdvisorOptions { Optimizer = new SGD(m.Parameters(), lr: 0.1) });     // not Adam
    }

    [Fact]
    public void Batch_size_changed_without_the_linear_scaling_rule()
    {
        var m = Good();
        Fires(LinearScalingId, m, new AdvisorOptions { BatchSize = 1024, BaseBatch = 256, BaseLr = 0.1, Lr = 0.1 });
        Silent(LinearScalingId, m, new AdvisorOptions { BatchSize = 1024, BaseBatch = 256, BaseLr = 0.1, Lr = 0.4 });   // linear
        Silent(LinearScalingId, m, new AdvisorOptions { BatchSize = 1024, BaseBatch = 256, BaseLr = 0.1, Lr = 0.2 });   // square root
        Silent(LinearScalingId, m, new AdvisorOptions { BatchSize = 256, BaseBatch = 256, BaseLr = 0.1, Lr = 0.1 });
    }

    [Fact]
    public void Warmup_or_scheduler_before_overfit_one_batch()
    {
        Fires(ScheduleBeforeOverfitId, Good(), new AdvisorOptions { WarmupOrScheduler = true });
        Fires(ScheduleBeforeOverfitId, Good(), new AdvisorOptions { WarmupOrScheduler = true, OverfitOneBatchPassed = false });
        Silent(ScheduleBeforeOverfitId, Good(), new AdvisorOptions { WarmupOrScheduler = true, OverfitOneBatchPassed = true });
        Silent(ScheduleBeforeOverfitId, Good(), new AdvisorOptions { WarmupOrScheduler = false });
    }

    [Fact]
    public void Weight_decay_on_biases_and_norm_weights()
    {
        var m = new Sequential(new Conv2d(4, 64, 3, bias: false), new BatchNorm2d(64), new ReLU());
        Fires(DecayOnBiasNormId, m, new AdvisorOptions { Optimizer = new SGD(m.Parameters(), lr: 0.1, weightDecay: 5e-4) });
        Fires(DecayOnBiasNormId, m, new AdvisorOptions { Lr = 0.1, WeightDecay = 5e-4 });
        Silent(DecayOnBiasNormId, m, new AdvisorOptions { Optimizer = new SGD(ParamGroups.NoDecayOnBiasAndNorm(m, 5e-4), lr: 0.1) });
        Silent(DecayOnBiasNormId, m, new AdvisorOptions { Optimizer = new SGD(m.Parameters(), lr: 0.1) });   // no decay at all
    }

    [Theory]
    [InlineData(1e-5, true)]
    [InlineData(0.1, true)]
    [InlineData(1e-4, false)]
    [InlineData(1e-2, false)]
    [InlineData(0.0, false)]
    public void Weight_decay_outside_1e4_to_1e2(double wd, bool fires)
    {
        var m = Good();
        var o = new AdvisorOptions { Optimizer = new SGD(ParamGroups.NoDecayOnBiasAndNorm(m, wd), lr: 0.1) };
        if (fires) Fires(DecayRangeId, m, o); else Silent(DecayRangeId, m, o);
    }

    [Fact]
    public void Softmax_then_log()
    {
        var soft = new Sequential(new Linear(64, 10), new Softmax());
        var f = Only(SoftmaxThenLogId, soft, new AdvisorOptions { Loss = AdvisorOptions.LossKindOf(new NLLLoss()) });
        Assert.Single(f);
        Assert.Equal(Severity.Error, f[0].Severity);
        Fires(SoftmaxThenLogId, soft, new AdvisorOptions { Loss = LossKind.CrossEntropy });     // softmax twice
        Silent(SoftmaxThenLogId, new Sequential(new Linear(64, 10), new LogSoftmax()), new AdvisorOptions { Loss = LossKind.NllOrLog });
        Silent(SoftmaxThenLogId, new Sequential(new Linear(64, 10)), new AdvisorOptions { Loss = LossKind.CrossEntropy });
        Silent(SoftmaxThenLogId, soft, new AdvisorOptions { Loss = LossKind.Other });
    }

    [Fact]
    public void High_cardinality_one_hot_inputs()
    {
        var f = Only(OneHotCardinalityId, Good(), new AdvisorOptions { OneHotInputs = [("zip", 1000), ("weekday", 7)] });
        Assert.Single(f);
        Assert.Equal("zip", f[0].Where);
        Assert.Contains("Embedding(1000, 50)", f[0].Message);
        Silent(OneHotCardinalityId, Good(), new AdvisorOptions { OneHotInputs = [("weekday", 7), ("month", 16)] });
    }

    private sealed class Transfer : Module
    {
        public readonly Sequential Backbone;
        public readonly Linear Head;
        public Transfer()
        {
            Backbone = RegisterModule("backbone", new Sequential(new Linear(64, 64), new ReLU()));
            Head = RegisterModule("head", new Linear(64, 10));
        }
    }

    [Fact]
    public void Backbone_learning_at_the_heads_lr()
    {
        var m = new Transfer();
        Fires(BackboneLrId, m, new AdvisorOptions { Backbone = m.Backbone, Head = m.Head, Optimizer = new SGD(m.Parameters(), lr: 0.01) });
        Silent(BackboneLrId, m, new AdvisorOptions { Backbone = m.Backbone, Head = m.Head, Optimizer = new SGD(ParamGroups.Backbone(m.Backbone, lr: 1e-3).Head(m.Head, lr: 1e-2), lr: 0.01) });
        Fires(BackboneLrId, m, new AdvisorOptions { BackboneLr = 1e-3, HeadLr = 1e-3 });
        Silent(BackboneLrId, m, new AdvisorOptions { BackboneLr = 1e-4, HeadLr = 1e-3 });
        // a frozen backbone does not learn at all
        var frozen = new Transfer();
        Silent(BackboneLrId, frozen, new AdvisorOptions { Backbone = frozen.Backbone, Head = frozen.Head, Optimizer = new SGD(ParamGroups.Backbone(frozen.Backbone, lr: 1e-2, freeze: true).Head(frozen.Head, lr: 1e-2), lr: 0.01) });
    }
}

public class AdvisorTrainerTests
{
    [Fact]
    public void A_trainer_brings_its_optimizer_and_its_scheduler()
    {
        var m = new Sequential(new Linear(64, 64), new ReLU(), new Linear(64, 10));
        var opt = new Adam(m.Parameters(), lr: 1e-2);
        var trainer = new Trainer(m, opt, (y, t) => F.CrossEntropy(y, t)).With(new LrSchedule(new StepLR(opt, stepSize: 5, gamma: 0.5)));
        var ids = Engine.Training.Advisor.Check(trainer).Select(f => f.RuleId).ToList();
        Assert.Contains(Engine.Training.Advisor.AdamLrId, ids);
        Assert.Contains(Engine.Training.Advisor.ScheduleBeforeOverfitId, ids);
        Assert.DoesNotContain(Engine.Training.Advisor.ScheduleBeforeOverfitId,
            Engine.Training.Advisor.Check(trainer, new AdvisorOptions { OverfitOneBatchPassed = true }).Select(f => f.RuleId));
    }
}
