using Engine.Cli;

namespace Engine.Tests.Cli;

/// <summary>Runs the `engine` command in-process and captures its output.</summary>
internal static class CliRun
{
    public static (int code, string stdout, string stderr) Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int code = Commands.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "engine-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>Smallest useful training run: 256 images, one epoch, no live bar.</summary>
    public static readonly string[] Tiny = ["--limit", "256", "--epochs", "1", "--batch", "64", "--plain"];
}
