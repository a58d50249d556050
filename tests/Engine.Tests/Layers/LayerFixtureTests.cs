using System.Text.Json;

namespace Engine.Tests.Layers;

/// <summary>
/// Every layer against PyTorch 1.13 (fixtures/layers/layers.json): the same state dict and input,
/// then output, d(sum(output * gy))/d(input), the parameter gradients and the buffers after the step.
/// </summary>
[Collection(SerialGenerator.Name)]
public class LayerFixtureTests
{
    public static IEnumerable<object[]> Cases => Fixtures.CaseNames("layers.json");

    internal static (Module m, bool train, Func<Module, Tensor[], Tensor> fwd) Build(string name) => name switch
    {
        "linear" => (new Linear(5, 3), true, One),
        "linear_nobias" => (new Linear(4, 6, bias: false), true, One),
        "conv2d" => (new Conv2d(4, 6, 3, stride: 2, padding: 1, groups: 2), true, One),
        "conv2d_dilated" => (new Conv2d(3, 2, 3, padding: 2, dilation: 2), true, One),
        "conv2d_depthwise" => (new Conv2d(3, 3, 3, padding: 1, groups: 3, bias: false), true, One),
        "dwsep_train" => (new DepthwiseSeparableConv(3, 5, stride: 2), true, One),
        "dwsep_eval" => (new DepthwiseSeparableConv(3, 5, stride: 2), false, One),
        "residual_train" => (new ResidualBlock(3, 4, stride: 2), true, One),
        "residual_identity_eval" => (new ResidualBlock(4, 4), false, One),
        "maxpool" => (new MaxPool2d(3, 2, 1), true, One),
        "avgpool" => (new AvgPool2d(3, 2, 1), true, One),
        "avgpool_nopad" => (new AvgPool2d(3, 2, 1, countIncludePad: false), true, One),
        "adaptive_avgpool" => (new AdaptiveAvgPool2d(3, 2), true, One),
        "adaptive_avgpool_global" => (new AdaptiveAvgPool2d(1), true, One),
        "spp" => (new SpatialPyramidPooling(), true, One),
        "feature_concat" => (new FeatureConcat(), true, (m, x) => ((FeatureConcat)m).Forward(x[0], x[1])),
        "batchnorm1d_train" => (new BatchNorm1d(4), true, One),
        "batchnorm1d_3d_cumulative" => (new BatchNorm1d(3, momentum: null), true, One),
        "batchnorm2d_train" => (new BatchNorm2d(3, momentum: 0.3), true, One),
        "batchnorm2d_eval" => (new BatchNorm2d(3, momentum: 0.3), false, One),
        "layernorm" => (new LayerNorm([3, 4]), true, One),
        "embedding" => (new Embedding(7, 3, paddingIdx: 2), true, One),
        "relu" => (new ReLU(), true, One),
        "leaky_relu" => (new LeakyReLU(0.2f), true, One),
        "gelu" => (new GELU(), true, One),
        "sigmoid" => (new Sigmoid(), true, One),
        "tanh" => (new Tanh(), true, One),
        "softmax" => (new Softmax(1), true, One),
        "log_softmax" => (new LogSoftmax(1), true, One),
        "flatten" => (new Flatten(), true, One),
        "rnn" => (new RNN(3, 4, numLayers: 2), true, (m, x) =>
        {
            var (o, h) = ((RNN)m).Forward(x[0], x[1]);
            return Tensor.Cat([o.Reshape(-1), h.Reshape(-1)]);
        }),
        "lstm" => (new LSTM(3, 4, numLayers: 2, batchFirst: true), true, (m, x) =>
        {
            var (o, (h, c)) = ((LSTM)m).Forward(x[0], (x[1], x[2]));
            return Tensor.Cat([o.Reshape(-1), h.Reshape(-1), c.Reshape(-1)]);
        }),
        "gru" => (new GRU(3, 4, numLayers: 2, batchFirst: true), true, (m, x) =>
        {
            var (o, h) = ((GRU)m).Forward(x[0], x[1]);
            return Tensor.Cat([o.Reshape(-1), h.Reshape(-1)]);
        }),
        "lstm_bidirectional" => (new LSTM(3, 4, numLayers: 2, bidirectional: true), true, (m, x) =>
        {
            var (o, (h, c)) = ((LSTM)m).Forward(x[0], (x[1], x[2]));
            return Tensor.Cat([o.Reshape(-1), h.Reshape(-1), c.Reshape(-1)]);
        }),
        "gru_bidirectional" => (new GRU(3, 4, numLayers: 2, batchFirst: true, bidirectional: true), true, (m, x) =>
        {
            var (o, h) = ((GRU)m).Forward(x[0], x[1]);
            return Tensor.Cat([o.Reshape(-1), h.Reshape(-1)]);
        }),
        _ => throw new ArgumentException($"no engine module for fixture case '{name}'"),
    };

