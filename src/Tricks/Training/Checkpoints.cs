using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Training;

/// <summary>
/// Periodic checkpoints with resume. Each checkpoint is one safetensors file holding the model, the
/// optimizer's state, the learning-rate scheduler, the EMA weights, the loss scaler, early stopping,
/// the random generator and the training position, so that resuming from it continues exactly as
/// the uninterrupted run would. Files are written to a temporary name and renamed into place: a crash
/// mid-save leaves the previous checkpoints intact. The last <see cref="KeepLast"/> are kept, plus
/// best.safetensors (by <see cref="Monitor"/>) and last.safetensors.
/// </summary>
/// <remarks>
/// Checkpoints are written at the end of every <see cref="Every"/>-th epoch and, with
/// <see cref="EverySteps"/>, after every N-th optimizer step. Give the training <see cref="Engine.Data.DataLoader"/>
/// as <see cref="Loader"/> so its shuffling state and position are saved too: a run resumed from a
/// mid-epoch checkpoint then continues with the very next batch.
/// </remarks>
public sealed class Checkpoints : Callback
{
    public const string Format = "engine.checkpoint.v1";

    public Checkpoints(string directory, int every = 1, int keepLast = 3, string monitor = "val_loss", bool? maximize = null, bool resume = false, int everySteps = 0)
    {
        if (everySteps < 0) throw new ArgumentOutOfRangeException(nameof(everySteps), $"checkpoints: everySteps must be >= 0, got {everySteps}");
        EverySteps = everySteps;
        if (every < 1) throw new ArgumentOutOfRangeException(nameof(every), $"checkpoints: every must be >= 1, got {every}");
        if (keepLast < 1) throw new ArgumentOutOfRangeException(nameof(keepLast), $"checkpoints: keepLast must be >= 1, got {keepLast}");
        Directory = directory; Every = every; KeepLast = keepLast; Monitor = monitor; Resume = resume;
        Maximize = maximize ?? monitor.Contains("acc", StringComparison.OrdinalIgnoreCase);
    }

    public string Directory { get; }
    public int Every { get; }
    public int KeepLast { get; }
    public string Monitor { get; }
    public bool Maximize { get; }
    /// <summary>When true, training starts from last.safetensors in <see cref="Directory"/> if it exists.</summary>
    public bool Resume { get; }
    /// <summary>Also checkpoint after every N-th optimizer step (0: only at epoch ends).</summary>
    public int EverySteps { get; }
    /// <summary>The training loader, whose position and shuffling state are saved and restored.</summary>
    public Data.DataLoader? Loader { get; init; }
    /// <summary>Any other random state of the data (augmentations' generators, a custom loader), saved and restored as words.</summary>
    public (Func<ulong[]> get, Action<ulong[]> set)? DataState { get; init; }

    /// <summary>False on all but one process of a data-parallel run: it resumes from the directory but writes nothing there.</summary>
    public bool WriteFiles { get; init; } = true;

    public double? Best { get; private set; }
    public string? LastPath { get; private set; }

    public static string PathFor(string dir, int epoch) => System.IO.Path.Combine(dir, $"epoch-{epoch:D4}.safetensors");
    public static string StepPathFor(string dir, long step) => System.IO.Path.Combine(dir, $"step-{step:D8}.safetensors");
    public static string LastFile(string dir) => System.IO.Path.Combine(dir, "last.safetensors");
    public static string BestFile(string dir) => System.IO.Path.Combine(dir, "best.safetensors");

    public override void OnTrainStart(TrainContext ctx)
    {
        // Leftovers of writers killed mid-save (".epoch-0003.safetensors.PID.GUID.tmp", an old "last.safetensors.tmp").
        if (WriteFiles) DurableFile.RemoveStaleTemps(Directory, "last.safetensors", "best.safetensors");
        if (!Resume) return;
        var last = LastFile(Directory);
        if (File.Exists(last)) ctx.StartEpoch = Load(ctx, last);
    }

    public override void AfterStep(TrainContext ctx)
    {
        if (!WriteFiles || EverySteps == 0 || ctx.OptimizerSteps % EverySteps != 0) return;
        var path = StepPathFor(Directory, ctx.OptimizerSteps);
        Save(ctx, path, ctx.Epoch, midEpoch: true);
        Publish(path, LastFile(Directory));
        LastPath = path;
        Prune("step-*.safetensors");
    }

