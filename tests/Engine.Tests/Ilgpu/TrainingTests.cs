using Engine.Kernels.Ilgpu;
using static Engine.Tests.Ilgpu.IlgpuTestKit;

namespace Engine.Tests.Ilgpu;

// Autograd through the device: the same small networks on the CPU backend and on ILGPU's CPU
// accelerator give the same loss and the same gradients (1e-4 abs + 1e-3 rel), and a few SGD steps
// (in-place updates that run as device kernels) track the CPU losses step for step.
[Collection("ilgpu")]
public class TrainingTests
{
    /// <summary>Parameters created from the same values on a device.</summary>
    private static Tensor[] Params(Device d, params (int seed, int[] shape, float scale)[] specs) =>
        specs.Select(s => Tensor.FromArray(Values(new Shape(s.shape).Numel, s.seed, s.scale), s.shape, d).RequiresGrad_()).ToArray();

    private static Tensor CrossEntropy(Tensor logits, Tensor labels) =>
        logits.LogSoftmax(1).Gather(1, labels.Unsqueeze(1)).Mean().Neg();

    // x [8,6] -> Linear(6,16) -> tanh -> Linear(16,3) -> cross-entropy
    private static Tensor Mlp(Tensor[] p, Tensor x, Tensor y) =>
        CrossEntropy((x.Matmul(p[0]) + p[1]).Tanh().Matmul(p[2]) + p[3], y);

    private static readonly (int, int[], float)[] MlpSpec = [(90, [6, 16], 0.4f), (91, [16], 0.1f), (92, [16, 3], 0.3f), (93, [3], 0.1f)];

    // x [2,2,8,8] -> conv 3x3 pad 1 (2->6) -> relu -> maxpool 2 -> depthwise-by-2 conv 3x3 (6->6, groups 3) -> relu
    //   -> avgpool 2 -> flatten [2,24] -> linear -> 3
    private static Tensor ConvNet(Tensor[] p, Tensor x, Tensor y)
    {
        var h = x.Conv2d(p[0], p[1], new Conv2dArgs(PadH: 1, PadW: 1)).Relu().MaxPool2d(new Pool2dArgs(2, 2, 2, 2));
        h = h.Conv2d(p[2], null, new Conv2dArgs(PadH: 1, PadW: 1, Groups: 3)).Relu().AvgPool2d(new Pool2dArgs(2, 2, 2, 2));
        return CrossEntropy(h.Reshape(2, 24).Matmul(p[3]) + p[4], y);
    }

    private static readonly (int, int[], float)[] ConvSpec = [(94, [6, 2, 3, 3], 0.3f), (95, [6], 0.1f), (96, [6, 2, 3, 3], 0.3f), (97, [24, 3], 0.3f), (98, [3], 0.1f)];

    private static void GradsMatch(Func<Tensor[], Tensor, Tensor, Tensor> net, (int, int[], float)[] spec, int[] xShape, int[] labels)
    {
        var pc = Params(Device.Cpu, spec); var pg = Params(Dev, spec);
        var x = Pair(99, xShape);
        var yc = Tensor.FromArray(labels, labels.Length); var yg = yc.To(Dev);
        var lc = net(pc, x.cpu, yc); var lg = net(pg, x.gpu, yg);
        Assert.Equal(Dev, lg.Device);
        Close([lc.Item()], [lg.Item()], 1e-5f, 1e-4f, "loss");
        lc.Backward(); lg.Backward();
        for (int i = 0; i < pc.Length; i++)
        {
            Assert.Equal(Dev, pg[i].Grad!.Device);
            Close(pc[i].Grad!.ToArray(), pg[i].Grad!.ToArray(), 1e-4f, 1e-3f, $"grad of parameter {i}");
        }
    }

    // x [4,2,6] (steps, batch, features) -> h_t = tanh(x_t W^T + h_{t-1} U^T), U^T taken once and W^T per step -> the
    // stacked h, selected, narrowed and index-selected -> linear -> 3. Slices add into one gradient buffer on the device
    // and transposed weight gradients are summed in their own layout (Backprop's in-place sums).
    private static Tensor Recurrent(Tensor[] p, Tensor x, Tensor y)
    {
        var ut = p[1].T;
        var h = x.Select(0, 0).Matmul(p[0].T).Tanh();
        var hs = new List<Tensor> { h };
        for (int t = 1; t < 4; t++) { h = (x.Select(0, t).Matmul(p[0].T) + h.Matmul(ut)).Tanh(); hs.Add(h); }
        var all = Tensor.Stack(hs);                                                     // [4,2,5]
        var feat = all.Narrow(0, 1, 3).Sum(0) + all.IndexSelect(0, [3, 0, 3]).Sum(0) + x.Select(0, 2).Narrow(1, 0, 5);
        return CrossEntropy(feat.Matmul(p[2]) + p[1].Select(0, 4).Narrow(0, 0, 3), y);
    }

    private static readonly (int, int[], float)[] RecurrentSpec = [(102, [5, 6], 0.4f), (103, [5, 5], 0.4f), (104, [5, 3], 0.3f)];

    [Fact]
    public void RecurrentGradientsThroughSlicesMatchCpu() => GradsMatch(Recurrent, RecurrentSpec, [4, 2, 6], [2, 0]);

    [Fact]
    public void MlpGradientsMatchCpu() => GradsMatch(Mlp, MlpSpec, [8, 6], [0, 2, 1, 1, 0, 2, 2, 1]);