    private static Tensor One(Module m, Tensor[] x) => m.Forward(x[0]);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string name) => Check(name, Device.Cpu);

    /// <summary>One fixture case with the module and its inputs on device (gradients and buffers read back from it).</summary>
    internal static void Check(string name, Device device)
    {
        using var _ = Tensor.Scope();
        var c = Fixtures.Case("layers.json", name);
        var (m, train, fwd) = Build(name);
        m.LoadStateDict(Fixtures.Dict(c.GetProperty("state")));
        m.MoveTo(device);
        m.Train(train);

        var inputs = new List<Tensor> { OnDevice(Fixtures.Tensor(c.GetProperty("input")), device) };
        for (int i = 1; c.TryGetProperty($"input{i}", out var e); i++) inputs.Add(OnDevice(Fixtures.Tensor(e), device));
        foreach (var t in inputs) if (t.DType != DType.Int32) t.RequiresGrad_();

        var y = fwd(m, inputs.ToArray());
        Close.Assert(Fixtures.Tensor(c.GetProperty("output")), y, $"{name} output");
        Assert.Equal(device, y.Device);
        y.Mul(OnDevice(Fixtures.Tensor(c.GetProperty("gy")), device)).Sum().Backward();

        if (c.TryGetProperty("grad_input", out var gi)) Close.Assert(Fixtures.Tensor(gi), inputs[0].Grad!, $"{name} grad input");
        for (int i = 1; c.TryGetProperty($"grad_input{i}", out var g); i++) Close.Assert(Fixtures.Tensor(g), inputs[i].Grad!, $"{name} grad input{i}");

        var ownParams = m.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        var grads = c.GetProperty("grads").EnumerateObject().ToList();
        Assert.Equal(grads.Count, ownParams.Values.Count(p => p.Grad != null));
        foreach (var p in grads)
            Close.Assert(Fixtures.Tensor(p.Value), ownParams[p.Name].Grad ?? throw new Xunit.Sdk.XunitException($"{name}: no gradient for {p.Name}"), $"{name} grad {p.Name}");

        // Buffers after the step: running statistics and num_batches_tracked.
        var after = m.StateDict();
        foreach (var p in c.GetProperty("state_after").EnumerateObject())
            Close.Assert(Fixtures.Tensor(p.Value), after[p.Name], $"{name} state after {p.Name}");
    }

    /// <summary>A leaf on device with t's values (t itself on the CPU).</summary>
    internal static Tensor OnDevice(Tensor t, Device device) =>
        device == Device.Cpu ? t
        : Tensor.Create(t.DType == DType.Int32 ? device.Backend.Upload(t.ToIntArray()) : device.Backend.Upload(t.ToArray()), Layout.Contiguous(t.Shape));

    [Fact]
    public void EveryFixtureCaseHasAnEngineModule()
    {
        foreach (var c in Cases) Build((string)c[0]);
    }
}
