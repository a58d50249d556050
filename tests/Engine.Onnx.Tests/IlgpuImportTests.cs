using Engine.Tests.TestUtil;

namespace Engine.Onnx.Tests;

/// <summary>
/// An imported model moved to an ILGPU device (ILGPU's CPU accelerator in CI, a real GPU where one is lent) gives the
/// CPU backend's outputs, and its gradients flow there too.
/// </summary>
public class IlgpuImportTests
{
    private static readonly Lazy<Device> Dev = new(Device.IlgpuCpu);

    [TorchTheory]
    [InlineData("cnn_opset13")]
    [InlineData("transformer_opset17")]
    [InlineData("transformer_opset13")]
    public void RunsOnAnIlgpuDeviceAsOnTheCpu(string stem)
    {
        var (x, expected) = OnnxGoldens.Case(stem);
        var model = OnnxModel.Load(OnnxGoldens.PathOf(stem), Dev.Value);
        Assert.All(model.Parameters(), p => Assert.Equal(Dev.Value, p.Device));
        var y = model.Forward(x.To(Dev.Value));
        Assert.Equal(Dev.Value, y.Device);
        OnnxGoldens.Close(expected, y.To(Device.Cpu), 1e-4f, 1e-5f, $"{stem} on {Dev.Value}");

        // Backward on the device reaches the first layer's weight.
        y.Square().Sum().Backward();
        Assert.Contains(model.Parameters(), p => p.Grad != null && p.Grad.Device == Dev.Value);
    }
}
