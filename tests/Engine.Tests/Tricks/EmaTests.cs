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
}