    [Fact]
    public void ConvNetGradientsMatchCpu() => GradsMatch(ConvNet, ConvSpec, [2, 2, 8, 8], [1, 2]);

    [Fact]
    public void SgdStepsTrackTheCpuLossAndAllocateNothingAfterTheFirstStep()
    {
        var pool = IlgpuDevices.Backend(Dev).Pool;
        var pc = Params(Device.Cpu, MlpSpec); var pg = Params(Dev, MlpSpec);
        var x = Pair(100, 8, 6);
        var yc = Tensor.FromArray([0, 2, 1, 1, 0, 2, 2, 1], 8); var yg = yc.To(Dev);
        var lossC = new List<float>(); var lossG = new List<float>();
        long allocsAfterFirst = 0;
        for (int step = 0; step < 6; step++)
        {
            foreach (var (p, xs, ys, log) in new[] { (pc, x.cpu, yc, lossC), (pg, x.gpu, yg, lossG) })
            {
                using var _ = Tensor.Scope();
                foreach (var t in p) t.ZeroGrad();
                var loss = Mlp(p, xs, ys);
                loss.Backward();
                log.Add(loss.Item());
                using (Tensor.NoGrad())
                    foreach (var t in p) t.Add_(t.Grad!, -0.5f);    // SGD: p -= lr * grad, a device kernel
            }
            if (step == 1) allocsAfterFirst = pool.DriverAllocations;
        }
        Close(lossC.ToArray(), lossG.ToArray(), 1e-5f, 1e-3f, "loss per step");
        Assert.True(lossG[^1] < lossG[0] * 0.8f, $"loss should fall: {string.Join(", ", lossG)}");
        Assert.Equal(allocsAfterFirst, pool.DriverAllocations);
    }

    [Fact]
    public void Float16StorageRoundTripsThroughTheDevice()
    {
        var x = Pair(101, 3, 4);
        var hc = x.cpu.ToDType(DType.Float16); var hg = x.gpu.ToDType(DType.Float16);
        Assert.Equal(DType.Float16, hg.DType);
        Assert.Equal(hc.ToArray(), hg.ToArray());                      // identical RNE rounding
        Assert.Equal(hc.ToArray(), hg.To(Device.Cpu).ToArray());
        Assert.Equal(hc.ToArray(), hc.To(Dev).ToArray());
    }

    [Fact]
    public void OutOfMemoryNamesTheRequestAndWhatIsFree()
    {
        var pool = IlgpuDevices.Backend(Dev).Pool;
        var saved = pool.LimitBytes;
        try
        {
            pool.LimitBytes = pool.LiveBytes + (1 << 20);
            var e = Assert.Throws<OutOfMemoryException>(() => Tensor.Zeros(new Shape(1024, 1024), Dev));
            Assert.Contains("4.0 MiB", e.Message);
            Assert.Contains("1048576 elements", e.Message);
            Assert.Contains("free", e.Message);
        }
        finally { pool.LimitBytes = saved; }
    }

    [Fact]
    public void DisposedTensorsReturnTheirMemoryToThePool()
    {
        var pool = IlgpuDevices.Backend(Dev).Pool;
        // Tensors of earlier tests that were never disposed are released by finalizers: let them run
        // first, so they cannot change the count in the middle of this test.
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        long live = pool.LiveBytes;
        var t = Tensor.Zeros(new Shape(333, 3), Dev);
        Assert.Equal(live + 333 * 3 * 4, pool.LiveBytes);
        t.Dispose();
        Assert.Equal(live, pool.LiveBytes);
        using (Tensor.Scope()) { _ = Tensor.Ones(new Shape(333, 3), Dev) * 2f; }
        Assert.Equal(live, pool.LiveBytes);
    }

    [Fact]
    public void BestIsTheCpuWithoutAGpuAndUnknownDevicesAreNamedErrors()
    {
        if (IlgpuDevices.Count(DeviceType.Cuda) + IlgpuDevices.Count(DeviceType.OpenCL) == 0)
            Assert.Equal(Device.Cpu, Device.Best());
        else Assert.False(Device.Best().IsCpu);
        var e = Assert.Throws<InvalidOperationException>(() => Device.Cuda(7));
        Assert.Contains("Cuda", e.Message);
    }

    [CudaFact]
    public void MlpGradientsMatchCpuOnCuda()
    {
        var cuda = Device.Cuda();
        var pc = Params(Device.Cpu, MlpSpec); var pg = Params(cuda, MlpSpec);
        var x = Tensor.FromArray(Values(48, 99), 8, 6);
        var y = Tensor.FromArray([0, 2, 1, 1, 0, 2, 2, 1], 8);
        var lc = Mlp(pc, x, y); var lg = Mlp(pg, x.To(cuda), y.To(cuda));
        lc.Backward(); lg.Backward();
        Close([lc.Item()], [lg.Item()], 1e-5f, 1e-4f);
        for (int i = 0; i < pc.Length; i++) Close(pc[i].Grad!.ToArray(), pg[i].Grad!.ToArray(), 1e-4f, 1e-3f);
    }

    [OpenCLFact]
    public void MatmulMatchesCpuOnOpenCL()
    {
        var cl = Device.OpenCL();
        var a = Tensor.FromArray(Values(2 * 70 * 33, 1), 2, 70, 33); var b = Tensor.FromArray(Values(2 * 33 * 65, 2), 2, 33, 65);
        Close(Cpu.Matmul(a, b).ToArray(), cl.Backend.Matmul(a.To(cl), b.To(cl)).ToArray(), 1e-4f, 1e-4f);
    }
}
