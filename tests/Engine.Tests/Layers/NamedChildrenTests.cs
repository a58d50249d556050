namespace Engine.Tests.Layers;

// Children named as an outside checkpoint names them, without a subclass: Sequential with (name, module) pairs,
// ModuleList and ModuleDict as in PyTorch, and Module.AddModule.
[Collection(SerialGenerator.Name)]
public class NamedChildrenTests
{
    [Fact]
    public void NamedSequentialUsesTheNamesInItsStateDict()
    {
        var net = new Sequential(("features", new Sequential(new Conv2d(1, 4, 3), new ReLU())), ("classifier", new Linear(4, 2)));
        Assert.Equal(["features.0.weight", "features.0.bias", "classifier.weight", "classifier.bias"], net.StateDict().Keys.ToArray());
        Assert.IsType<Linear>(net["classifier"]);
        Assert.IsType<Linear>(net[1]);
        var e = Assert.Throws<KeyNotFoundException>(() => net["head"]);
        Assert.Contains("features, classifier", e.Message);
    }

    [Fact]
    public void AStateDictWithOutsideNamesLoadsStrict()
    {
        // A checkpoint laid out as torchvision's VGG names it: features.N.*, classifier.N.*
        var src = new Sequential(("features", new Sequential(new Conv2d(3, 8, 3, padding: 1), new ReLU())), ("classifier", new Sequential(new Flatten(), new Linear(8 * 4 * 4, 5))));
        var dst = new Sequential(("features", new Sequential(new Conv2d(3, 8, 3, padding: 1), new ReLU())), ("classifier", new Sequential(new Flatten(), new Linear(8 * 4 * 4, 5))));
        dst.LoadStateDict(src.StateDict());
        var x = Tensor.Randn(2, 3, 4, 4);
        Assert.Equal(src.Forward(x).ToArray(), dst.Forward(x).ToArray());
    }

    [Fact]
    public void ModuleListAndModuleDictRegisterTheirChildren()
    {
        var list = new ModuleList(new Linear(3, 3), new Linear(3, 3));
        list.Add(new Linear(3, 1));
        Assert.Equal(3, list.Count);
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"], list.StateDict().Keys.ToArray());
        Assert.Equal(3 * (3 * 3 + 3) - (3 * 3 + 3) + (3 + 1), (int)list.ParameterCount());
        Assert.Throws<NotSupportedException>(() => list.Forward(Tensor.Zeros(1, 3)));

        var dict = new ModuleDict(("encoder", new Linear(4, 2)), ("decoder", new Linear(2, 4)));
        Assert.Equal(["encoder", "decoder"], dict.Keys.ToArray());
        Assert.Equal(["encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"], dict.StateDict().Keys.ToArray());
        Assert.True(dict.ContainsKey("decoder"));
        Assert.Throws<KeyNotFoundException>(() => dict["middle"]);
        Assert.Throws<ArgumentException>(() => dict.Add("encoder", new Linear(1, 1)));      // names are unique
        Assert.Throws<ArgumentException>(() => dict.Add("a.b", new Linear(1, 1)));          // and without dots
    }

    [Fact]
    public void AddModuleNamesAChildFromOutside()
    {
        var head = new Linear(4, 2);
        var holder = new ModuleList();
        holder.AddModule("head", head);
        Assert.Contains("head.weight", holder.StateDict().Keys);
    }
}
