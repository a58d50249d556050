namespace Engine.Tests.Cli;

/// <summary>`engine diagnose`: overfit-one-batch on a sound and a broken setup.</summary>
[Collection("Cli")]
public class DiagnoseTests
{
    [Fact]
    public void HealthySetupDrivesTheLossToZero()
    {
        var png = Path.Combine(CliRun.TempDir(), "loss.png");
        var (code, stdout, err) = CliRun.Run("diagnose", "--batch", "16", "--steps", "100", "--optimizer", "adam", "--lr", "0.01", "--out", png);
        Assert.True(code == 0, err + stdout);
        Assert.Contains("diagnosis: Healthy", stdout);
        Assert.True(new FileInfo(png).Length > 1000);
    }

    [Fact]
    public void HugeLearningRateIsDiagnosedAsExploding()
    {
        var png = Path.Combine(CliRun.TempDir(), "loss.png");
        var (code, stdout, err) = CliRun.Run("diagnose", "--batch", "16", "--steps", "50", "--lr", "100", "--out", png);
        Assert.Equal(3, code);
        Assert.Contains("diagnosis: Exploding", stdout);
        Assert.True(File.Exists(png), err);
    }
}
