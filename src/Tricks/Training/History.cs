using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Engine.Training;

/// <summary>
/// Every value a training run logged: per-epoch series (train_loss, val_loss, val_accuracy, lr, ...),
/// per-step series (loss, lr), and the <see cref="RunInfo"/> that makes the result traceable.
/// </summary>
public sealed class History
{
    public Dictionary<string, List<double>> Epochs { get; } = new();
    public Dictionary<string, List<double>> Steps { get; } = new();
    public RunInfo? Run { get; set; }

    public void LogEpoch(string key, double value) => Add(Epochs, key, value);
    public void LogStep(string key, double value) => Add(Steps, key, value);

    private static void Add(Dictionary<string, List<double>> d, string key, double value)
    {
        if (!d.TryGetValue(key, out var l)) d[key] = l = new List<double>();
        l.Add(value);
    }

    /// <summary>The last value of an epoch series, or null.</summary>
    public double? Last(string key) => Epochs.TryGetValue(key, out var l) && l.Count > 0 ? l[^1] : null;

    /// <summary>Per-epoch series as CSV: one row per epoch, one column per key (empty where not logged).</summary>
    public string ToCsv()
    {
        var keys = Epochs.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        int rows = Epochs.Values.Select(v => v.Count).DefaultIfEmpty(0).Max();
        var sb = new StringBuilder("epoch");
        foreach (var k in keys) sb.Append(',').Append(k);
        sb.AppendLine();
        for (int r = 0; r < rows; r++)
        {
            sb.Append(r + 1);
            foreach (var k in keys)
            {
                sb.Append(',');
                if (r < Epochs[k].Count) sb.Append(Epochs[k][r].ToString("R", CultureInfo.InvariantCulture));
            }
            sb.AppendLine();
        }
        return sb.ToString();
    }

    /// <summary>Replaces the series with those of a saved history (a resumed run continues its curves).</summary>
    public void Restore(System.Text.Json.Nodes.JsonObject saved)
    {
        Epochs.Clear(); Steps.Clear();
        foreach (var (key, target) in new[] { ("epochs", Epochs), ("steps", Steps) })
            if (saved[key] is System.Text.Json.Nodes.JsonObject o)
                foreach (var (k, v) in o) target[k] = v!.AsArray().Select(n => n!.GetValue<double>()).ToList();
    }

    public string ToJson() => JsonSerializer.Serialize(new { run = Run, epochs = Epochs, steps = Steps }, new JsonSerializerOptions { WriteIndented = true });
}
