namespace Engine.Tests.Cli;

[Collection("Cli")]
public class InfoTests
{
    [Fact]
    public void InfoNamesSimdCoresAndDevices()
    {
        var (code, stdout, _) = CliRun.Run("info");
        Assert.Equal(0, code);
        foreach (var item in new[] { "SIMD (kernels)", "ENGINE_SIMD", "cores", "best device", "ScottPlot", Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            Assert.Contains(item, stdout);
        // The width the kernels use, as CpuSettings has it.
        Assert.Contains(Engine.Training.RunInfo.Name(CpuSettings.Simd), stdout);
    }

    [Fact]
    public void HelpListsEveryVerb()
    {
        var (code, stdout, _) = CliRun.Run("help");
        Assert.Equal(0, code);
        foreach (var verb in new[] { "train", "diagnose", "eval", "info", "bench" }) Assert.Contains(verb, stdout);
    }
}
