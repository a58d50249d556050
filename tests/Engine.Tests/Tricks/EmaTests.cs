using Engine.Training;

namespace Engine.Tests.Tricks;

public class EmaTests
{
    [Fact]
    public void ShadowFollowsTheFormulaWithWarmup()
    {
        var g = new Generator(7);
        var net = new TinyNet(3, 4, 2, g);
        var ema = new ModelEma(net, decay: 0.9f);
        var expected = net.W1.ToArray();
        for (int t = 0; t < 5; t++)
        {
            using (Tensor.NoGrad()) net.W1.Add_(Tensor.FullLike(net.W1, 0.5f + t));
            float d = Math.Min(0.9f, (1f + t) / (10f + t));
            var w = net.W1.ToArray();
            for (int i = 0; i < w.Length; i++) expected[i] = d * expected[i] + (1 - d) * w[i];
            Assert.Equal(d, ema.CurrentDecay, 6);
            ema.Update();
        }
        var shadow = ema.StateDict()["w1"].ToArray();
        for (int i = 0; i < shadow.Length; i++) Assert.Equal(expected[i], shadow[i], 4);
    }

    [Fact]
    public void ApplySwapsAveragedWeightsInAndBack()
    {
        var net = new TinyNet(3, 4, 2, new Generator(8));
        var ema = new ModelEma(net, decay: 0.5f, warmup: false);
        var original = net.W2.ToArray();
        using (Tensor.NoGrad()) net.W2.Add_(Tensor.OnesLike(net.W2));
        ema.Update();                                   // shadow = 0.5 * original + 0.5 * (original + 1)
        var trained = net.W2.ToArray();
        using (ema.Apply())
        {
            var inside = net.W2.ToArray();
            for (int i = 0; i < inside.Length; i++) Assert.Equal(original[i] + 0.5f, inside[i], 5);
        }
        Assert.Equal(trained, net.W2.ToArray());
    }

    [Fact]
    public void AStateOfAnotherModelIsOneErrorAndChangesNothing()
    {
        var net = new TinyNet(3, 4, 2, new Generator(9));
        var ema = new ModelEma(net, decay: 0.5f, warmup: false);
        var before = ema.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        var state = ema.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        state["w1"] = state["w1"].T.Contiguous();          // transposed, as a checkpoint of another layout
        state.Remove("b2");
        var e = Assert.Throws<ArgumentException>(() => ema.LoadStateDict(state, 5));
        Assert.Contains($"'w1' is {state["w1"].Shape} in the state, {net.W1.Shape} in the model", e.Message);
        Assert.Contains("missing 'b2'", e.Message);
        Assert.DoesNotContain("expand", e.Message);
        foreach (var (k, t) in ema.StateDict()) Assert.Equal(before[k], t.ToArray());   // nothing half-restored
        Assert.Equal(0, ema.Updates);
    }
}
