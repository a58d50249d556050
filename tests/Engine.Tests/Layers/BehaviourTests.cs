namespace Engine.Tests.Layers;

/// <summary>Train/eval behaviour, dropout statistics, module plumbing and errors.</summary>
[Collection(SerialGenerator.Name)]
public class BehaviourTests
{
    [Fact]
    public void BatchNormUpdatesRunningStatsOnlyInTrainingAndUsesThemInEval()
    {
        Seed.Everything(1);
        var bn = new BatchNorm1d(2, momentum: 0.5);
        var x = Tensor.FromArray([1f, 10, 3, 20, 5, 30], 3, 2);       // channel 0: 1,3,5 (mean 3, var 4); channel 1: 10,20,30 (mean 20, var 100)
        var y = bn.Forward(x);
        Close.Assert([0f, 0, 0, 0], y.Mean(0).ToArray().Concat(y.Square().Mean(0).Sub(1f).ToArray()).Select(v => MathF.Round(v, 3)).ToArray(), "normalized", 1e-3f, 0);
        Close.Assert([1.5f, 10f], bn.RunningMean!.ToArray(), "running mean");                // 0.5 * 0 + 0.5 * mean
        Close.Assert([0.5f + 0.5f * 4, 0.5f + 0.5f * 100], bn.RunningVar!.ToArray(), "running var (unbiased)");
        Assert.Equal(1, (int)bn.NumBatchesTracked!.Item());

        bn.Eval();
        var before = bn.RunningMean!.ToArray();
        var ye = bn.Forward(Tensor.FromArray([1.5f, 10f], 1, 2));            // batch of one is fine in eval
        Close.Assert([0f, 0f], ye.ToArray(), "eval uses running stats", 1e-5f, 0);
        Assert.Equal(before, bn.RunningMean.ToArray());
        Assert.Equal(1, (int)bn.NumBatchesTracked.Item());

        bn.Train();
        var e = Assert.Throws<ShapeException>(() => bn.Forward(Tensor.FromArray([1f, 2f], 1, 2)));
        Assert.Contains("more than 1 value per channel", e.Message);
    }

