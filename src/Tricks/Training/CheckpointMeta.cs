using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Training;

/// <summary>
/// The JSON metadata of a checkpoint (<see cref="Checkpoints.Format"/>), checked field by field before anything is
/// restored: a damaged or hand-edited file is one <see cref="InvalidDataException"/> naming the file, the field and
/// what was expected, and the model, optimizer and generators are untouched. Nothing reads the JSON except through
/// this check, so a field can never be half-trusted (a type error thrown mid-restore, a negative epoch that
/// overwrites earlier checkpoints).
/// </summary>
public static class CheckpointMeta
{
    /// <summary>More epochs than any run trains; a larger epochs_done is a damaged file, not a long run.</summary>
    public const int MaxEpochs = 1_000_000;

    /// <summary>Parses and checks the metadata of <paramref name="path"/>; returns it as a JSON object every field of which has been checked.</summary>
    public static JsonObject Parse(string path, string json)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(json); }
        catch (JsonException e) { throw Bad(path, "the metadata", $"JSON ({e.Message})"); }
        if (node is not JsonObject meta) throw Bad(path, "the metadata", "a JSON object");
        try { _ = meta.Count; }
        catch (ArgumentException e) { throw Bad(path, "the metadata", $"an object without duplicated keys ({e.Message})"); }

        Int(path, meta, "epochs_done", 0, MaxEpochs, required: true);
        Long(path, meta, "optimizer_steps", required: true);
        Long(path, meta, "global_batch", required: true);
        if (meta["mid_epoch"] is JsonNode mid && !(mid is JsonValue mv && mv.TryGetValue<bool>(out _))) throw Bad(path, "mid_epoch", "true or false");
        if (meta["best"] is JsonNode best && !IsNumber(best)) throw Bad(path, "best", "a number or null");
        Words(path, meta, "rng", Generator.Default.GetState().Length, required: true);
        Numbers(path, meta, "optimizer", required: true);
        Numbers(path, meta, "scheduler", required: false);
        Numbers(path, meta, "scaler", required: false);
        Long(path, meta, "ema_updates", required: false);
        if (meta["early_stopping"] is JsonNode es && es is not JsonObject) throw Bad(path, "early_stopping", "an object");
        Words(path, meta, "data", null, required: false);
        if (meta["loader"] is JsonNode ln)
        {
            if (ln is not JsonObject lo) throw Bad(path, "loader", "an object with epoch, batch and rng");
            Int(path, lo, "epoch", 0, MaxEpochs, required: true, prefix: "loader.");
            Int(path, lo, "batch", 0, int.MaxValue, required: true, prefix: "loader.");
            Words(path, lo, "rng", Generator.Default.GetState().Length, required: true, prefix: "loader.");
            Int(path, lo, "sample_position", 0, int.MaxValue, required: false, prefix: "loader.");   // DistributedSampler runs
            Int(path, lo, "replicas", 1, int.MaxValue, required: false, prefix: "loader.");
        }
        History(path, meta);
        return meta;
    }

    // history: {"run": ..., "epochs": {metric: [numbers]}, "steps": {metric: [numbers]}} (History.ToJson)
    private static void History(string path, JsonObject meta)
    {
        if (meta["history"] is not JsonNode h) return;
        if (h is not JsonObject ho) throw Bad(path, "history", "an object of metric lists");
        foreach (var part in new[] { "epochs", "steps" })
        {
            if (ho[part] is not JsonNode pn) continue;
            if (pn is not JsonObject metrics) throw Bad(path, $"history.{part}", "an object of metric lists");
            foreach (var (name, list) in metrics)
            {
                if (list is not JsonArray a) throw Bad(path, $"history.{part}.{name}", "a list of numbers");
                for (int i = 0; i < a.Count; i++)
                    if (a[i] is null || !IsNumber(a[i]!)) throw Bad(path, $"history.{part}.{name}[{i}]", $"a number, got {a[i]?.ToJsonString() ?? "null"}");
            }
        }
    }

    private static bool IsNumber(JsonNode n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.Number;

    private static void Int(string path, JsonObject o, string key, int min, int max, bool required, string prefix = "")
    {
        if (o[key] is not JsonNode n) { if (required) throw Missing(path, prefix + key); return; }
        if (n is not JsonValue v || !v.TryGetValue<long>(out long x) || x < min || x > max)
            throw Bad(path, prefix + key, $"a whole number from {min} to {max}, got {n.ToJsonString()}");
    }

    private static void Long(string path, JsonObject o, string key, bool required)
    {
        if (o[key] is not JsonNode n) { if (required) throw Missing(path, key); return; }
        if (n is not JsonValue v || !v.TryGetValue<long>(out long x) || x < 0)
            throw Bad(path, key, $"a whole number >= 0, got {n.ToJsonString()}");
    }

    private static void Numbers(string path, JsonObject o, string key, bool required)
    {
        if (o[key] is not JsonNode n) { if (required) throw Missing(path, key); return; }
        if (n is not JsonObject values) throw Bad(path, key, "an object of numbers");
        foreach (var (k, v) in values)
            if (v is null || !IsNumber(v)) throw Bad(path, $"{key}.{k}", $"a number, got {v?.ToJsonString() ?? "null"}");
    }

    // Random-generator states are saved as decimal strings of 64-bit words (JSON numbers lose bits above 2^53).
    private static void Words(string path, JsonObject o, string key, int? count, bool required, string prefix = "")
    {
        if (o[key] is not JsonNode n) { if (required) throw Missing(path, prefix + key); return; }
        if (n is not JsonArray a) throw Bad(path, prefix + key, "an array of 64-bit words as strings");
        if (count is int c && a.Count != c) throw Bad(path, prefix + key, $"{c} words, got {a.Count}");
        for (int i = 0; i < a.Count; i++)
            if (a[i] is not JsonValue v || !v.TryGetValue<string>(out var s) || !ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                throw Bad(path, $"{prefix}{key}[{i}]", $"a 64-bit word as a decimal string, got {a[i]?.ToJsonString() ?? "null"}");
    }

    private static InvalidDataException Missing(string path, string field) =>
        new($"{path}: checkpoint metadata has no '{field}'; the checkpoint is damaged: resume from an intact epoch-NNNN.safetensors (copy it over last.safetensors) or start a new run");

    private static InvalidDataException Bad(string path, string field, string expected) =>
        new($"{path}: checkpoint metadata '{field}' is not {expected}; the checkpoint is damaged: resume from an intact epoch-NNNN.safetensors (copy it over last.safetensors) or start a new run");
}
