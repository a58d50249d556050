using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Engine;

/// <summary>
/// Crash-safe file writes. A file is written to a temporary name in its own folder, flushed to disk, renamed over
/// the final name, and then the folder itself is synced, so that after a power loss either the old or the new file
/// is there, complete. Temporary names carry the writer's process id (<c>.NAME.PID.GUID.tmp</c>) so that a later
/// run can tell the leftovers of a killed writer from a write in progress and remove them.
/// </summary>
public static partial class DurableFile
{
    /// <summary>The temporary name for a write of <paramref name="fullPath"/> by this process: <c>DIR/.NAME.PID.GUID.tmp</c>.</summary>
    public static string TempNameFor(string fullPath) =>
        Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");

    /// <summary>
    /// Copies <paramref name="from"/> to <paramref name="to"/> atomically and durably: copy to a temporary file,
    /// fsync it, rename it into place, fsync the folder. A failed copy (a full disk) leaves no partial temp file.
    /// </summary>
    public static void Copy(string from, string to)
    {
        var full = Path.GetFullPath(to);
        var tmp = TempNameFor(full);
        try
        {
            using (var src = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.Read))
            using (var dst = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                src.CopyTo(dst);
                dst.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
        SyncDirectory(Path.GetDirectoryName(full)!);
    }

    /// <summary>
    /// Makes a rename inside <paramref name="directory"/> durable: fsync(2) on the folder (Linux and macOS).
    /// Best effort: where the platform or file system cannot sync a folder (Windows, some network mounts) it returns false.
    /// </summary>
    public static bool SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return false;
        try
        {
            int fd = Native.open(directory, 0 /* O_RDONLY */);
            if (fd < 0) return false;
            try { return Native.fsync(fd) == 0; }
            finally { Native.close(fd); }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }   // a libc .NET cannot bind
    }

    [GeneratedRegex(@"^\..+\.(?<pid>\d{1,10})\.[0-9a-f]{32}\.tmp$")]
    private static partial Regex TempPattern();

    /// <summary>
    /// Removes the temporary files that writers which are no longer running left in <paramref name="directory"/>
    /// (a kill -9 mid-write), and the old-style <c>NAME.tmp</c> partial copies of <paramref name="legacyNames"/>.
    /// Temp files of a live process are kept: that write may be in progress. Returns the paths removed.
    /// </summary>
    public static IReadOnlyList<string> RemoveStaleTemps(string directory, params string[] legacyNames)
    {
        var removed = new List<string>();
        if (!Directory.Exists(directory)) return removed;
        foreach (var f in Directory.EnumerateFiles(directory, ".*.tmp"))
        {
            var m = TempPattern().Match(Path.GetFileName(f));
            if (!m.Success || !int.TryParse(m.Groups["pid"].Value, out int pid) || IsRunning(pid)) continue;
            if (TryDelete(f)) removed.Add(f);
        }
        foreach (var name in legacyNames)
        {
            var f = Path.Combine(directory, name + ".tmp");
            if (File.Exists(f) && TryDelete(f)) removed.Add(f);
        }
        return removed;
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try { using var p = Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }      // no such process
        catch (InvalidOperationException) { return false; }
    }

    private static bool TryDelete(string f)
    {
        try { File.Delete(f); return true; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private static class Native
    {
        [DllImport("libc", SetLastError = true)] public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
        [DllImport("libc", SetLastError = true)] public static extern int fsync(int fd);
        [DllImport("libc", SetLastError = true)] public static extern int close(int fd);
    }
}
