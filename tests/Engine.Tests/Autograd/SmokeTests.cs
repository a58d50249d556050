namespace Engine.Tests.Autograd;

public class SmokeTests
{
    [Fact]
    public void MatmulAndBackward()
    {
        var a = Tensor.FromArray([1f, 2, 3, 4, 5, 6], 2, 3).RequiresGrad_();
        var b = Tensor.FromArray([1f, 0, 0, 1, 1, 1], 3, 2).RequiresGrad_();
        var y = a.Matmul(b);
        Assert.Equal(new[] { 4f, 5, 10, 11 }, y.ToArray());
        y.Sum().Backward();
        Assert.Equal(new[] { 1f, 1, 2, 1, 1, 2 }, a.Grad!.ToArray());
        Assert.Equal(new[] { 5f, 5, 7, 7, 9, 9 }, b.Grad!.ToArray());
    }
}
