using System.Diagnostics;
using Engine.Training;

namespace Engine.Tests.Cli;

/// <summary>
/// SIGTERM (what container runtimes and systemd send to stop a process) stops `engine train` like the first Ctrl-C:
/// after the current batch, exit 130, last.safetensors intact and resumable.
/// </summary>
public class SigtermTests
{
    [Fact]
    public async Task SigtermStopsTrainingGracefully()
    {
        if (OperatingSystem.IsWindows()) return;   // no SIGTERM there; Ctrl-C is tested in-process
        var run = CliRun.TempDir();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "engine.dll"), "train", "--limit", "512", "--epochs", "500", "--batch", "64", "--plain", "--hidden", "16", "--run-dir", run })
            psi.ArgumentList.Add(a);
        psi.Environment["TERM"] = "dumb";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var last = Checkpoints.LastFile(run);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!File.Exists(last) && !p.HasExited && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(File.Exists(last), $"no checkpoint within the time limit: {(p.HasExited ? await stderr : "")}");
        Assert.False(p.HasExited, $"the run ended before the signal: {(p.HasExited ? await stdout : "")}");

        using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        bool exited = true;
        try { await p.WaitForExitAsync(limit.Token); }
        catch (OperationCanceledException) { exited = false; p.Kill(entireProcessTree: true); }
        Assert.True(exited, "engine train did not stop within 60 s of SIGTERM");
        Assert.Equal(130, p.ExitCode);
        Assert.Contains("SIGTERM", await stderr);
        Checkpoints.Verify(last);                                    // intact: header and every metadata field
    }
}
