using Xunit.Sdk;

namespace Engine.Vision.Tests;

/// <summary>
/// The zoo on the ILGPU backend (ILGPU's CPU accelerator here, a CUDA or OpenCL GPU where one is present): the same
/// weights give the CPU backend's logits, in eval mode. mobilenet_v3_small covers the zoo's block kinds beyond plain
/// conv-bn-relu (depthwise convolutions, Hardswish, squeeze-excitation with Hardsigmoid, residual adds). One
/// architecture only: the CPU accelerator runs GPU-shaped kernels slowly (resnet18 took a minute, efficientnet_b0 20 s).
/// </summary>
public class IlgpuZooTests
{
    private static readonly Lazy<Device> Gpu = new(Device.IlgpuCpu);

    [Theory]
    [InlineData("mobilenet_v3_small")]
    public void IlgpuGivesTheCpuLogits(string arch)
    {
        Seed.Everything(21);
        var model = VisionModels.Create(arch, 5);
        // Non-trivial BN statistics, as after training.
        using (Tensor.NoGrad())
            foreach (var (n, b) in model.NamedBuffers())
                if (n.EndsWith("running_mean")) b.Copy_(Tensor.Randn(b.Shape).Mul(0.1f));
                else if (n.EndsWith("running_var")) b.Copy_(Tensor.Rand(b.Shape).Add(0.5f));
        model.Eval();
        var x = Tensor.Randn(1, 3, 32, 32);
        using var _ = Tensor.NoGrad();
        var want = model.Forward(x).ToArray();
        model.MoveTo(Gpu.Value);
        var got = model.Forward(x.To(Gpu.Value)).ToArray();
        double scale = want.Max(v => Math.Abs(v)), err = want.Zip(got, (a, b) => Math.Abs(a - b)).Max();
        if (!(err <= 1e-4 * scale)) throw new XunitException($"{arch} on ILGPU: max |diff| {err:G4} against the CPU's logits of scale {scale:G4}");
    }
}
