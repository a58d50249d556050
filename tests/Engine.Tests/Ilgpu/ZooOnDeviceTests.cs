using Engine.Tests.Optim;
using static Engine.Tests.Ilgpu.IlgpuTestKit;

namespace Engine.Tests.Ilgpu;

/// <summary>
/// One case of every zoo optimizer on ILGPU's CPU accelerator: the updates run as device kernels (and L-BFGS,
/// Prodigy and SOAP read their scalars and matrices back) and track the CPU backend for 4 steps.
/// </summary>
[Collection("ilgpu")]
public class ZooOnDeviceTests
{
    public static IEnumerable<object[]> OnePerOptimizer() =>
        ZooFixtures.Root.GetProperty("cases").EnumerateArray()
            .GroupBy(c => c.GetProperty("optimizer").GetString())
            .Select(g => new object[] { g.First().GetProperty("name").GetString()! });

    [Theory]
    [MemberData(nameof(OnePerOptimizer))]
    public void DeviceTracksCpu(string name)
    {
        var c = ZooFixtures.Case(name);
        var cpu = new ZooFixtures.Problem();
        var dev = new ZooFixtures.Problem(Dev);
        var optCpu = ZooFixtures.Build(c, cpu);
        var optDev = ZooFixtures.Build(c, dev);
        for (int step = 1; step <= 4; step++)
        {
            cpu.Step(optCpu);
            dev.Step(optDev);
            Assert.Equal(Dev, dev.W.Device);
            Close(cpu.W.ToArray(), dev.W.ToArray(), 1e-5f, 1e-4f, $"{name} W after step {step}");
            Close(cpu.B.ToArray(), dev.B.ToArray(), 1e-5f, 1e-4f, $"{name} b after step {step}");
        }
        foreach (var (buffer, t) in optDev.State(dev.W).Buffers)
            Assert.True(t.Device == Dev, $"{name}: state buffer {buffer} lives on {t.Device}, not on the parameter's device");
    }
}
