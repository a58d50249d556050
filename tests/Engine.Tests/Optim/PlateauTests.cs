namespace Engine.Tests.Optim;

/// <summary>ReduceLROnPlateau on scripted metric sequences, worked out by hand (PyTorch's sequences are in SchedulerTests).</summary>
public class PlateauTests
{
    private static (Optimizer opt, Tensor p) Opt(double lr)
    {
        var p = Tensor.Zeros(1).RequiresGrad_().Keep();
        return (new SGD([p], lr: lr), p);
    }

    [Fact]
    public void ReducesAfterPatienceBadEpochsThenCoolsDown()
    {
        var (opt, _) = Opt(1.0);
        var s = new ReduceLROnPlateau(opt, factor: 0.25, patience: 2, threshold: 0, cooldown: 2);
        double[] metric = [5, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3];
        // epoch 1-2 improve; 3, 4, 5 are bad: 3 > patience at 5, cut to 0.25, cooldown 2;
        // 6 and 7 are bad but ignored (cooldown); 8, 9 bad (count 1, 2); 10 improves;
        // 11, 12, 13 bad: cut to 0.0625 at 13
        double[] expected = [1, 1, 1, 1, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.0625];
        for (int i = 0; i < metric.Length; i++)
        {
            s.Step(metric[i]);
            Assert.True(Math.Abs(expected[i] - opt.ParamGroups[0].Lr) < 1e-12, $"epoch {i + 1}: lr {opt.ParamGroups[0].Lr}, expected {expected[i]}");
        }
        Assert.Equal(3, s.Best);
    }

    [Fact]
    public void MaxModeWithRelativeThresholdAndFloor()
    {
        var (opt, _) = Opt(0.1);
        var s = new ReduceLROnPlateau(opt, mode: "max", factor: 0.5, patience: 0, threshold: 0.1, minLr: 0.03);
        s.Step(0.50);               // best 0.5
        Assert.Equal(0.1, opt.ParamGroups[0].Lr, 12);
        s.Step(0.54);               // not > 0.5 · 1.1 = 0.55: bad, patience 0 → cut to 0.05
        Assert.Equal(0.05, opt.ParamGroups[0].Lr, 12);
        s.Step(0.56);               // > 0.55: better
        Assert.Equal(0.05, opt.ParamGroups[0].Lr, 12);
        s.Step(0.56);               // bad → max(0.025, 0.03) = 0.03
        Assert.Equal(0.03, opt.ParamGroups[0].Lr, 12);
        s.Step(0.1);                // bad, but already at the floor
        Assert.Equal(0.03, opt.ParamGroups[0].Lr, 12);
        Assert.Equal(0.56, s.Best, 12);
    }

    [Fact]
    public void NaNIsNeverAnImprovement()
    {
        var (opt, _) = Opt(1.0);
        var s = new ReduceLROnPlateau(opt, patience: 1);
        s.Step(1.0);
        s.Step(double.NaN);
        s.Step(double.NaN);
        Assert.Equal(0.1, opt.ParamGroups[0].Lr, 12);
        Assert.Equal(1.0, s.Best);
    }

    [Fact]
    public void StateRoundTripsMidPlateau()
    {
        var (opt, _) = Opt(1.0);
        var a = new ReduceLROnPlateau(opt, factor: 0.5, patience: 3, cooldown: 1);
        foreach (var m in new double[] { 3, 2, 2, 2 }) a.Step(m);
        var saved = a.StateDict();
        var (opt2, _) = Opt(1.0);
        var b = new ReduceLROnPlateau(opt2, factor: 0.5, patience: 3, cooldown: 1);
        b.LoadStateDict(saved);
        foreach (var m in new double[] { 2, 2, 1, 1, 1, 1 }) { a.Step(m); b.Step(m); Assert.Equal(opt.ParamGroups[0].Lr, opt2.ParamGroups[0].Lr); }
        Assert.Equal(0.5, opt.ParamGroups[0].Lr, 12);   // one cut at the 6th epoch, counted from the restored bad epochs; 3 bad epochs after 1 are within patience
        Assert.Equal(a.NumBadEpochs, b.NumBadEpochs);
    }
}
