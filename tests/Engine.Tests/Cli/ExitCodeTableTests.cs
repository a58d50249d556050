using System.Text.RegularExpressions;
using Engine.Cli;
using Engine.Tests.Data;

namespace Engine.Tests.Cli;

/// <summary>
/// docs/cli.md's exit-code table is what the command does: every code the table lists has cases here that exit with
/// it (and one line on stderr for the errors), and the table lists no code these cases do not cover.
/// </summary>
[Collection("Cli")]
public class ExitCodeTableTests
{
    // exit code -> commands that must end with it (the run folders are made per case)
    private static readonly Dictionary<int, Func<string, string[]>[]> Cases = new()
    {
        [0] = [_ => ["info"], run => ["train", .. CliRun.Tiny, "--run-dir", run]],
        [1] = [
            run => ["train", "--data", Path.Combine(run, "nope"), .. CliRun.Tiny, "--run-dir", run],       // data folder
            run => ["eval", "--model-file", Path.Combine(run, "missing.safetensors")],                      // model file
            run => ["train", "--resume", Path.Combine(run, "no-such-run")],                                 // checkpoint folder
            run => { File.WriteAllText(Path.Combine(run, "model.safetensors"), "not a safetensors file"); return ["eval", "--model-file", Path.Combine(run, "model.safetensors")]; },
        ],
        [2] = [
            _ => ["trian"],                                     // unknown verb
            _ => ["train", "--bogus", "1"],                     // unknown option
            _ => ["train", "--lr", "fast"],                     // bad value
            _ => ["train", "--lr", "--run-dir", "x"],           // an option where a value belongs
            run => { var cfg = Path.Combine(run, "cfg.json"); File.WriteAllText(cfg, "[1, 2]"); return ["train", "--config", cfg]; },
        ],
        [3] = [_ => ["diagnose", "--batch", "16", "--steps", "50", "--lr", "100", "--out", Path.Combine(CliRun.TempDir(), "d.png")]],
    };

    [Fact]
    public void TheTableListsExactlyTheCodesTheCommandsUse()
    {
        var codes = TableCodes();
        Assert.Equal(Cases.Keys.Append(130).Order(), codes.Order());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EachCaseExitsWithItsCode(int expected)
    {
        foreach (var make in Cases[expected])
        {
            var args = make(CliRun.TempDir());
            var (code, stdout, err) = CliRun.Run(args);
            Assert.True(code == expected, $"engine {string.Join(' ', args)}: exit {code}, the table says {expected}\n{err}{stdout}");
            if (expected is 1 or 2)
            {
                Assert.Single(err.Trim().Split('\n'));            // one line ...
                Assert.DoesNotContain("   at ", err);             // ... and no stack trace
            }
        }
    }

    [Fact]
    public void AnInterruptedTrainExits130()
    {
        var stop = new Interrupt(hookConsole: false);
        stop.Request();                                          // as if Ctrl-C came during the first batch
        Assert.Equal(130, TrainCommand.Run([.. CliRun.Tiny, "--run-dir", CliRun.TempDir()], TextWriter.Null, TextWriter.Null, stop));
    }

    // The first column of the table under "| exit | meaning |" in docs/cli.md.
    private static List<int> TableCodes()
    {
        var lines = File.ReadAllLines(Path.Combine(TestData.RepoRoot(), "docs", "cli.md"));
        int head = Array.FindIndex(lines, l => Regex.IsMatch(l, @"^\|\s*exit\s*\|\s*meaning\s*\|"));
        Assert.True(head >= 0, "docs/cli.md has no '| exit | meaning |' table");
        var codes = new List<int>();
        for (int i = head + 2; i < lines.Length && lines[i].StartsWith('|'); i++)
            codes.Add(int.Parse(lines[i].Split('|', StringSplitOptions.TrimEntries)[1]));
        return codes;
    }
}
