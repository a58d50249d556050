namespace Engine.Onnx;

/// <summary>
/// Resolves a tensor's external-data <c>location</c> (onnx.proto: a path relative to the model file's folder) and reads
/// its bytes, refusing anything that would read outside that folder: absolute paths, <c>..</c> segments, and symbolic
/// links (of the file or of any folder on the way) whose target lies outside. A hostile model therefore cannot make
/// the importer read <c>/etc/passwd</c> or <c>../../secret</c>.
/// </summary>
internal static class ExternalData
{
    /// <summary>The bytes [offset, offset + length) of the external file, length = the tensor's declared size.</summary>
    public static byte[] Read(string modelDir, string location, long offset, long? length, long expectedBytes, string tensor)
    {
        var path = Resolve(modelDir, location, tensor);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long size = fs.Length;
        if (offset < 0 || offset > size)
            throw new OnnxException($"tensor '{tensor}': external data offset {offset} is outside '{location}' ({size} bytes)");
        long len = length ?? size - offset;
        if (len != expectedBytes)
            throw new OnnxException($"tensor '{tensor}': external data in '{location}' has {len} bytes{(length is null ? " (to the end of the file)" : "")} but the tensor's dims and type declare {expectedBytes}");
        if (offset + len > size)
            throw new OnnxException($"tensor '{tensor}': external data [{offset}, {offset + len}) runs past the end of '{location}' ({size} bytes)");
        if (len > Array.MaxLength) throw new OnnxException($"tensor '{tensor}': {len} bytes of external data is too large for one tensor");
        var buf = new byte[len];
        fs.Seek(offset, SeekOrigin.Begin);
        fs.ReadExactly(buf);
        return buf;
    }

    /// <summary>The full path of location inside modelDir, or a clear error when it would leave the folder.</summary>
    public static string Resolve(string modelDir, string location, string tensor)
    {
        if (string.IsNullOrEmpty(location))
            throw new OnnxException($"tensor '{tensor}': external data has no location");
        if (location.Contains('\0'))
            throw new OnnxException($"tensor '{tensor}': external data location contains a NUL character");
        if (Path.IsPathRooted(location) || location.StartsWith('~'))
            throw new OnnxException($"tensor '{tensor}': external data location '{location}' is absolute; it must be relative to the model's folder");
        var parts = location.Split('/', '\\');
        if (parts.Any(p => p == ".."))
            throw new OnnxException($"tensor '{tensor}': external data location '{location}' escapes the model's folder ('..' is not allowed)");
        var root = RealPath(Path.GetFullPath(modelDir));
        var full = Path.GetFullPath(Path.Combine(root, location));
        if (!File.Exists(full))
            throw new OnnxException($"tensor '{tensor}': external data file '{location}' not found in the model's folder {root}");
        var real = RealPath(full);
        if (!IsInside(root, real))
            throw new OnnxException($"tensor '{tensor}': external data location '{location}' resolves to {real} (through a symbolic link), outside the model's folder {root}");
        return real;
    }

    private static bool IsInside(string root, string path)
    {
        var r = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        return path.StartsWith(r, StringComparison.Ordinal);
    }

    /// <summary>The path with every symbolic link on it resolved (the C library's realpath), component by component.</summary>
    internal static string RealPath(string fullPath)
    {
        var root = Path.GetPathRoot(fullPath)!;
        var current = root;
        var rest = new Queue<string>(fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries));
        int hops = 0;
        while (rest.Count > 0)
        {
            var part = rest.Dequeue();
            if (part == ".") continue;
            if (part == "..") { current = Path.GetDirectoryName(current) ?? root; continue; }
            var next = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.Exists && info.LinkTarget is { } target)
            {
                if (++hops > 40) throw new OnnxException($"too many levels of symbolic links at {next}");
                var resolved = Path.IsPathRooted(target) ? target : Path.Combine(current, target);
                // Re-walk the link's target, then whatever remained of the path.
                var remaining = rest.ToArray();
                var full = Path.GetFullPath(resolved);
                var r = Path.GetPathRoot(full)!;
                current = r;
                rest = new Queue<string>(full[r.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Concat(remaining));
                continue;
            }
            current = next;
        }
        return current;
    }
}
