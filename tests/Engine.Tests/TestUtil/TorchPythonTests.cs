namespace Engine.Tests.TestUtil;

/// <summary>The test-time goldens' runner itself: arguments reach the script, its output comes back whole.</summary>
public class TorchPythonTests
{
    [TorchFact]
    public void RunsAGeneratorAndReturnsItsOutput()
    {
        var lines = TorchPython.Run("torch/probe.py", "7").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("1.", lines[0]); // Debian's torch 1.13, which the goldens are written for
        var doubled = lines[1].Split(' ').Select(double.Parse).ToArray();
        var x = lines[2].Split(' ').Select(double.Parse).ToArray();
        Assert.Equal(3, x.Length);
        for (int i = 0; i < 3; i++) Assert.Equal(2 * x[i], doubled[i]);
        // The seed reaches the script: another seed, other numbers.
        var other = TorchPython.Run("torch/probe.py", "8").Split('\n', StringSplitOptions.RemoveEmptyEntries)[2];
        Assert.NotEqual(lines[2], other);
    }

    [TorchFact]
    public void AFailingScriptThrowsWithItsStderr()
    {
        var e = Assert.Throws<InvalidOperationException>(() => TorchPython.Run("torch/probe.py", "not-a-number"));
        Assert.Contains("ValueError", e.Message);
    }
}
