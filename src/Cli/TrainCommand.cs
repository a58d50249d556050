using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Engine.Training;
using Spectre.Console;

namespace Engine.Cli;

/// <summary>
/// `engine train`: trains a model on Fashion-MNIST with the <see cref="Trainer"/> and every trick as an option.
/// The run directory receives a checkpoint per epoch (resumable), history.csv/json, loss/accuracy/lr plots,
/// config.json (the options, reused by --resume) and model.safetensors (the final weights, for `engine eval`).
/// </summary>
public static class TrainCommand
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    /// <summary>Options that describe where a run lives, not how it trains: not saved in config.json.</summary>
    private static readonly HashSet<string> NotSaved = ["config", "run-dir", "resume", "plain", "steps", "overwrite"];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, Interrupt? interrupt = null)
    {
        var o = Options.Parse(WithSavedConfig(args), TrainSettings.Known, TrainSettings.Flags);
        var s = TrainSettings.From(o);
        // Everything is checked before anything is written: a refused command leaves the run folder as it was.
        Dictionary<string, Tensor>? resumeFrom = null;
        if (s.Resume != null) resumeFrom = CheckResume(s.Resume);
        else if (s.RunDir != null && !s.Overwrite && HoldsRun(s.RunDir))
            throw new UsageException($"--run-dir {s.RunDir} already holds a run (checkpoints or config.json); continue it with --resume {s.RunDir}, or replace it with --overwrite");
        // --distributed: every rank trains; rank 0 alone writes the run folder and draws progress
        using var comm = s.Distributed ? Engine.Distributed.Communicator.FromEnvironment() : null;
        bool root = comm == null || comm.Rank == 0;
        if (!root) stdout = TextWriter.Null;
        var runDir = s.ResolveRunDir();

        Seed.Everything(s.Seed);
        var data = TrainData.Load(s, stdout, comm);
        var device = TrainSetup.ResolveDevice(s.Device);
        var model = TrainSetup.BuildModel(s, device);
        if (s.SyncBn)   // in place: every BatchNorm layer takes its training statistics over all ranks
        {
            int norms = model.NamedModules().Count(m => m.Module is BatchNormBase);
            if (norms == 0) throw new UsageException($"--sync-bn: model {s.Model} has no BatchNorm layer to synchronize (resnet and mobilenet have); drop --sync-bn");
            SyncBatchNorm.ConvertSyncBatchNorm(model, comm!);
            stdout.WriteLine($"sync-bn: {norms} BatchNorm layer(s) take their batch statistics over all {comm!.Size} rank(s)");
        }
        if (resumeFrom != null) CheckFits(Checkpoints.LastFile(runDir), model, resumeFrom);
        var opt = TrainSetup.BuildOptimizer(s, model);
        int batchesPerEpoch = data.TrainLoader.Count;
        int stepsPerEpoch = (batchesPerEpoch + s.Accumulate - 1) / s.Accumulate;
        var schedule = TrainSetup.BuildSchedule(s, opt, s.Epochs * stepsPerEpoch);

        if (root) Directory.CreateDirectory(runDir);   // the other ranks only read it (--resume)
        if (root) File.WriteAllText(Path.Combine(runDir, "config.json"), JsonSerializer.Serialize(
            o.Values.Where(kv => !NotSaved.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value), new JsonSerializerOptions { WriteIndented = true }));

        stdout.WriteLine($"engine train: {TrainSetup.Describe(s, model, device)}");
        stdout.WriteLine($"data: {data.Origin}: {data.Train.Count} train, {data.Test.Count} test images (the test set validates each epoch); {Environment.ProcessorCount} threads");
        if (data.BalanceReport != null) stdout.WriteLine(data.BalanceReport.TrimEnd());
        stdout.WriteLine($"run folder: {runDir}" + (s.Resume != null ? " (resuming from last.safetensors)" : ""));

        var checkpoints = new Checkpoints(runDir, every: 1, keepLast: 3, monitor: "val_accuracy", resume: s.Resume != null)
        {
            // The loader's shuffling and the augmentations' generators travel with the checkpoint: a resumed run sees the same batches.
            DataState = (data.GetState, data.SetState),
            WriteFiles = root,
        };
        bool live = root && !s.Plain && ProgressReporter.CanDrawLive(stdout);
        var progress = new ProgressReporter(stdout, batchesPerEpoch);
        using var stop = interrupt ?? new Interrupt();

        var ddp = comm != null ? new DistributedDataParallel(comm) : null;
        // ENGINE_MEMORY_LOG=FILE: the memory counters every 100 batches as CSV (bench/memory samples long runs with it)
        using var memoryLog = Environment.GetEnvironmentVariable("ENGINE_MEMORY_LOG") is { Length: > 0 } memPath && root
            ? new StreamWriter(memPath) : null;
        var (trainer, ema) = BuildTrainer(s, model, opt, schedule, device, checkpoints, progress, stop, ddp, memoryLog);

        var clock = Stopwatch.StartNew();
        bool interrupted = Fit(trainer, progress, live, s.Epochs, data.TrainBatches, data.TestLoader, stderr, $"the last completed epoch is in {Checkpoints.LastFile(runDir)}. Continue with: engine train --resume {runDir}");
        double seconds = clock.Elapsed.TotalSeconds;
        if (ddp != null)
            stdout.WriteLine($"distributed: {comm!.Size} rank(s), batch {s.Batch} per rank; {ddp.Allreduces} gradient all-reduces in {ddp.BucketCount} bucket(s), {(ddp.Allreduces > 0 ? ddp.AllreduceTime.TotalMilliseconds / ddp.Allreduces : 0):F2} ms each ({ddp.AllreduceTime.TotalSeconds:F2} s of {seconds:F1} s)");

        var h = trainer.History;
        if (!root) return interrupted ? 130 : 0;
        File.WriteAllText(Path.Combine(runDir, "history.csv"), h.ToCsv());
        File.WriteAllText(Path.Combine(runDir, "history.json"), h.ToJson());
        var plots = Plots.WriteHistory(h, runDir);
        if (!interrupted)
        {
            // Final weights for `engine eval`: the EMA average when it was on (it is what validation measured).
            using (ema?.Apply()) ModelFile.Save(Path.Combine(runDir, "model.safetensors"), model, s, data.Norm);
        }
        Summary(stdout, h, s, runDir, seconds, plots, interrupted);
        return interrupted ? 130 : 0;
    }

    /// <summary>
    /// The Trainer of a run with every trick the settings turn on, in the order they must run (accumulation before
    /// data-parallel all-reduce, before clipping and AMP; EMA; the schedule; early stopping; checkpoints and progress
    /// last). Shared by `engine train` and `engine finetune`. Returns the EMA too (its average is the saved model).
    /// </summary>
    internal static (Trainer trainer, ModelEma? ema) BuildTrainer(TrainSettings s, Module model, Optimizer opt, LrSchedule schedule, Device device,
        Checkpoints checkpoints, ProgressReporter progress, Interrupt stop, DistributedDataParallel? ddp = null, TextWriter? memoryLog = null)
    {
        var trainer = new Trainer(model, opt, TrainSetup.BuildLoss(s), device);
        foreach (var (k, v) in s.ToDictionary()) trainer.Hyperparameters[k] = v;
        trainer.With(stop);
        if (s.Accumulate > 1) trainer.With(new GradAccumulation(s.Accumulate));   // before clipping and AMP
        if (ddp != null) trainer.With(ddp);                                          // after accumulation, before clipping and AMP
        if (s.ClipNorm is float clip) trainer.With(GradClipping.ByNorm(clip));
        if (s.Amp) trainer.With(new MixedPrecision());
        ModelEma? ema = s.Ema is float decay ? new ModelEma(decay) : null;
        if (ema != null) trainer.With(ema);
        trainer.With(schedule);
        if (s.EarlyStop is int patience) trainer.With(new EarlyStopping(patience));
        trainer.With(checkpoints, progress);
        if (memoryLog != null) trainer.With(new MemoryMonitor(100, memoryLog));
        return (trainer, ema);
    }

    /// <summary>
    /// Trains for epochs under the live progress bar (or plain lines); Ctrl-C / SIGTERM ends it after the current
    /// batch with one line on stderr (whatHappensNow says where the last epoch is and how to continue). Returns whether
    /// it was interrupted (exit code 130).
    /// </summary>
    internal static bool Fit(Trainer trainer, ProgressReporter progress, bool live, int epochs, IEnumerable<(Tensor x, Tensor y)> train,
        Engine.Data.DataLoader valid, TextWriter stderr, string whatHappensNow)
    {
        try
        {
            if (live) progress.Live(epochs, 0, () => trainer.Fit(train, valid, epochs));
            else trainer.Fit(train, valid, epochs);
            return false;
        }
        catch (OperationCanceledException e)
        {
            stderr.WriteLine($"engine: {e.Message}; {whatHappensNow}");
            return true;
        }
    }

    /// <summary>
    /// The checks of --resume DIR before anything is written: the folder, its last.safetensors, the checkpoint's header
    /// and every metadata field (<see cref="CheckpointMeta"/>). Returns the checkpoint's tensors. Missing or damaged
    /// files exit 1, as docs/cli.md says.
    /// </summary>
    public static Dictionary<string, Tensor> CheckResume(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"--resume {dir}: no such run folder; give the --run-dir of an earlier `engine train`");
        var last = Checkpoints.LastFile(dir);
        if (!File.Exists(last))
        {
            var epochs = Directory.GetFiles(dir, "epoch-*.safetensors").OrderBy(f => f, StringComparer.Ordinal).ToList();
            throw new FileNotFoundException(epochs.Count == 0
                ? $"--resume {dir}: no checkpoint (last.safetensors) in that folder; the run stopped before its first epoch ended, start it again without --resume"
                : $"--resume {dir}: no checkpoint (last.safetensors) in that folder, but {Path.GetFileName(epochs[^1])} is there: copy it to last.safetensors to continue from it", last);
        }
        return CheckCheckpoint(last);
    }

    /// <summary>Reads a checkpoint's header and metadata before training, so a damaged file is one clear error instead of a crash mid-start.</summary>
    public static Dictionary<string, Tensor> CheckCheckpoint(string path)
    {
        try { return Checkpoints.Verify(path); }
        catch (InvalidDataException) { throw; }   // Verify and CheckpointMeta already name the file, the field and what to do
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: unreadable checkpoint ({e.Message}); the checkpoint is corrupted: resume from an intact epoch-NNNN.safetensors (copy it over last.safetensors) or start a new run");
        }
    }

    /// <summary>
    /// The checkpoint's model tensors must load into the model the options build (another --model or --hidden than the
    /// run's is refused before config.json changes); the error keeps LoadStateDict's whole list of keys and shapes.
    /// </summary>
    private static void CheckFits(string path, Module model, Dictionary<string, Tensor> checkpoint)
    {
        try
        {
            using var _ = Tensor.NoGrad();
            model.LoadStateDict(Checkpoints.ModelTensors(checkpoint).ToDictionary(kv => kv.Key, kv => kv.Value.To(model.Parameters().FirstOrDefault()?.Device ?? Device.Cpu)));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KeyNotFoundException or ShapeException)
        {
            throw new InvalidDataException($"{path}: the checkpoint does not fit the model these options build (was the run trained with another --model or --hidden?):\n{e.Message}");
        }
    }

    /// <summary>True when the folder holds a run's files (checkpoints or its config), which a new run would overwrite.</summary>
    private static bool HoldsRun(string dir) =>
        Directory.Exists(dir) && (File.Exists(Path.Combine(dir, "config.json")) || Directory.EnumerateFiles(dir, "*.safetensors").Any());

    /// <summary>With --resume DIR and no --config, the options saved in DIR/config.json are the defaults.</summary>
    private static string[] WithSavedConfig(string[] args)
    {
        int i = Array.FindIndex(args, a => a == "--resume" || a.StartsWith("--resume=", StringComparison.Ordinal));
        if (i < 0 || args.Any(a => a == "--config" || a.StartsWith("--config=", StringComparison.Ordinal))) return args;
        string? dir = args[i].Contains('=') ? args[i][(args[i].IndexOf('=') + 1)..] : i + 1 < args.Length ? args[i + 1] : null;
        if (dir == null) return args;
        var saved = Path.Combine(dir, "config.json");
        return File.Exists(saved) ? [.. args, "--config", saved] : args;
    }

    internal static void Summary(TextWriter stdout, History h, TrainSettings s, string runDir, double seconds, List<string> plots, bool interrupted, string savedModel = "model.safetensors", string validName = "test")
    {
        var table = new Table().Title(interrupted ? "run interrupted" : "run summary").AddColumn("metric").AddColumn("value");
        void Row(string k, string v) => table.AddRow(Markup.Escape(k), Markup.Escape(v));
        int epochs = h.Epochs.TryGetValue("train_loss", out var tl) ? tl.Count : 0;
        Row("model", s.Model);
        Row("epochs completed", $"{epochs} of {s.Epochs}");
        Row("time", string.Format(Ci, "{0:F1} s", seconds));
        if (h.Last("train_loss") is double l) Row("final train loss", l.ToString("F4", Ci));
        if (h.Last("val_loss") is double vl) Row($"final {validName} loss", vl.ToString("F4", Ci));
        if (h.Last("val_accuracy") is double va) Row($"final {validName} accuracy", va.ToString("P2", Ci));
        if (h.Epochs.TryGetValue("val_accuracy", out var accs) && accs.Count > 0)
        {
            int best = accs.IndexOf(accs.Max());
            Row($"best {validName} accuracy", string.Format(Ci, "{0:P2} (epoch {1})", accs[best], best + 1));
        }
        if (h.Last("val_top5_accuracy") is double t5) Row($"final {validName} top-5 accuracy", t5.ToString("P2", Ci));
        Row("run folder", runDir);
        Row("files", string.Join(", ", new[] { "last.safetensors", "best.safetensors", "history.csv", "history.json" }
            .Concat(plots.Select(Path.GetFileName)).Concat(interrupted ? [] : [savedModel])!));
        Render(stdout, table);
        if (h.Last("val_accuracy") is double final) stdout.WriteLine(string.Format(Ci, validName + " accuracy {0:P2}", final));
    }

    /// <summary>Renders a Spectre widget to any writer (plain text when it is not the terminal).</summary>
    public static void Render(TextWriter writer, Spectre.Console.Rendering.IRenderable widget)
    {
        bool terminal = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!terminal) console.Profile.Width = 120;
        console.Write(widget);
    }
}
