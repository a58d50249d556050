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
        var tmp = path + ".tmp";
        Safetensors.Save(tmp, model.StateDict(), meta);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Rebuilds the model saved by <see cref="Save"/>; a checkpoint or foreign file is a clear error.</summary>
    public static (Module model, string name, Standardize norm) Load(string path, Device device)
    {
        if (!File.Exists(path)) throw new UsageException($"--model-file {path}: no such file; give the model.safetensors of a run folder");
        Dictionary<string, Tensor> tensors;
        Dictionary<string, string> meta;
        try { tensors = Safetensors.Load(path, out meta, device); }
        catch (Exception e) when (e is InvalidDataException or FormatException or System.Text.Json.JsonException or ArgumentException or EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: not a readable safetensors file ({e.Message}); the file is corrupted or truncated, train again or use the run's best.safetensors");
        }
        if (!meta.TryGetValue(Key, out var name))
            throw new InvalidDataException($"{path}: no '{Key}' metadata, so the architecture is unknown; give the model.safetensors written by `engine train`");
        var ci = CultureInfo.InvariantCulture;
        int hidden = int.Parse(meta.GetValueOrDefault("hidden", "256"), ci);
        float[] Floats(string k) => meta[k].Split(',').Select(v => float.Parse(v, ci)).ToArray();
        var model = ModelZoo.Build(name, hidden).To(device);
        try { model.LoadStateDict(tensors); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KeyNotFoundException or ShapeException)
        {
            throw new InvalidDataException($"{path}: its tensors do not fit a '{name}' model ({e.Message}); the file is damaged or from another version");
        }
        return (model, name, new Standardize(Floats("mean"), Floats("std")));
    }
}