    [Fact]
    public void DropoutStatistics()
    {
        Seed.Everything(7);
        var d = new Dropout(0.3);
        var x = Tensor.Ones(200_000);
        var y = d.Forward(x).ToArray();
        double zeros = y.Count(v => v == 0) / (double)y.Length;
        Assert.InRange(zeros, 0.3 - 0.005, 0.3 + 0.005);                      // 5 sigma is about 0.0051
        Assert.All(y.Where(v => v != 0), v => Assert.Equal(1 / 0.7f, v, 5));
        Assert.InRange(y.Average(), 0.99, 1.01);                             // inverted scaling keeps the mean

        d.Eval();
        Assert.Same(x, d.Forward(x));

        // same seed, same mask; gradient is the mask
        Seed.Everything(3); var a = new Dropout(0.5).Forward(Tensor.Ones(64)).ToArray();
        Seed.Everything(3);
        var xg = Tensor.Ones(64).RequiresGrad_();
        var b = new Dropout(0.5).Forward(xg);
        Assert.Equal(a, b.ToArray());
        b.Sum().Backward();
        Assert.Equal(a, xg.Grad!.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1.5));
    }

    [Fact]
    public void LossesStayFiniteAtExtremeLogits()
    {
        var x = Tensor.FromArray([1e4f, -1e4f, 0f, -1e4f, 1e4f, 3e4f], 2, 3).RequiresGrad_();
        var t = Tensor.FromArray([1, 0], 2);
        var mt = Tensor.FromArray([0f, 1, 1, 1, 0, 1], 2, 3);
        foreach (var loss in new[] { F.CrossEntropy(x, t, null, labelSmoothing: 0.1), F.BinaryCrossEntropyWithLogits(x, mt), F.SigmoidFocalLoss(x, mt, reduction: Reduction.Mean), F.SoftmaxFocalLoss(x, t), F.KlDivWithTemperature(x, x.Detach().Neg(), 2) })
        {
            Assert.True(float.IsFinite(loss.Item()), $"loss {loss}");
            x.ZeroGrad();
            loss.Backward();
            Assert.All(x.Grad!.ToArray(), v => Assert.True(float.IsFinite(v)));
        }
        // cross-entropy of a wrong confident prediction is the logit gap
        Assert.Equal(2e4f, F.CrossEntropy(Tensor.FromArray([1e4f, -1e4f], 1, 2), Tensor.FromArray([1], 1)).Item(), 0);
    }

    [Fact]
    public void LossErrorsNameTheProblem()
    {
        var x = Tensor.Zeros(3, 4);
        Assert.Contains("outside the 4 classes", Assert.Throws<ArgumentOutOfRangeException>(() => F.CrossEntropy(x, Tensor.FromArray([0, 4, 1], 3))).Message);
        Assert.Contains("must be [3]", Assert.Throws<ShapeException>(() => F.CrossEntropy(x, Tensor.FromArray([0, 1], 2))).Message);
        Assert.Contains("class weights", Assert.Throws<ShapeException>(() => F.CrossEntropy(x, Tensor.FromArray([0, 1, 2], 3), Tensor.Ones(3))).Message);
        Assert.Contains("same shape", Assert.Throws<ShapeException>(() => F.MseLoss(x, Tensor.Zeros(4, 3))).Message);
        // ignoreIndex: the ignored sample neither counts in the mean nor gets a gradient
        var xi = Tensor.FromArray([2f, 0, 0, 5, 1, 1], 2, 3).RequiresGrad_();
        var l = F.CrossEntropy(xi, Tensor.FromArray([0, -100], 2));
        Assert.Equal(F.CrossEntropy(Tensor.FromArray([2f, 0, 0], 1, 3), Tensor.FromArray([0], 1)).Item(), l.Item(), 6);
        l.Backward();
        Assert.Equal([0f, 0, 0], xi.Grad!.ToArray()[3..]);
    }

    [Fact]
    public void ModulePlumbing()
    {
        Seed.Everything(1);
        var m = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new ReLU(), new Flatten(), new Linear(2 * 4 * 4, 3));
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias"], m.NamedParameters().Select(p => p.Name));
        Assert.Equal(["1.running_mean", "1.running_var", "1.num_batches_tracked"], m.NamedBuffers().Select(p => p.Name));
        Assert.Equal(2 * 9 + 2 + 2 + 2 + 32 * 3 + 3, m.ParameterCount());
        var y = m.Forward(Tensor.Randn(2, 1, 6, 6));
        Assert.Equal(new Shape(2, 3), y.Shape);
        m[0].RequiresGrad(false);
        y = m.Forward(Tensor.Randn(2, 1, 6, 6));
        y.Sum().Backward();
        Assert.Null(((Conv2d)m[0]).Weight.Grad);
        Assert.NotNull(((Linear)m[4]).Weight.Grad);
        Assert.Contains("Conv2d(1, 2, kernelSize=(3, 3)", m.ToString());

        var bad = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(3));
        var e = Assert.Throws<ArgumentException>(() => bad.LoadStateDict(m.StateDict()));
        Assert.Contains("shape mismatch for '1.weight'", e.Message);
        Assert.Contains("unexpected key '4.weight'", e.Message);
    }

    [Fact]
    public void ShapeErrors()
    {
        Assert.Contains("must end in 4 features", Assert.Throws<ShapeException>(() => new Linear(4, 2).Forward(Tensor.Zeros(2, 3))).Message);
        Assert.Contains("[numLayers, B, H] = [2, 3, 4]", Assert.Throws<ShapeException>(() => new LSTM(2, 4, 2).Forward(Tensor.Zeros(5, 3, 2), (Tensor.Zeros(1, 3, 4), Tensor.Zeros(1, 3, 4)))).Message);
        Assert.Contains("outside [0, 4]", Assert.Throws<ArgumentOutOfRangeException>(() => new Embedding(5, 2).Forward(Tensor.FromArray([1, 5], 2))).Message);
        Assert.Contains("groups 3 must divide", Assert.Throws<ArgumentException>(() => new Conv2d(4, 6, 3, groups: 3)).Message);
        Assert.Contains("must be an integer multiple", Assert.Throws<ShapeException>(() => new FeatureConcat().Forward(Tensor.Zeros(1, 1, 5, 5), Tensor.Zeros(1, 1, 2, 2))).Message);
    }
}
