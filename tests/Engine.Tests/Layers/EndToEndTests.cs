namespace Engine.Tests.Layers;

/// <summary>
/// The issue's "done when": a ResNet-style CNN, a MobileNet-style CNN and an LSTM classifier are built from
/// the layers, trained a few SGD steps (loss goes down), saved, loaded into a freshly initialized model,
/// and give bit-identical outputs.
/// </summary>
[Collection(SerialGenerator.Name)]
public sealed class EndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("engine-e2e-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Module ResNet() => new Sequential(
        new Conv2d(3, 8, 3, padding: 1, bias: false), new BatchNorm2d(8), new ReLU(),
        new ResidualBlock(8, 8), new ResidualBlock(8, 16, stride: 2),
        new AdaptiveAvgPool2d(1), new Flatten(), new Linear(16, 4));

    private static Module MobileNet() => new Sequential(
        new Conv2d(3, 8, 3, stride: 2, padding: 1, bias: false), new BatchNorm2d(8), new ReLU(),
        new DepthwiseSeparableConv(8, 16), new DepthwiseSeparableConv(16, 16, stride: 2),
        new SpatialPyramidPooling(3, 5), new AdaptiveAvgPool2d(1), new Flatten(), new Dropout(0.2), new Linear(48, 4));

    private sealed class LstmClassifier : Module
    {
        private readonly Embedding _emb;
        private readonly LSTM _lstm;
        private readonly LayerNorm _norm;
        private readonly Linear _head;

        public LstmClassifier()
        {
            _emb = RegisterModule("emb", new Embedding(20, 8, paddingIdx: 0));
            _lstm = RegisterModule("lstm", new LSTM(8, 12, numLayers: 2, batchFirst: true, dropout: 0.1));
            _norm = RegisterModule("norm", new LayerNorm(12));
            _head = RegisterModule("head", new Linear(12, 4));
        }

        /// <summary>tokens Int32 [B, T] to logits [B, 4] from the last layer's final hidden state.</summary>
        public override Tensor Forward(Tensor tokens)
        {
            var (_, (h, _)) = _lstm.Forward(_emb.Forward(tokens), null);
            return _head.Forward(_norm.Forward(h.Select(0, -1)));
        }
    }

    private static void Sgd(Module m, float lr)
    {
        using var _ = Tensor.NoGrad();
        foreach (var p in m.Parameters())
            if (p.Grad != null) p.Add_(p.Grad, -lr);                  // p -= lr * grad
    }

    private void TrainSaveLoad(Func<Module> make, Tensor x, Tensor y, float lr)
    {
        Seed.Everything(1);
        var model = make();
        var losses = new List<float>();
        for (int step = 0; step < 6; step++)
        {
            using var _ = Tensor.Scope();
            var loss = F.CrossEntropy(model.Forward(x), y, null, labelSmoothing: 0.05);
            losses.Add(loss.Item());
            model.ZeroGrad();
            loss.Backward();
            Sgd(model, lr);
        }
        Assert.True(losses[^1] < losses[0] * 0.9, $"loss should fall when fitting one batch: {string.Join(", ", losses)}");

        var path = Path.Combine(_dir, "model.safetensors");
        model.Save(path);
        Seed.Everything(99);
        var fresh = make();
        Assert.NotEqual(model.Parameters().First().ToArray(), fresh.Parameters().First().ToArray());
        fresh.Load(path);
        model.Eval(); fresh.Eval();
        using (Tensor.NoGrad())
            Assert.Equal(model.Forward(x).ToArray(), fresh.Forward(x).ToArray());
        // the running statistics travelled too
        Assert.Equal(model.NamedBuffers().Select(b => b.Buffer.ToArray()), fresh.NamedBuffers().Select(b => b.Buffer.ToArray()));
    }

    private static (Tensor x, Tensor y) Images()
    {
        var g = new Generator(5);
        return (Tensor.Randn(new Shape(8, 3, 8, 8), g), Tensor.FromArray([0, 1, 2, 3, 0, 1, 2, 3], 8));
    }

    [Fact]
    public void ResNetStyleCnn()
    {
        var (x, y) = Images();
        TrainSaveLoad(ResNet, x, y, 0.1f);
    }

    [Fact]
    public void MobileNetStyleCnn()
    {
        var (x, y) = Images();
        TrainSaveLoad(MobileNet, x, y, 0.1f);
    }

    [Fact]
    public void LstmClassifierOnTokens()
    {
        var tokens = Tensor.Randint(1, 20, new Shape(8, 6), new Generator(3));
        TrainSaveLoad(() => new LstmClassifier(), tokens, Tensor.FromArray([0, 1, 2, 3, 3, 2, 1, 0], 8), 0.5f);
    }
}
