namespace Engine.Tests.Autograd;

/// <summary>
/// index_select of an Int32 tensor (labels, token ids) keeps Int32 and the exact values, as PyTorch does. It used to
/// come back Float32, so a batch of labels drawn with IndexSelect could not go into Gather or a loss.
/// </summary>
public class IndexSelectIntTests
{
    [Fact]
    public void Dim0KeepsInt32AndExactIds()
    {
        var ids = Tensor.FromArray(new[] { 3, 16_777_217, -5, 42 }, 4, 1);   // 2^24 + 1 is not a float
        var y = ids.IndexSelect(0, Tensor.FromArray(new[] { 1, 3, 1 }, 3));
        Assert.Equal(DType.Int32, y.DType);
        Assert.Equal(new[] { 3, 1 }, y.Shape.ToArray());
        Assert.Equal(new[] { 16_777_217, 42, 16_777_217 }, y.ToIntArray());
    }

    [Fact]
    public void InnerDimOfAStridedView()
    {
        // x [2,3] = [[0,1,2],[10,11,12]]; its transpose [3,2] is a strided view; select rows 2 and 0 of dim 1 of x
        var x = Tensor.FromArray(new[] { 0, 1, 2, 10, 11, 12 }, 2, 3);
        Assert.Equal(new[] { 2, 0, 12, 10 }, x.IndexSelect(1, Tensor.FromArray(new[] { 2, 0 }, 2)).ToIntArray());
        var t = x.T;                                                         // [[0,10],[1,11],[2,12]]
        var y = t.IndexSelect(0, Tensor.FromArray(new[] { 2, 1 }, 2));
        Assert.Equal(DType.Int32, y.DType);
        Assert.Equal(new[] { 2, 12, 1, 11 }, y.ToIntArray());
    }

    [Fact]
    public void AnIndexOutOfRangeNamesIt()
    {
        var x = Tensor.FromArray(new[] { 1, 2, 3 }, 3);
        var e = Assert.Throws<IndexOutOfRangeException>(() => x.IndexSelect(0, Tensor.FromArray(new[] { 3 }, 1)));
        Assert.Contains("index 3 is out of range [0, 2]", e.Message);
    }
}
