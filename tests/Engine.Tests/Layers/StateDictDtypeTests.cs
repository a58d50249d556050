namespace Engine.Tests.Layers;

/// <summary>
/// A tensor of another kind of dtype never loads by reinterpretation (issue 24: an I32 weight of the same byte size
/// loaded and evaluated at 58.5% instead of 66.5%); floating types convert by value.
/// </summary>
public class StateDictDtypeTests
{
    [Fact]
    public void AnIntegerWeightIsRefusedWithItsName()
    {
        var m = new Linear(3, 2);
        var sd = m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        sd["weight"] = Tensor.FromArray(new[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var e = Assert.Throws<ArgumentException>(() => m.LoadStateDict(sd));
        Assert.Contains("dtype mismatch for 'weight'", e.Message);
        Assert.Contains("Int32", e.Message);
    }

    [Fact]
    public void AnIntegerWeightInASafetensorsFileIsRefused()
    {
        var path = Path.Combine(Path.GetTempPath(), $"engine-dtype-{Guid.NewGuid():N}.safetensors");
        try
        {
            var m = new Linear(3, 2);
            Safetensors.Save(path, new Dictionary<string, Tensor> { ["weight"] = Tensor.FromArray(new int[6], 2, 3), ["bias"] = Tensor.Zeros(2) });
            var e = Assert.Throws<ArgumentException>(() => m.Load(path));
            Assert.Contains("dtype mismatch for 'weight'", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Float16ConvertsByValue()
    {
        var m = new Linear(2, 1, bias: false);
        var w = Tensor.FromArray(new[] { 0.5f, -1.25f }, 1, 2).ToDType(DType.Float16);
        m.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = w });
        Assert.Equal(new[] { 0.5f, -1.25f }, m.Weight.ToArray());
        Assert.Equal(DType.Float32, m.Weight.DType);
    }
}
