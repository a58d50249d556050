namespace Engine.Tests.Layers;

/// <summary>Finite differences against autograd through each layer and loss (small shapes; float32 tolerances).</summary>
[Collection(SerialGenerator.Name)]
public class GradCheckTests
{
    private static Tensor Randn(params int[] s) => Tensor.Randn(new Shape(s), new Generator(s.Sum() * 31 + s.Length));

    [Fact]
    public void Linear()
    {
        Seed.Everything(1);
        var m = new Linear(4, 3);
        var x = Randn(2, 4).RequiresGrad_();
        var gy = Randn(2, 3);
        GradCheck.Run(() => m.Forward(x).Mul(gy).Sum(), [x, m.Weight, m.Bias!], "linear");
    }

    [Fact]
    public void Conv2dGroupedStrided()
    {
        Seed.Everything(2);
        var m = new Conv2d(4, 2, 3, stride: 2, padding: 1, groups: 2);
        var x = Randn(1, 4, 5, 5).RequiresGrad_();
        GradCheck.Run(() => m.Forward(x).Square().Sum(), [x, m.Weight, m.Bias!], "conv2d");
    }

    [Fact]
    public void BatchNormTrainingAndLayerNorm()
    {
        Seed.Everything(3);
        var bn = new BatchNorm2d(2);
        var ln = new LayerNorm(3);
        var x = Randn(3, 2, 2, 3).RequiresGrad_();
        var gy = Randn(3, 2, 2, 3);
        GradCheck.Run(() => ln.Forward(bn.Forward(x)).Mul(gy).Sum(), [x, bn.Weight!, ln.Weight!, ln.Bias!], "batchnorm+layernorm");
    }

    [Fact]
    public void LstmAndGru()
    {
        Seed.Everything(4);
        var lstm = new LSTM(2, 3, numLayers: 2, batchFirst: true);
        var gru = new GRU(3, 2);
        var x = Randn(2, 4, 2).RequiresGrad_();
        var h0 = Randn(2, 2, 3).RequiresGrad_();
        var c0 = Randn(2, 2, 3).RequiresGrad_();
        Tensor Loss()
        {
            var (o, (h, c)) = lstm.Forward(x, (h0, c0));
            var (g, hg) = gru.Forward(o.Transpose(0, 1), null);
            return g.Square().Sum().Add(h.Mul(c).Sum()).Add(hg.Sum());
        }
        var p = lstm.Parameters().Concat(gru.Parameters()).ToArray();
        GradCheck.Run(Loss, [x, h0, c0, p[0], p[1], p[2], p[5], p[8], p[9]], "lstm+gru");
    }

    [Fact]
    public void RnnReluAndEmbedding()
    {
        Seed.Everything(5);
        var emb = new Embedding(6, 3);
        var rnn = new RNN(3, 4, nonlinearity: "relu");
        var idx = Tensor.FromArray([0, 3, 5, 3, 1, 0], 3, 2);
        GradCheck.Run(() => rnn.Forward(emb.Forward(idx)).Sum(), [emb.Weight, rnn.Parameters().First()], "rnn+embedding");

        // With paddingIdx the padding row is looked up but never learns (PyTorch's semantics), even when set non-zero.
        var padded = new Embedding(6, 3, paddingIdx: 0);
        using (Tensor.NoGrad()) padded.Weight.Narrow(0, 0, 1).Fill_(2f);
        var y = padded.Forward(idx);
        Assert.Equal([2f, 2, 2], y.Narrow(0, 0, 1).Narrow(1, 0, 1).Reshape(-1).ToArray());
        y.Sum().Backward();
        var g = padded.Weight.Grad!.ToArray();
        Assert.Equal([0f, 0, 0], g[..3]);
        Assert.Equal([2f, 2, 2], g[9..12]);                                 // row 3 used twice
    }

    [Fact]
    public void Losses()
    {
        var x = Randn(4, 5).RequiresGrad_();
        var t = Tensor.FromArray([1, 0, 4, 2], 4);
        var w = Tensor.FromArray([1f, 2, 0.5f, 1, 3], 5);
        var soft = Randn(4, 5).Softmax(-1);
        var mt = Randn(4, 5).Gt(0f);
        var y = Randn(4, 5);
        GradCheck.Run(() => F.CrossEntropy(x, t, w, labelSmoothing: 0.2), [x], "cross entropy");
        GradCheck.Run(() => F.CrossEntropy(x, soft, null, labelSmoothing: 0.1), [x], "cross entropy soft");
        GradCheck.Run(() => F.BinaryCrossEntropyWithLogits(x, mt, posWeight: w), [x], "bce");
        GradCheck.Run(() => F.SigmoidFocalLoss(x, mt, reduction: Reduction.Sum), [x], "sigmoid focal");
        GradCheck.Run(() => F.SoftmaxFocalLoss(x, t, w), [x], "softmax focal");
        GradCheck.Run(() => F.SmoothL1Loss(x, y, beta: 0.5), [x], "smooth l1");
        GradCheck.Run(() => F.KlDivWithTemperature(x, y, 2.0), [x], "distillation");
    }

    [Fact]
    public void BceGradientIsExactAtZeroLogits()
    {
        // d/dx [(1 - t) x + lw softplus(-x)] = (1 - t) - lw sigmoid(-x); at x = 0: (1 - t) - lw / 2.
        var x = Tensor.Zeros(1, 3).RequiresGrad_();
        var t = Tensor.FromArray([1f, 0, 0.25f], 1, 3);
        var pw = Tensor.FromArray([3f, 2, 5], 3);
        F.BinaryCrossEntropyWithLogits(x, t, reduction: Reduction.Sum, posWeight: pw).Backward();
        float[] lw = [1 + 2 * 1f, 1 + 1 * 0f, 1 + 4 * 0.25f], tt = [1f, 0, 0.25f];
        Close.Assert(Enumerable.Range(0, 3).Select(i => (1 - tt[i]) - lw[i] / 2).ToArray(), x.Grad!.ToArray(), "bce grad at 0", 1e-6f, 1e-6f);
    }
}
