namespace Engine.Tests.Optim;

// Seed.Everything reseeds the process-wide generator: run apart from tests that draw from it.
[Collection("Data.GlobalGenerator")]
public class ParamGroupsTests
{
    private static HashSet<Tensor> Set(IEnumerable<Tensor> ts) => new(ts, ReferenceEqualityComparer.Instance);

    [Fact]
    public void NoDecayOnBiasAndNormPutsEachParameterWhereItBelongs()
    {
        Seed.Everything(1);
        var net = new Net();
        var groups = ParamGroups.NoDecayOnBiasAndNorm(net, weightDecay: 0.05);
        Assert.Equal(["decay", "no_decay"], groups.Select(g => g.Name));
        var decay = Set(groups[0].Params);
        var noDecay = Set(groups[1].Params);

        // matrices of linear layers decay
        Assert.Equal(Set([net.Backbone.Fc1.Weight, net.Neck.Weight, net.Head.Weight]), decay);
        // biases (rank 1) and every parameter of *Norm / *Norm2d modules (rank 2 here) do not
        Assert.Equal(Set([net.Backbone.Fc1.Bias, net.Neck.Bias, net.Head.Bias, net.Backbone.Norm.Weight, net.Backbone.Norm.Bias, net.Backbone.Bn.Weight]), noDecay);
        Assert.Equal(net.Parameters().Count(), decay.Count + noDecay.Count);

        var opt = new AdamW(groups, lr: 3e-4);
        Assert.Equal(0.05, opt.ParamGroups[0].WeightDecay);
        Assert.Equal(0.0, opt.ParamGroups[1].WeightDecay);
        Assert.Equal(3e-4, opt.ParamGroups[1].Lr);
    }

    [Fact]
    public void NoDecayParametersAreNotDecayed()
    {
        Seed.Everything(2);
        var net = new Net();
        var opt = new AdamW(ParamGroups.NoDecayOnBiasAndNorm(net, weightDecay: 0.5), lr: 0.1);
        var bias = net.Head.Bias;
        var w = net.Head.Weight;
        using (Tensor.NoGrad()) bias.Fill_(1f);
        // zero gradients: Adam's step is 0, so only decay can move a parameter
        foreach (var p in net.Parameters()) p.Grad = Tensor.ZerosLike(p);
        var w0 = w.ToArray();
        opt.Step();
        Assert.All(bias.ToArray(), v => Assert.Equal(1f, v));
        Assert.Equal(w0.Select(v => v * (1 - 0.1f * 0.5f)).ToArray(), w.ToArray());
    }

    [Fact]
    public void BackboneAndHeadGetTheirOwnRatesAndFreezing()
    {
        Seed.Everything(3);
        var net = new Net();
        var groups = ParamGroups.Backbone(net.Backbone, lr: 1e-5, freeze: true).Head(net.Head, lr: 1e-3).Rest(net, lr: 1e-4).ToList();
        Assert.Equal(["backbone", "head", "rest"], groups.Select(g => g.Name));
        Assert.Equal(Set(net.Backbone.Parameters()), Set(groups[0].Params));
        Assert.Equal(Set(net.Head.Parameters()), Set(groups[1].Params));
        Assert.Equal(Set(net.Neck.Parameters()), Set(groups[2].Params));
        Assert.All(net.Backbone.Parameters(), p => Assert.False(p.RequiresGrad));
        Assert.All(net.Head.Parameters(), p => Assert.True(p.RequiresGrad));

        var opt = new SGD(groups, lr: 0.1);
        Assert.Equal([1e-5, 1e-3, 1e-4], opt.ParamGroups.Select(g => g.Lr));

        // a training step moves head and neck, not the frozen backbone
        var before = net.Backbone.Fc1.Weight.ToArray();
        var headBefore = net.Head.Weight.ToArray();
        using (Tensor.Scope())
        {
            var loss = net.Forward(Tensor.Randn(5, 4)).Square().Mean();
            opt.ZeroGrad(); loss.Backward(); opt.Step();
        }
        Assert.Null(net.Backbone.Fc1.Weight.Grad);
        Assert.Equal(before, net.Backbone.Fc1.Weight.ToArray());
        Assert.NotEqual(headBefore, net.Head.Weight.ToArray());

        // unfreezing later trains the backbone at its group's rate, without a new optimizer
        net.Backbone.RequiresGrad(true);
        using (Tensor.Scope())
        {
            var loss = net.Forward(Tensor.Randn(5, 4)).Square().Mean();
            opt.ZeroGrad(); loss.Backward();
            var g = net.Backbone.Fc1.Weight.Grad!.ToArray();
            var w0 = net.Backbone.Fc1.Weight.ToArray();
            opt.Step();
            var w1 = net.Backbone.Fc1.Weight.ToArray();
            for (int i = 0; i < g.Length; i++) Assert.Equal(w0[i] - 1e-5f * g[i], w1[i], 6);
        }
    }

    [Fact]
    public void OverlappingGroupsAreRefusedWithNames()
    {
        var net = new Net();
        var e = Assert.Throws<ArgumentException>(() => ParamGroups.Backbone(net.Backbone).Head(net));
        Assert.Contains("backbone.fc1.weight", e.Message);
        var p = net.Head.Weight;
        var e2 = Assert.Throws<ArgumentException>(() => new SGD([new ParamGroup([p]), new ParamGroup([p])], lr: 0.1));
        Assert.Contains("more than one parameter group", e2.Message);
    }

    [Fact]
    public void GroupOptionsFallBackToDefaultsAndAreValidated()
    {
        var a = Tensor.Zeros(2).RequiresGrad_().Keep();
        var b = Tensor.Zeros(2).RequiresGrad_().Keep();
        var opt = new Adam([new ParamGroup([a], lr: 0.5).With("beta1", 0.5), new ParamGroup([b])], lr: 0.01);
        Assert.Equal(0.5, opt.ParamGroups[0].Lr);
        Assert.Equal(0.5, opt.ParamGroups[0]["beta1"]);
        Assert.Equal(0.01, opt.ParamGroups[1].Lr);
        Assert.Equal(0.9, opt.ParamGroups[1]["beta1"]);
        Assert.Equal(0.999, opt.ParamGroups[1]["beta2"]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Adam([new ParamGroup([a]).With("beta2", 1.0)]));
        Assert.Contains("beta2", e.Message);
        Assert.Throws<ArgumentException>(() => new SGD([a], lr: 0.1, nesterov: true));
        Assert.Throws<ArgumentException>(() => new SGD(Array.Empty<Tensor>(), lr: 0.1));
        var ke = Assert.Throws<KeyNotFoundException>(() => new ParamGroup([a])["momentum"]);
        Assert.Contains("momentum", ke.Message);
    }
}
