using Engine.Training;

namespace Engine.Tests.Tricks;

public class EarlyStoppingTests
{
    [Fact]
    public void StopsAfterPatienceAndRestoresTheBestWeights()
    {
        var net = new TinyNet(3, 4, 2, new Generator(9));
        var es = new EarlyStopping(patience: 2, minDelta: 0.01f);
        double[] valLoss = [1.0, 0.8, 0.7, 0.695, 0.71, 0.9, 0.5];
        float[]? bestW = null;
        int stoppedAt = -1;
        for (int epoch = 0; epoch < valLoss.Length; epoch++)
        {
            using (Tensor.NoGrad()) net.B2.Fill_(epoch);           // "training" changes the weights
            if (epoch == 2) bestW = net.B2.ToArray();
            if (es.Observe(epoch, valLoss[epoch], net)) { stoppedAt = epoch; break; }
        }
        // 0.695 is not better than 0.7 by more than 0.01: epochs 3, 4, 5 are bad; patience 2 stops at 5.
        Assert.Equal(5, stoppedAt);
        Assert.Equal(2, es.BestEpoch);
        Assert.Equal(0.7, es.Best!.Value, 6);
        Assert.True(es.Restore(net));
        Assert.Equal(bestW, net.B2.ToArray());
    }

    [Fact]
    public void AccuracyIsMaximized()
    {
        var es = new EarlyStopping(patience: 0, monitor: "val_accuracy");
        Assert.True(es.Maximize);
        Assert.False(es.Observe(0, 0.5));
        Assert.False(es.Observe(1, 0.6));
        Assert.True(es.Observe(2, 0.55));
    }
}
