using System.Globalization;
using System.Text.Json;

namespace Engine.Cli;

/// <summary>
/// Parsed `--name value` options of one verb, with typed getters that name the bad option.
/// Flags (`--amp`) take no value. `--config FILE.json` supplies defaults with the same keys
/// (without the dashes); options given on the command line win.
/// </summary>
public sealed class Options
{
    private readonly Dictionary<string, string> _values = new();
    private readonly Dictionary<string, string> _origin = new();
    private readonly List<string> _positionals = new();

    /// <summary>The positional arguments in order (only for a verb that declares them).</summary>
    public IReadOnlyList<string> Positionals => _positionals;

    /// <param name="positionals">Whether the verb takes positional arguments (`engine predict ... IMAGE...`); they are
    /// collected in <see cref="Positionals"/>. A verb that declares none rejects them. After a bare `--` every argument
    /// is positional (a file whose name starts with dashes).</param>
    public static Options Parse(string[] args, IReadOnlySet<string> known, IReadOnlySet<string>? flags = null, bool positionals = false)
    {
        flags ??= new HashSet<string>();
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (positionals && a == "--") { o._positionals.AddRange(args[(i + 1)..]); break; }
            if (positionals && !a.StartsWith("--", StringComparison.Ordinal)) { o._positionals.Add(a); continue; }
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
                throw new UsageException($"unexpected argument '{a}'; options look like --name value");
            var name = a[2..];
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
            if (!known.Contains(name) && !flags.Contains(name))
                throw new UsageException($"unknown option --{name}; known options: {string.Join(", ", known.Concat(flags).Order().Select(k => "--" + k))}");
            if (flags.Contains(name)) value ??= "true";
            else if (value == null)
            {
                if (i + 1 >= args.Length) throw new UsageException($"option --{name} needs a value");
                // `--lr --run-dir X` forgot lr's value: taking "--run-dir" as it would be silently wrong.
                // (A value that really starts with two dashes can be given as --name=value.)
                if (args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2)
                    throw new UsageException($"option --{name} needs a value, but the next argument is the option {args[i + 1].Split('=')[0]}; give --{name} a value before it (or write --{name}=VALUE)");
                value = args[++i];
            }
            o._values[name] = value;
            o._origin[name] = "--" + name;
        }
        if (o._values.TryGetValue("config", out var config) && known.Contains("config")) o.MergeConfig(config, known, flags);
        return o;
    }

    /// <summary>Adds the keys of a JSON object file that the command line did not set.</summary>
    private void MergeConfig(string path, IReadOnlySet<string> known, IReadOnlySet<string> flags)
    {
        if (!File.Exists(path)) throw new UsageException($"--config {path}: no such file; give a JSON object like {{\"epochs\": 3, \"lr\": 0.05}}");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new UsageException($"--config {path}: not valid JSON ({e.Message})"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new UsageException($"--config {path}: expected a JSON object of option names to values");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                var name = p.Name.TrimStart('-');
                if (name == "config" || (!known.Contains(name) && !flags.Contains(name)))
                    throw new UsageException($"--config {path}: unknown key '{p.Name}'; keys are the option names without dashes: {string.Join(", ", known.Concat(flags).Where(k => k != "config").Order())}");
                if (_values.ContainsKey(name)) continue;   // the command line wins
                string value = p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString()!,
                    JsonValueKind.Number => p.Value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    JsonValueKind.Array => string.Join(",", p.Value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText())),
                    _ => throw new UsageException($"--config {path}: key '{p.Name}' has a {p.Value.ValueKind} value; use a string, number, boolean or list"),
                };
                _values[name] = value;
                _origin[name] = $"'{p.Name}' in {path}";
            }
        }
    }

    private string Origin(string name) => _origin.GetValueOrDefault(name, "--" + name);

    /// <summary>The options as given (command line and config file), by name.</summary>
    public IReadOnlyDictionary<string, string> Values => _values;

    public bool Has(string name) => _values.ContainsKey(name);

    public string? String(string name) => _values.GetValueOrDefault(name);

    /// <summary>One of the allowed words (case-insensitive), or the fallback.</summary>
    public string Choice(string name, string fallback, params string[] allowed)
    {
        if (!_values.TryGetValue(name, out var s)) return fallback;
        var v = s.ToLowerInvariant();
        if (!allowed.Contains(v)) throw new UsageException($"{Origin(name)} must be one of {string.Join(", ", allowed)}, got '{s}'");
        return v;
    }

    /// <summary>A comma-separated list of allowed words (empty when absent).</summary>
    public string[] List(string name, params string[] allowed)
    {
        if (!_values.TryGetValue(name, out var s)) return [];
        var items = s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x => x.ToLowerInvariant()).ToArray();
        foreach (var i in items)
            if (!allowed.Contains(i)) throw new UsageException($"{Origin(name)}: unknown item '{i}'; choose from {string.Join(", ", allowed)} (comma-separated)");
        return items.Distinct().ToArray();
    }

    public bool Flag(string name)
    {
        if (!_values.TryGetValue(name, out var s)) return false;
        return s.ToLowerInvariant() switch
        {
            "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            _ => throw new UsageException($"{Origin(name)} is a switch: give it alone (--{name}) or as true/false, got '{s}'"),
        };
    }

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!_values.TryGetValue(name, out var s)) return fallback;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            throw new UsageException($"{Origin(name)} expects a whole number, got '{s}'");
        if (v < min || v > max) throw new UsageException($"{Origin(name)} must be between {min} and {max}, got {v}");
        return v;
    }

    public float Float(string name, float fallback, float min = float.NegativeInfinity, float max = float.PositiveInfinity)
    {
        if (!_values.TryGetValue(name, out var s)) return fallback;
        if (!float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !float.IsFinite(v))
            throw new UsageException($"{Origin(name)} expects a number, got '{s}'");
        if (v < min || v > max) throw new UsageException($"{Origin(name)} must be between {min} and {max}, got {v}");
        return v;
    }
}
