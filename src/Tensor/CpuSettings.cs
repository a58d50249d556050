namespace Engine;

/// <summary>
/// Process-wide settings of the CPU backend (PyTorch's <c>torch.set_num_threads</c>).
/// </summary>
/// <remarks>
/// Results do not depend on <see cref="Threads"/>: every reduction and every weight-gradient sum is split into a number of
/// chunks fixed by the shape, and the chunks are combined in a fixed order, so 1, 2 or 64 threads give the same bits.
/// </remarks>
public static class CpuSettings
{
    private static int _threads = FromEnvironment("ENGINE_THREADS", Environment.ProcessorCount);

    /// <summary>
    /// Worker threads a kernel may use (default: the environment variable ENGINE_THREADS, else
    /// <see cref="Environment.ProcessorCount"/>). Setting it takes effect at the next kernel call.
    /// </summary>
    public static int Threads
    {
        get => Volatile.Read(ref _threads);
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), $"CpuSettings.Threads must be at least 1, got {value}");
            Volatile.Write(ref _threads, value);
        }
    }

    private static int FromEnvironment(string name, int fallback)
    {
        var s = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrWhiteSpace(s)) return fallback;
        if (!int.TryParse(s, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int n) || n < 1)
            throw new InvalidOperationException($"environment variable {name}='{s}': expected a whole number of threads >= 1");
        return n;
    }
}
