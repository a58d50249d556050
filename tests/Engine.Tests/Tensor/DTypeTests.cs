namespace Engine.Tests.Tensors;

/// <summary>Float16 as a storage type: ToDType(Float16) rounds as IEEE half (round to nearest even), and back is exact.</summary>
public class DTypeTests
{
    [Fact]
    public void Float16RoundTripRoundsAsIeeeHalf()
    {
        float[] v = [0f, 1f, -2.5f, 1f / 3, 65504f, 70000f, 1e-8f, 6.1e-5f, 5.96e-8f, 2049f, 2051f, float.NaN, float.NegativeInfinity, 0.1f];
        var x = Tensor.FromArray(v);
        var h = x.ToDType(DType.Float16);
        Assert.Equal(DType.Float16, h.DType);
        Assert.Equal(v.Length * 2, h.Storage.Bytes);
        var back = h.ToDType(DType.Float32);
        Assert.Equal(DType.Float32, back.DType);
        var got = back.ToArray();
        for (int i = 0; i < v.Length; i++)
        {
            float expected = (float)(Half)v[i];          // .NET's conversion is IEEE round-to-nearest-even
            Assert.True(expected.Equals(got[i]), $"element {i}: {v[i]} -> half -> float gave {got[i]}, expected {expected}");
        }
        Assert.Equal(2048f, got[9]);                      // 2049 is a tie between 2048 and 2050: to even
        Assert.Equal(2052f, got[10]);                     // 2051: tie between 2050 and 2052: to even
        Assert.Equal(float.PositiveInfinity, got[5]);     // overflow
        Assert.Equal(0.0999755859375f, got[13]);
        Assert.Equal(got, h.ToArray());                   // ToArray converts too
        // back and forth once more changes nothing
        Assert.Equal(got, back.ToDType(DType.Float16).ToDType(DType.Float32).ToArray());
    }

    [Fact]
    public void Float16OfAStridedViewAndGradientFlowsBackAsFloat32()
    {
        var x = Tensor.FromArray([0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f], 2, 3).RequiresGrad_();
        var h = x.T.ToDType(DType.Float16);
        Assert.Equal([3, 2], h.Shape.ToArray());
        Assert.Equal(new[] { 0.1f, 0.4f, 0.2f, 0.5f, 0.3f, 0.6f }.Select(v => (float)(Half)v), h.ToArray());
        h.ToDType(DType.Float32).Mul(Tensor.FromArray([1f, 2, 3, 4, 5, 6], 3, 2)).Sum().Backward();
        Assert.Equal(DType.Float32, x.Grad!.DType);
        Assert.Equal([1f, 3, 5, 2, 4, 6], x.Grad.ToArray());
    }

    [Fact]
    public void Float16LeafAccumulatesItsGradient()
    {
        var x = Tensor.FromArray([0.5f, -1.25f]).ToDType(DType.Float16).RequiresGrad_();
        x.ToDType(DType.Float32).Mul(Tensor.FromArray([3f, 0.5f])).Sum().Backward();
        Assert.Equal(DType.Float16, x.Grad!.DType);
        Assert.Equal([3f, 0.5f], x.Grad.ToArray());
        x.ToDType(DType.Float32).Mul(Tensor.FromArray([1f, 0.25f])).Sum().Backward();   // second pass: += into a Float16 gradient
        Assert.Equal(DType.Float16, x.Grad!.DType);
        Assert.Equal([4f, 0.75f], x.Grad.ToArray());
    }
}
