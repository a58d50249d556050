using System.Diagnostics;
using Engine.Training;

namespace Engine.Tests.Tricks;

/// <summary>Crash-safe writes (issue 24): leftovers of killed writers are removed, copies leave no partial temp file.</summary>
[Collection("Data.GlobalGenerator")]
public class DurableFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "engine-durable-" + Guid.NewGuid().ToString("N"));

    public DurableFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The id of a process that has exited (ids are reused only after wrapping around, far beyond a test's life).</summary>
    private static int DeadPid()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }

    private string Touch(string name, int bytes = 16)
    {
        var f = Path.Combine(_dir, name);
        File.WriteAllBytes(f, new byte[bytes]);
        return f;
    }

    [Fact]
    public void StaleTempsOfDeadWritersAreRemovedAndLiveOnesKept()
    {
        string guid() => Guid.NewGuid().ToString("N");
        var dead = Touch($".epoch-0003.safetensors.{DeadPid()}.{guid()}.tmp");
        var mine = Touch($".epoch-0004.safetensors.{Environment.ProcessId}.{guid()}.tmp");   // a write in progress
        var legacy = Touch("last.safetensors.tmp");                                          // old-style partial copy
        var keep = Touch("epoch-0002.safetensors");
        var other = Touch(".notes.tmp");                                                     // not our pattern

        var removed = DurableFile.RemoveStaleTemps(_dir, "last.safetensors");

        Assert.Equal(new[] { dead, legacy }.Order(), removed.Order());
        Assert.False(File.Exists(dead));
        Assert.False(File.Exists(legacy));
        Assert.True(File.Exists(mine));
        Assert.True(File.Exists(keep));
        Assert.True(File.Exists(other));
    }

    [Fact]
    public void CopyIsCompleteAndLeavesNoTempFile()
    {
        var src = Path.Combine(_dir, "epoch-0001.safetensors");
        var bytes = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray();
        File.WriteAllBytes(src, bytes);
        var dst = Path.Combine(_dir, "last.safetensors");
        File.WriteAllBytes(dst, [1, 2, 3]);                                    // an older last is replaced

        DurableFile.Copy(src, dst);

        Assert.Equal(bytes, File.ReadAllBytes(dst));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void AFailedCopyLeavesNoPartialTempFile()
    {
        var src = Touch("epoch-0001.safetensors", 4096);
        var dst = Path.Combine(_dir, "last.safetensors");
        Directory.CreateDirectory(dst);                                        // the rename onto a folder fails

        Assert.ThrowsAny<IOException>(() => DurableFile.Copy(src, dst));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void AFolderCanBeSyncedOnLinux()
    {
        if (!OperatingSystem.IsLinux()) return;
        Assert.True(DurableFile.SyncDirectory(_dir));
        Assert.False(DurableFile.SyncDirectory(Path.Combine(_dir, "no-such-folder")));
    }

    [Fact]
    public void TrainingStartRemovesTheLeftoversOfAKilledRun()
    {
        var dead = Touch($".epoch-0002.safetensors.{DeadPid()}.{Guid.NewGuid():N}.tmp", 1000);
        var legacy = Touch("best.safetensors.tmp");
        var data = Blobs.Make(32, 8, 4, 16, seed: 41);
        var net = new TinyNet(8, 16, 4, new Generator(42));
        var opt = new Adam(net.Parameters(), lr: 1e-2);
        new Trainer(net, opt, TinyNet.CrossEntropy).With(new Checkpoints(_dir, every: 1, keepLast: 2)).Fit(data, data, epochs: 1);

        Assert.False(File.Exists(dead));
        Assert.False(File.Exists(legacy));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
        Assert.True(File.Exists(Checkpoints.LastFile(_dir)));
        Assert.Equal(File.ReadAllBytes(Checkpoints.PathFor(_dir, 1)), File.ReadAllBytes(Checkpoints.LastFile(_dir)));
    }
}
