namespace Engine.Tests.Data;

/// <summary>Temp files and the repository root for the data tests.</summary>
internal static class TestData
{
    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "engine-data-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    public static string Write(string dir, string name, byte[] bytes)
    {
        var p = Path.Combine(dir, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    public static string WriteText(string dir, string name, string text)
    {
        var p = Path.Combine(dir, name);
        File.WriteAllText(p, text);
        return p;
    }

    /// <summary>An IDX file of unsigned bytes: magic 00 00 08 nd, big-endian dims, data.</summary>
    public static byte[] Idx(int[] dims, byte[] data)
    {
        var b = new List<byte> { 0, 0, 8, (byte)dims.Length };
        foreach (int d in dims) b.AddRange([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        b.AddRange(data);
        return b.ToArray();
    }

    public static string RepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d != null && !File.Exists(Path.Combine(d.FullName, "Engine.sln"))) d = d.Parent;
        return d?.FullName ?? throw new DirectoryNotFoundException("Engine.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>n samples [c,h,w] with values v = sample index + pixel / 1000 and labels i % classes.</summary>
    public static Engine.Data.TensorDataset Numbered(int n, int classes = 3, params int[] shape)
    {
        if (shape.Length == 0) shape = [1, 2, 2];
        int size = shape.Aggregate(1, (a, b) => a * b);
        var x = new float[n * size];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < size; k++) x[i * size + k] = i + k / 1000f;
        return new Engine.Data.TensorDataset(x, Enumerable.Range(0, n).Select(i => i % classes).ToArray(), shape);
    }
}
