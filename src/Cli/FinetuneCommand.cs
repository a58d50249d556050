using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Engine.Data;
using Engine.Training;

namespace Engine.Cli;

/// <summary>
/// `engine finetune --arch NAME [--weights FILE] --data IMAGEFOLDER [--freeze-backbone | --backbone-lr X] ...`:
/// fine-tunes a torchvision architecture on an image folder with the Trainer and train's tricks, progress bar, plots
/// and checkpoints. The head (fc, or the classifier's last Linear) is replaced by a fresh one for the folder's classes
/// when the file's has another class count (<see cref="VisionWeights.LoadBackbone"/>). The run folder receives what
/// `engine train` writes, plus weights.safetensors (the state dict with the new head and the class names in its metadata,
/// which `engine predict --arch NAME --weights` reads back) and labels.txt (the class names, one per line).
/// </summary>
public static class FinetuneCommand
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    /// <summary>train's options that fit a vision model (not --model/--hidden, Fashion-MNIST's balancing and augmentations, or --resume).</summary>
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(TrainSettings.Known.Except(["model", "hidden", "balance", "augment", "resume", "steps", "limit"]))
    {
        "arch", "weights", "size", "resize", "val-fraction", "min-scale", "backbone-lr",
    };
    public static readonly IReadOnlySet<string> Flags = new HashSet<string> { "amp", "plateau", "plain", "overwrite", "freeze-backbone", "keep-head", "replace-head" };

    /// <summary>Options not saved in the run's config.json (where the run lives, not how it trains).</summary>
    private static readonly HashSet<string> NotSaved = ["config", "run-dir", "plain", "overwrite"];

    public const string WeightsFile = "weights.safetensors", LabelsFile = "labels.txt";

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, Interrupt? interrupt = null)
    {
        var o = Options.Parse(args, Known, Flags);
        var arch = VisionWeights.CheckArch(o.String("arch"));
        var dataDir = o.String("data") ?? throw new UsageException("finetune needs --data DIR: an image folder with one sub-folder of images per class (or DIR/train and DIR/val)");
        // AdamW at 1e-3 unless told otherwise: SGD's 0.1 of train is too large a step for a pretrained backbone.
        if (!o.Has("optimizer")) o = Options.Parse([.. args, "--optimizer", "adamw"], Known, Flags);
        var s = TrainSettings.From(o) with { Model = arch };
        var (resize, size) = ImagePredict.Sizes(o);
        double valFraction = o.Float("val-fraction", 0.2f, 0f, 0.9f);
        double minScale = o.Float("min-scale", 0.08f, 0.01f, 1f);
        bool freeze = o.Flag("freeze-backbone");
        float? backboneLr = o.Has("backbone-lr") ? o.Float("backbone-lr", 0f, 0f, 1e4f) : null;
        if (freeze && backboneLr != null) throw new UsageException("--freeze-backbone trains only the head, --backbone-lr X trains the backbone at rate X; give one of them");
        bool keepHead = o.Flag("keep-head"), replaceHead = o.Flag("replace-head");
        if (keepHead && replaceHead) throw new UsageException("--keep-head and --replace-head contradict each other; give one of them");
        var weights = o.String("weights");
        var runDir = s.ResolveRunDir();
        if (!s.Overwrite && Directory.Exists(runDir) && (File.Exists(Path.Combine(runDir, "config.json")) || Directory.EnumerateFiles(runDir, "*.safetensors").Any()))
            throw new UsageException($"--run-dir {runDir} already holds a run (checkpoints or config.json); give another folder, or replace it with --overwrite");

        Seed.Everything(s.Seed);
        var augment = Generator.Default.Fork();
        var data = FinetuneData.Load(dataDir, size, resize, valFraction, minScale, augment, s.Seed);
        var device = TrainSetup.ResolveDevice(s.Device);
        var (model, headLine) = VisionWeights.LoadBackbone(arch, weights, data.Classes.Length, device, keepHead, replaceHead);

        // Two groups: the head at --lr; the backbone at --backbone-lr (default --lr), or frozen (no gradient: skipped).
        var headName = VisionWeights.HeadName(arch);
        var head = model.NamedModules().First(m => m.Name == headName).Module;
        var groups = new ParamGroupBuilder().Head(head, s.Lr).Rest(model, lr: backboneLr ?? s.Lr, name: "backbone").ToList();
        if (freeze)
            foreach (var p in groups.Single(g => g.Name == "backbone").Params) { p.RequiresGrad = false; p.ZeroGrad(); }
        Optimizer opt;
        try { opt = OptimizerZoo.Get(s.Optimizer).Create(groups, new ZooSettings(s.Lr, s.WeightDecay, s.Momentum, s.Base)); }
        catch (ArgumentException e) { throw new UsageException($"--optimizer {s.Optimizer}: {e.Message}"); }

        // A last batch of one image is dropped: BatchNorm cannot take training statistics of one value per channel
        // (mobilenet's 1x1 feature maps), as in PyTorch.
        var loader = new DataLoader(data.Train, s.Batch, shuffle: true, dropLast: data.Train.Count % s.Batch == 1 && data.Train.Count > s.Batch);
        var validLoader = new DataLoader(data.Valid, batchSize: Math.Min(s.Batch, 64), prefetch: 0);
        int batchesPerEpoch = loader.Count;
        var schedule = TrainSetup.BuildSchedule(s, opt, s.Epochs * ((batchesPerEpoch + s.Accumulate - 1) / s.Accumulate));

        Directory.CreateDirectory(runDir);
        File.WriteAllText(Path.Combine(runDir, "config.json"), JsonSerializer.Serialize(
            o.Values.Where(kv => !NotSaved.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value), new JsonSerializerOptions { WriteIndented = true }));
        stdout.WriteLine($"engine finetune: {TrainSetup.Describe(s, model, device)}; images {size}x{size} (eval: resize {resize}, center crop)");
        stdout.WriteLine($"model: {headLine}; " + (freeze ? "backbone frozen (only the head trains)"
            : backboneLr is float bl ? $"backbone lr {bl.ToString(Ci)}, head lr {s.Lr.ToString(Ci)}" : "backbone and head at one lr"));
        stdout.WriteLine($"data: {data.Origin}; {data.Classes.Length} classes: {string.Join(", ", data.Classes.Take(12))}{(data.Classes.Length > 12 ? ", ..." : "")}");
        stdout.WriteLine($"run folder: {runDir}");

        var checkpoints = new Checkpoints(runDir, every: 1, keepLast: 3, monitor: "val_accuracy");   // not resumable: no data state
        bool live = !s.Plain && ProgressReporter.CanDrawLive(stdout);
        var progress = new ProgressReporter(stdout, batchesPerEpoch);
        using var stop = interrupt ?? new Interrupt();
        var (trainer, ema) = TrainCommand.BuildTrainer(s, model, opt, schedule, device, checkpoints, progress, stop);
        var clock = Stopwatch.StartNew();
        bool interrupted = TrainCommand.Fit(trainer, progress, live, s.Epochs, loader, validLoader, stderr,
            $"the last completed epoch is in {Checkpoints.LastFile(runDir)}; no {WeightsFile} was written");
        double seconds = clock.Elapsed.TotalSeconds;

        var h = trainer.History;
        File.WriteAllText(Path.Combine(runDir, "history.csv"), h.ToCsv());
        File.WriteAllText(Path.Combine(runDir, "history.json"), h.ToJson());
        var plots = Plots.WriteHistory(h, runDir);
        if (!interrupted)
        {
            // The EMA average when it was on (it is what validation measured); eval-mode BN statistics included.
            using (ema?.Apply()) SaveWeights(Path.Combine(runDir, WeightsFile), model, arch, data.Classes, size);
            File.WriteAllLines(Path.Combine(runDir, LabelsFile), data.Classes);
        }
        TrainCommand.Summary(stdout, h, s, runDir, seconds, plots, interrupted, WeightsFile, "validation");
        if (!interrupted) stdout.WriteLine($"predict with: engine predict --arch {arch} --weights {Path.Combine(runDir, WeightsFile)} --size {size} IMAGE...");
        return interrupted ? 130 : 0;
    }

    /// <summary>The state dict with torchvision's names (what --weights reads), the class names and the training size in the metadata.</summary>
    public static void SaveWeights(string path, Module model, string arch, string[] classes, int size) =>
        Safetensors.Save(path, model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.To(Device.Cpu)), new Dictionary<string, string>
        {
            [VisionWeights.LabelsKey] = JsonSerializer.Serialize(classes),
            ["engine.arch"] = arch,
            ["engine.size"] = size.ToString(Ci),
        });
}
