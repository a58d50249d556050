using System.Diagnostics;

namespace Engine.Tests.TestUtil;

/// <summary>
/// Goldens too big to commit (the weights of a resnet50, an exported ONNX file, a BERT) are written at test time by
/// a generator script beside the fixtures, run with Debian's python3 and torch 1.13 (<c>python3-torch</c>,
/// <c>python3-torchvision</c>, <c>python3-onnx</c>).
/// <para>
/// A machine with only the .NET SDK skips those tests, with the reason in the test report. Where
/// <c>ENGINE_REQUIRE_TORCH=1</c> (CI sets it, after installing the packages) a missing python or torch is a failure,
/// so the goldens can never silently stop running.
/// </para>
/// </summary>
public static class TorchPython
{
    private static readonly Lazy<string?> Missing = new(Probe);

    /// <summary>
    /// The interpreter: <c>ENGINE_PYTHON</c> if set, else Debian's <c>/usr/bin/python3</c> (where apt puts torch),
    /// else whatever <c>python3</c> the PATH finds. A pyenv or venv python earlier on the PATH usually has no torch,
    /// so the system one wins when it exists.
    /// </summary>
    public static string Python { get; } =
        Environment.GetEnvironmentVariable("ENGINE_PYTHON") is { Length: > 0 } p ? p
        : File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>True where CI demands the torch goldens (<c>ENGINE_REQUIRE_TORCH=1</c>).</summary>
    public static bool Required => Environment.GetEnvironmentVariable("ENGINE_REQUIRE_TORCH") == "1";

    /// <summary>Null when python3 imports torch, torchvision and onnx; otherwise why not.</summary>
    public static string? WhyUnavailable => Missing.Value;

    /// <summary>
    /// Runs <c>fixtures/<paramref name="script"/></c> with <paramref name="args"/> in the fixture folder's copy next
    /// to the test assembly and returns its stdout. Throws with the script's stderr when it fails.
    /// </summary>
    public static string Run(string script, params string[] args)
    {
        if (WhyUnavailable is { } why) throw new InvalidOperationException($"cannot run {script}: {why}");
        var path = Fixtures.PathOf(script);
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(path);
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The goldens are computed with one thread, so a loaded machine gives the same bits.
        psi.Environment["OMP_NUM_THREADS"] = "1";
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("python3 did not start");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{script} {string.Join(' ', args)} exited {p.ExitCode}:\n{stderr.Result}");
        return stdout;
    }

    /// <summary>A fresh folder under the temp directory for a generator's output; the caller deletes it.</summary>
    public static string TempDir(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string? Probe()
    {
        try
        {
            var psi = new ProcessStartInfo(Python, ["-c", "import torch, torchvision, onnx"])
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var p = Process.Start(psi);
            if (p is null) return "python3 did not start";
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? null : $"{Python} cannot import torch, torchvision and onnx ({err.Trim().Split('\n').LastOrDefault()}); apt-get install python3-torch python3-torchvision python3-onnx";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{Python} is not installed ({e.Message}); apt-get install python3-torch python3-torchvision python3-onnx";
        }
    }
}

/// <summary>
/// A fact that needs python3 with torch (<see cref="TorchPython"/>): skipped, with the reason, where it is missing,
/// unless <c>ENGINE_REQUIRE_TORCH=1</c>, where it runs and fails.
/// </summary>
public sealed class TorchFactAttribute : FactAttribute
{
    public TorchFactAttribute()
    {
        if (!TorchPython.Required && TorchPython.WhyUnavailable is { } why) Skip = why;
    }
}

/// <summary>The theory form of <see cref="TorchFactAttribute"/>.</summary>
public sealed class TorchTheoryAttribute : TheoryAttribute
{
    public TorchTheoryAttribute()
    {
        if (!TorchPython.Required && TorchPython.WhyUnavailable is { } why) Skip = why;
    }
}