    public override void OnEpochEnd(TrainContext ctx)
    {
        int done = ctx.Epoch + 1;
        bool isBest = false;
        if (ctx.ValidationMetrics.TryGetValue(Monitor, out var m) || ctx.TrainMetrics.TryGetValue(Monitor.Replace("val_", "train_"), out m))
            if (Best is not double b || (Maximize ? m > b : m < b)) { Best = m; isBest = true; }
        if (!WriteFiles || (done % Every != 0 && !isBest && done != ctx.Epochs && !ctx.StopTraining)) return;
        var path = PathFor(Directory, done);
        Save(ctx, path, done, midEpoch: false);
        Publish(path, LastFile(Directory));
        if (isBest) Publish(path, BestFile(Directory));
        LastPath = path;
        Prune("epoch-*.safetensors");
        Prune("step-*.safetensors");
    }

    /// <summary>Copies a finished checkpoint to a fixed name: temp file, fsync, rename, fsync of the folder (atomic and durable).</summary>
    private static void Publish(string from, string to) => DurableFile.Copy(from, to);

    private void Prune(string pattern)
    {
        var files = System.IO.Directory.GetFiles(Directory, pattern).OrderBy(f => f, StringComparer.Ordinal).ToList();
        foreach (var f in files.Take(Math.Max(0, files.Count - KeepLast))) File.Delete(f);
    }

    /// <summary>
    /// Writes everything needed to continue training: after <paramref name="epoch"/> completed epochs, or
    /// (midEpoch) inside epoch <paramref name="epoch"/> after the current batch.
    /// </summary>
    public void Save(TrainContext ctx, string path, int epoch, bool midEpoch)
    {
        var tensors = new Dictionary<string, Tensor>();
        var meta = new JsonObject
        {
            ["format"] = Format,
            ["epochs_done"] = epoch,
            ["mid_epoch"] = midEpoch,
            ["optimizer_steps"] = ctx.OptimizerSteps,
            ["global_batch"] = ctx.GlobalBatch,
            ["best"] = Best,
            ["rng"] = new JsonArray(Generator.Default.GetState().Select(u => (JsonNode)u.ToString(CultureInfo.InvariantCulture)).ToArray()),
            ["engine"] = typeof(Tensor).Assembly.GetName().Version?.ToString(),
        };
        // Made for this file and disposed once it is written: the model's detached views and the optimizer's and
        // scheduler's state copies (a checkpoint per epoch must not leave them to the GC).
        var made = new List<Tensor>();
        var views = ctx.Model.StateDict();
        made.AddRange(views.Values);
        foreach (var (k, t) in views) tensors["model." + k] = t;
        meta["optimizer"] = AddState(tensors, "optimizer.", ctx.Optimizer.StateDict(), made);
        foreach (var cb in ctx.Trainer.Callbacks)
            switch (cb)
            {
                case LrSchedule s: meta["scheduler"] = AddState(tensors, "scheduler.", s.Scheduler.StateDict(), made); break;
                case ModelEma e:
                    foreach (var (k, t) in e.StateDict()) tensors["ema." + k] = t;
                    meta["ema_updates"] = e.Updates;
                    break;
                case MixedPrecision mp: meta["scaler"] = ToJson(mp.Scaler.StateDict()); break;
                case EarlyStopping es: meta["early_stopping"] = es.SaveState(tensors, "early_stopping."); break;
            }
        if (DataState is var (get, _)) meta["data"] = new JsonArray(get().Select(u => (JsonNode)u.ToString(CultureInfo.InvariantCulture)).ToArray());
        if (Loader != null)
        {
            var ls = Loader.GetState();
            meta["loader"] = new JsonObject
            {
                ["epoch"] = ls.Epoch, ["batch"] = ls.BatchIndex,
                ["rng"] = new JsonArray(ls.Generator.Select(u => (JsonNode)u.ToString(CultureInfo.InvariantCulture)).ToArray()),
            };
        }
        meta["history"] = JsonNode.Parse(ctx.History.ToJson());
        try { Safetensors.Save(path, tensors, new Dictionary<string, string> { [Format] = meta.ToJsonString() }); }
        finally { foreach (var t in made) t.Dispose(); }
    }

    /// <summary>
    /// Reads a checkpoint's header and checks its metadata (<see cref="CheckpointMeta"/>) without restoring anything:
    /// what a command runs before it writes a file, so a damaged checkpoint is one clear error and nothing is lost.
    /// Returns the checkpoint's tensors (on the CPU) for further checks against a model.
    /// </summary>
    public static Dictionary<string, Tensor> Verify(string path)
    {
        var tensors = Safetensors.Load(path, out var md);
        if (!md.TryGetValue(Format, out var json))
            throw new InvalidDataException($"{path}: not an engine checkpoint (no '{Format}' metadata); is it a plain model file? Load it with Module.Load instead");
        CheckpointMeta.Parse(path, json);
        return tensors;
    }

