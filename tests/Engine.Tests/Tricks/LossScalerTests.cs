using Engine.Training;

namespace Engine.Tests.Tricks;

public class LossScalerTests
{
    [Fact]
    public void OverflowSkipsTheStepAndHalvesTheScale()
    {
        var p = Tensor.Ones(3).RequiresGrad_();
        var scaler = new LossScaler(initScale: 1024f, growthInterval: 2);
        // A finite step: gradient of scale * sum(p * 2) is 2 * scale; unscaled it is 2.
        scaler.ScaleLoss(p.Mul(2f).Sum()).Backward();
        bool stepped = false;
        Assert.True(scaler.Step([p], () => stepped = true));
        Assert.True(stepped);
        Assert.Equal(new[] { 2f, 2f, 2f }, p.Grad!.ToArray());
        Assert.Equal(1024f, scaler.Scale);
        p.ZeroGrad();

        // An overflowing step: the gradient is Inf after scaling; the step is skipped.
        scaler.ScaleLoss(p.Mul(float.MaxValue).Sum()).Backward();
        stepped = false;
        Assert.False(scaler.Step([p], () => stepped = true));
        Assert.False(stepped);
        Assert.Null(p.Grad);
        Assert.Equal(512f, scaler.Scale);
        Assert.Equal(1, scaler.SkippedSteps);
    }

    [Fact]
    public void ScaleGrowsAfterCleanSteps()
    {
        var scaler = new LossScaler(initScale: 8f, growthInterval: 3);
        for (int i = 0; i < 3; i++) scaler.Update(true);
        Assert.Equal(16f, scaler.Scale);
        Assert.Equal(0, scaler.GoodSteps);
    }
}
