using System.Globalization;
using Engine.Data;

namespace Engine.Cli;

/// <summary>
/// model.safetensors of a run: the model's state dict plus metadata naming the architecture and the
/// input standardization, so `engine eval --model-file F` can rebuild and feed it without other files.
/// </summary>
public static class ModelFile
{
    public const string Key = "engine.cli.model";

    public static void Save(string path, Module model, TrainSettings s, Standardize norm)
    {
        var ci = CultureInfo.InvariantCulture;
        var meta = new Dictionary<string, string>
        {
            [Key] = s.Model,
            ["hidden"] = s.Hidden.ToString(ci),
            ["mean"] = string.Join(",", norm.Mean.Select(m => m.ToString("R", ci))),
            ["std"] = string.Join(",", norm.Std.Select(m => m.ToString("R", ci))),
        };
        // Safetensors.Save writes through a temp file and renames it: a crash leaves the old file or the new one.
        var views = model.StateDict();
        try { Safetensors.Save(path, views, meta); }
        finally { foreach (var v in views.Values) v.Dispose(); }
    }

    /// <summary>Rebuilds the model saved by <see cref="Save"/>; a checkpoint or foreign file is a clear error.</summary>
    public static (Module model, string name, Standardize norm) Load(string path, Device device)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--model-file {path}: no such file; give the model.safetensors of a run folder", path);
        Dictionary<string, Tensor> tensors;
        Dictionary<string, string> meta;
        try { tensors = Safetensors.Load(path, out meta, device); }
        catch (Exception e) when (e is InvalidDataException or FormatException or System.Text.Json.JsonException or ArgumentException or EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: not a readable safetensors file ({e.Message}); the file is corrupted or truncated, train again or use the run's best.safetensors");
        }
        if (!meta.TryGetValue(Key, out var name))
            throw new InvalidDataException($"{path}: no '{Key}' metadata, so the architecture is unknown; give the model.safetensors written by `engine train`");
        // Every metadata field is checked before it is used: one line naming the file, the field and what was expected.
        int hidden = HiddenOf(path, meta);
        var mean = FloatsOf(path, meta, "mean");
        var std = FloatsOf(path, meta, "std");
        if (mean.Length != std.Length)
            throw new InvalidDataException($"{path}: metadata 'mean' has {mean.Length} values but 'std' has {std.Length}; they must match (the file is damaged)");
        foreach (var v in std)
            if (!(v > 0)) throw new InvalidDataException($"{path}: metadata 'std' holds {v.ToString(CultureInfo.InvariantCulture)}; every standard deviation must be > 0 (the file is damaged)");
        Module model;
        try { model = ModelZoo.Build(name, hidden).To(device); }
        catch (Exception e) when (e is ArgumentException or UsageException) { throw new InvalidDataException($"{path}: metadata '{Key}' = '{name}' is not a model this version builds ({e.Message})"); }
        try { model.LoadStateDict(tensors); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KeyNotFoundException or ShapeException)
        {
            throw new InvalidDataException($"{path}: its tensors do not fit a '{name}' model ({e.Message}); the file is damaged or from another version");
        }
        return (model, name, new Standardize(mean, std));
    }

    /// <summary>Largest hidden width a model file may declare: far above any real run, far below an allocation that fails.</summary>
    public const int MaxHidden = 1 << 16;

    private static int HiddenOf(string path, Dictionary<string, string> meta)
    {
        if (!meta.TryGetValue("hidden", out var text)) return 256;   // files of older versions had no 'hidden'
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int hidden) || hidden < 1 || hidden > MaxHidden)
            throw new InvalidDataException($"{path}: metadata 'hidden' = '{text}'; expected a whole number of units from 1 to {MaxHidden}");
        return hidden;
    }

    private static float[] FloatsOf(string path, Dictionary<string, string> meta, string key)
    {
        if (!meta.TryGetValue(key, out var text))
            throw new InvalidDataException($"{path}: no '{key}' metadata (the input standardization); give the model.safetensors written by `engine train`");
        var parts = text.Split(',');
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
                throw new InvalidDataException($"{path}: metadata '{key}' value {i + 1} is '{parts[i]}'; expected comma-separated finite numbers");
        return values;
    }
}