    /// <summary>The model's part of a checkpoint's tensors (keys without their "model." prefix).</summary>
    public static Dictionary<string, Tensor> ModelTensors(Dictionary<string, Tensor> checkpoint) => Strip(checkpoint, "model.");

    /// <summary>Restores a checkpoint into the trainer's model, optimizer and callbacks; returns the epoch to continue from.</summary>
    public int Load(TrainContext ctx, string path)
    {
        var tensors = Safetensors.Load(path, out var md, ctx.Trainer.Device);
        if (!md.TryGetValue(Format, out var json))
            throw new InvalidDataException($"{path}: not an engine checkpoint (no '{Format}' metadata); is it a plain model file? Load it with Module.Load instead");
        var meta = CheckpointMeta.Parse(path, json);   // every field checked before anything is restored
        Restore(path, "the model (model.*)", () => ctx.Model.LoadStateDict(Strip(tensors, "model.")));
        Restore(path, "the optimizer (optimizer.*)", () => ctx.Optimizer.LoadStateDict(ReadState(tensors, "optimizer.", meta["optimizer"]!.AsObject())));
        foreach (var cb in ctx.Trainer.Callbacks)
            switch (cb)
            {
                case LrSchedule s when meta["scheduler"] is JsonObject so:
                    Restore(path, "the learning-rate schedule (scheduler.*)", () => s.Scheduler.LoadStateDict(ReadState(tensors, "scheduler.", so)));
                    break;
                case ModelEma e when meta["ema_updates"] is JsonNode u:
                    if (e.Model == null!) e.OnTrainStart(ctx);
                    Restore(path, "the model EMA (ema.*)", () => e.LoadStateDict(Strip(tensors, "ema."), u.GetValue<long>()));
                    break;
                case MixedPrecision mp when meta["scaler"] is JsonObject sc: mp.Scaler.LoadStateDict(sc.ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>())); break;
                case EarlyStopping es when meta["early_stopping"] is JsonObject eo:
                    Restore(path, "early stopping's best weights (early_stopping.*)", () => es.LoadState(eo, Strip(tensors, "early_stopping.")));
                    break;
            }
        Generator.Default.SetState(meta["rng"]!.AsArray().Select(n => ulong.Parse(n!.GetValue<string>(), CultureInfo.InvariantCulture)).ToArray());
        if (DataState is var (_, set) && meta["data"] is JsonArray d) set(d.Select(n => ulong.Parse(n!.GetValue<string>(), CultureInfo.InvariantCulture)).ToArray());
        if (Loader != null && meta["loader"] is JsonObject lo)
            Loader.SetState(new Data.DataLoaderState(lo["epoch"]!.GetValue<int>(), lo["batch"]!.GetValue<int>(),
                lo["rng"]!.AsArray().Select(n => ulong.Parse(n!.GetValue<string>(), CultureInfo.InvariantCulture)).ToArray()));
        ctx.OptimizerSteps = meta["optimizer_steps"]!.GetValue<long>();
        ctx.GlobalBatch = meta["global_batch"]!.GetValue<long>();
        Best = meta["best"]?.GetValue<double>();
        if (meta["history"] is JsonObject h) ctx.History.Restore(h);
        return meta["epochs_done"]!.GetValue<int>();
    }

    // A part of the checkpoint that does not fit what this run built (a renamed or missing tensor, another shape) is
    // a damaged or foreign file: one error that names the file and the part, with the loader's whole list.
    private static void Restore(string path, string part, Action restore)
    {
        try { restore(); }
        catch (Exception e) when (e is ArgumentException or ShapeException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{path}: {part} does not fit this run: {e.Message}", e);
        }
    }

    private static JsonObject AddState(Dictionary<string, Tensor> tensors, string prefix, StateDict s, List<Tensor> made)
    {
        foreach (var (k, t) in s.Tensors) { tensors[prefix + k] = t; made.Add(t); }
        return ToJson(s.Values);
    }

    private static JsonObject ToJson(IReadOnlyDictionary<string, double> values)
    {
        var o = new JsonObject();
        foreach (var (k, v) in values) o[k] = v;
        return o;
    }

    private static StateDict ReadState(Dictionary<string, Tensor> tensors, string prefix, JsonObject values)
    {
        var s = new StateDict();
        foreach (var (k, v) in values) s.Values[k] = v!.GetValue<double>();
        foreach (var (k, t) in Strip(tensors, prefix)) s.Tensors[k] = t;
        return s;
    }

    private static Dictionary<string, Tensor> Strip(Dictionary<string, Tensor> tensors, string prefix) =>
        tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
}
