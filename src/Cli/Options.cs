using System.Globalization;

namespace Engine.Cli;

/// <summary>Parsed `--name value` options of one verb, with typed getters that name the bad option.</summary>
public sealed class Options
{
    private readonly Dictionary<string, string> _values = new();

    public static Options Parse(string[] args, IReadOnlySet<string> known)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
                throw new UsageException($"unexpected argument '{a}'; options look like --name value");
            var name = a[2..];
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
            if (!known.Contains(name))
                throw new UsageException($"unknown option --{name}; known options: {string.Join(", ", known.Order().Select(k => "--" + k))}");
            if (value == null)
            {
                if (i + 1 >= args.Length) throw new UsageException($"option --{name} needs a value");
                value = args[++i];
            }
            o._values[name] = value;
        }
        return o;
    }

    public string? String(string name) => _values.GetValueOrDefault(name);

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!_values.TryGetValue(name, out var s)) return fallback;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            throw new UsageException($"--{name} expects a whole number, got '{s}'");
        if (v < min || v > max) throw new UsageException($"--{name} must be between {min} and {max}, got {v}");
        return v;
    }

    public float Float(string name, float fallback, float min = float.NegativeInfinity, float max = float.PositiveInfinity)
    {
        if (!_values.TryGetValue(name, out var s)) return fallback;
        if (!float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !float.IsFinite(v))
            throw new UsageException($"--{name} expects a number, got '{s}'");
        if (v < min || v > max) throw new UsageException($"--{name} must be between {min} and {max}, got {v}");
        return v;
    }
}
