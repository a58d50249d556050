namespace Engine.Tests.Layers;

/// <summary>Strict LoadStateDict: what PyTorch's strict load_state_dict lets a state dict leave out (num_batches_tracked) and what it does not.</summary>
public class StrictLoadTests
{
    private static Sequential Net() => new(new Conv2d(1, 2, 3), new BatchNorm2d(2), new ReLU());

    [Fact]
    public void AStateDictWithoutNumBatchesTrackedLoadsStrictAndKeepsTheCount()
    {
        using var scope = Tensor.Scope();
        var src = Net();
        src.Forward(Tensor.Randn(new Shape(4, 1, 5, 5), new Generator(1))); // training step: running stats and count move
        var sd = src.StateDict();
        Assert.True(sd.Remove("1.num_batches_tracked"));

        var dst = Net();
        dst.Forward(Tensor.Randn(new Shape(4, 1, 5, 5), new Generator(2)));
        dst.Forward(Tensor.Randn(new Shape(4, 1, 5, 5), new Generator(3))); // dst has counted 2 batches
        dst.LoadStateDict(sd, strict: true);
        Assert.Equal(src.StateDict()["1.running_mean"].ToArray(), dst.StateDict()["1.running_mean"].ToArray());
        Assert.Equal(src.StateDict()["1.running_var"].ToArray(), dst.StateDict()["1.running_var"].ToArray());
        Assert.Equal(src.StateDict()["0.weight"].ToArray(), dst.StateDict()["0.weight"].ToArray());
        Assert.Equal(2, (int)((BatchNorm2d)dst[1]).NumBatchesTracked!.Item());
    }

    [Fact]
    public void OtherMissingKeysAreStillRefusedUnderStrict()
    {
        using var scope = Tensor.Scope();
        var sd = Net().StateDict();
        sd.Remove("1.num_batches_tracked");
        sd.Remove("1.running_mean");
        var e = Assert.Throws<ArgumentException>(() => Net().LoadStateDict(sd));
        Assert.Contains("missing key '1.running_mean'", e.Message);
        Assert.DoesNotContain("num_batches_tracked", e.Message);
        Assert.Contains("1 problem(s)", e.Message);
    }

    [Fact]
    public void ANumBatchesTrackedOfTheWrongShapeIsStillAMismatch()
    {
        using var scope = Tensor.Scope();
        var sd = Net().StateDict();
        sd["1.num_batches_tracked"] = Tensor.Zeros(new Shape(2), dtype: DType.Int32);
        var e = Assert.Throws<ArgumentException>(() => Net().LoadStateDict(sd));
        Assert.Contains("shape mismatch for '1.num_batches_tracked'", e.Message);
    }
}
