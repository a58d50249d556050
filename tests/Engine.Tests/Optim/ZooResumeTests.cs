namespace Engine.Tests.Optim;

/// <summary>
/// Every zoo case: 6 steps, a state dict, 6 more steps in a fresh optimizer over fresh parameters that load it,
/// give the bits of 12 uninterrupted steps. And the state matters: resuming with only the group options ends elsewhere.
/// </summary>
public class ZooResumeTests
{
    public static IEnumerable<object[]> Cases() => ZooFixtures.CaseNames("torch").Concat(ZooFixtures.CaseNames("reference"));

    private const int Before = 6, After = 6;

    [Theory]
    [MemberData(nameof(Cases))]
    public void ResumesBitForBit(string name)
    {
        var c = ZooFixtures.Case(name);

        var a = new ZooFixtures.Problem();
        var optA = ZooFixtures.Build(c, a);
        for (int i = 0; i < Before + After; i++) a.Step(optA);

        var b = new ZooFixtures.Problem();
        var optB = ZooFixtures.Build(c, b);
        for (int i = 0; i < Before; i++) b.Step(optB);
        var saved = optB.StateDict();
        var (w, bias) = (b.W.ToArray(), b.B.ToArray());
        b.Step(optB);                                       // the saved state is a snapshot: later steps leave it alone

        var fresh = new ZooFixtures.Problem();
        var optC = ZooFixtures.Build(c, fresh);
        Load(fresh, w, bias);
        optC.LoadStateDict(saved);
        for (int i = 0; i < After; i++) fresh.Step(optC);
        Assert.True(a.W.ToArray().SequenceEqual(fresh.W.ToArray()), $"{name}: W differs after resuming");
        Assert.True(a.B.ToArray().SequenceEqual(fresh.B.ToArray()), $"{name}: b differs after resuming");

        // without the per-parameter state (only the group options, which hold Prodigy's d and schedule-free's k) the path differs
        var bare = new ZooFixtures.Problem();
        var optD = ZooFixtures.Build(c, bare);
        Load(bare, w, bias);
        var options = new StateDict();
        foreach (var (k, v) in saved.Values) if (k.StartsWith("param_groups.", StringComparison.Ordinal) || k.StartsWith("inner.param_groups.", StringComparison.Ordinal)) options.Values[k] = v;
        optD.LoadStateDict(options);
        for (int i = 0; i < After; i++) bare.Step(optD);
        Assert.False(a.W.ToArray().SequenceEqual(bare.W.ToArray()), $"{name}: resuming without the optimizer's state gave the same weights, so the check above proves nothing");
    }

    private static void Load(ZooFixtures.Problem pb, float[] w, float[] b)
    {
        using var _ = Tensor.NoGrad();
        pb.W.Copy_(Tensor.FromArray(w, 3, 4));
        pb.B.Copy_(Tensor.FromArray(b, 3));
    }
}
