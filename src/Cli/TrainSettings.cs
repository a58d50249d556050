using System.Globalization;

namespace Engine.Cli;

/// <summary>Every option of `engine train` (and `engine diagnose`), validated once.</summary>
public sealed record TrainSettings
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string>
    {
        "model", "data", "device", "optimizer", "base", "lr", "batch", "epochs", "seed", "weight-decay", "momentum", "hidden", "limit",
        "label-smoothing", "ema", "accumulate", "warmup", "early-stop", "clip-norm", "augment", "balance",
        "config", "run-dir", "resume", "steps",
    };
    public static readonly IReadOnlySet<string> Flags = new HashSet<string> { "amp", "plateau", "plain", "distributed", "overwrite", "sync-bn" };

    public static readonly string[] Models = ["mlp", "cnn", "resnet", "mobilenet", "lstm"];
    public static readonly string[] Augments = ["cutout", "erasing", "ricap", "autoaugment"];

    public string Model { get; init; } = "mlp";
    public string? Data { get; init; }
    public string Device { get; init; } = "cpu";
    public string Optimizer { get; init; } = "sgd";
    /// <summary>The base optimizer of lookahead, sam and asam (null: their default).</summary>
    public string? Base { get; init; }
    public float Lr { get; init; }
    public int Batch { get; init; } = 64;
    public int Epochs { get; init; } = 8;
    public int Seed { get; init; } = 42;
    public float WeightDecay { get; init; }
    /// <summary>Momentum of the optimizers that have one (null: the optimizer's default, 0 for SGD).</summary>
    public float? Momentum { get; init; }
    public int Hidden { get; init; } = 256;
    public int Limit { get; init; } = int.MaxValue;
    public float LabelSmoothing { get; init; }
    public float? Ema { get; init; }
    public int Accumulate { get; init; } = 1;
    public bool Amp { get; init; }
    public int Warmup { get; init; }
    public bool Plateau { get; init; }
    public int? EarlyStop { get; init; }
    public float? ClipNorm { get; init; }
    public string[] Augment { get; init; } = [];
    public string? Balance { get; init; }
    public string? RunDir { get; init; }
    public string? Resume { get; init; }
    public bool Plain { get; init; }
    /// <summary>--distributed: data-parallel over the MPI job (mpirun -np N); --batch is per rank.</summary>
    public bool Distributed { get; init; }
    /// <summary>--sync-bn: with --distributed, BatchNorm statistics over all ranks' batches (SyncBatchNorm).</summary>
    public bool SyncBn { get; init; }
    /// <summary>--overwrite: --run-dir may name a folder that already holds a run (its checkpoints are replaced).</summary>
    public bool Overwrite { get; init; }
    /// <summary>Steps of `engine diagnose`.</summary>
    public int Steps { get; init; } = 200;

    public static TrainSettings From(Options o)
    {
        var optimizer = o.Choice("optimizer", "sgd", [.. OptimizerZoo.Names]);
        var entry = OptimizerZoo.Get(optimizer);
        string? baseName = o.Has("base") ? o.Choice("base", "", [.. OptimizerZoo.All.Where(e => !e.IsWrapper && e.Name != "lbfgs").Select(e => e.Name)]) : null;
        if (baseName != null && !entry.IsWrapper)
            throw new UsageException($"--base is for lookahead, sam and asam (the optimizer they wrap), not for {optimizer}");
        // the defaults of a wrapper are its base optimizer's
        var defaults = entry.IsWrapper ? OptimizerZoo.Get(baseName ?? (optimizer == "lookahead" ? "adamw" : "sgd")) : entry;
        var s = new TrainSettings
        {
            Model = o.Choice("model", "mlp", Models),
            Data = o.String("data"),
            Device = o.Choice("device", "cpu", "cpu", "auto"),
            Optimizer = optimizer,
            Base = baseName,
            // SGD wants a large step, Adam a small one: the default follows the optimizer (OptimizerZoo).
            Lr = o.Float("lr", (float)defaults.Lr, 0f, 1e4f),
            Batch = o.Int("batch", 64, 1, 1 << 20),
            Epochs = o.Int("epochs", 8, 1, 10_000),
            Seed = o.Int("seed", 42),
            WeightDecay = o.Float("weight-decay", (float)defaults.WeightDecay, 0f, 10f),
            Momentum = o.Has("momentum") ? o.Float("momentum", 0f, 0f, 0.9999f) : null,
            Hidden = o.Int("hidden", 256, 1, 1 << 16),
            Limit = o.Int("limit", int.MaxValue, 1),
            LabelSmoothing = o.Float("label-smoothing", 0f, 0f, 1f),
            Ema = o.Has("ema") ? o.Float("ema", 0.999f, 0f, 0.999999f) : null,
            Accumulate = o.Int("accumulate", 1, 1, 1024),
            Amp = o.Flag("amp"),
            Warmup = o.Int("warmup", 0, 0, 10_000_000),
            Plateau = o.Flag("plateau"),
            Distributed = o.Flag("distributed"),
            SyncBn = o.Flag("sync-bn"),
            Overwrite = o.Flag("overwrite"),
            EarlyStop = o.Has("early-stop") ? o.Int("early-stop", 3, 1, 10_000) : null,
            ClipNorm = o.Has("clip-norm") ? o.Float("clip-norm", 1f, 1e-12f, 1e12f) : null,
            Augment = o.List("augment", Augments),
            Balance = o.Has("balance") ? o.Choice("balance", "", "smote", "oversample", "undersample") : null,
            RunDir = o.String("run-dir"),
            Resume = o.String("resume"),
            Plain = o.Flag("plain"),
            Steps = o.Int("steps", 200, 4, 1_000_000),
        };
        if (s.SyncBn && !s.Distributed)
            throw new UsageException("--sync-bn synchronizes BatchNorm over the ranks of a --distributed run; add --distributed (under mpirun), or drop --sync-bn");
        if (s.Plateau && s.Warmup > 0)
            throw new UsageException("--plateau and --warmup cannot be combined (one learning-rate schedule per run); drop one of them");
        if (s.Lr <= 0) throw new UsageException($"--lr must be positive, got {s.Lr.ToString(CultureInfo.InvariantCulture)}");
        if (s.Momentum != null && !defaults.HasMomentum)
            throw new UsageException($"--momentum: {(entry.IsWrapper ? $"{optimizer}'s base {defaults.Name}" : optimizer)} has no momentum; optimizers with one: {string.Join(", ", OptimizerZoo.All.Where(e => e.HasMomentum && !e.IsWrapper).Select(e => e.Name))}");
        if (s.Accumulate > 1 && optimizer is "lbfgs" or "sam" or "asam")
            throw new UsageException($"--accumulate cannot be combined with --optimizer {optimizer}: it re-evaluates the loss during its step, on one micro-batch only");
        return s;
    }

    /// <summary>Where the run writes: --resume DIR continues in DIR; else --run-dir; else runs/&lt;UTC timestamp&gt;.</summary>
    public string ResolveRunDir() =>
        Resume ?? RunDir ?? Path.Combine("runs", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));

    /// <summary>The hyperparameters as recorded in the history.</summary>
    public Dictionary<string, string> ToDictionary()
    {
        var ci = CultureInfo.InvariantCulture;
        var d = new Dictionary<string, string>
        {
            ["model"] = Model, ["optimizer"] = Optimizer + (Base != null ? "(" + Base + ")" : ""), ["lr"] = Lr.ToString(ci), ["batch"] = Batch.ToString(ci),
            ["epochs"] = Epochs.ToString(ci), ["seed"] = Seed.ToString(ci), ["weight_decay"] = WeightDecay.ToString(ci),
            ["momentum"] = Momentum?.ToString(ci) ?? "default", ["hidden"] = Hidden.ToString(ci), ["label_smoothing"] = LabelSmoothing.ToString(ci),
            ["accumulate"] = Accumulate.ToString(ci), ["amp"] = Amp.ToString(), ["warmup"] = Warmup.ToString(ci), ["plateau"] = Plateau.ToString(),
            ["augment"] = string.Join(",", Augment), ["device"] = Device,
        };
        if (Ema is float e) d["ema"] = e.ToString(ci);
        if (EarlyStop is int p) d["early_stop"] = p.ToString(ci);
        if (ClipNorm is float c) d["clip_norm"] = c.ToString(ci);
        if (Balance != null) d["balance"] = Balance;
        if (Limit != int.MaxValue) d["limit"] = Limit.ToString(ci);
        return d;
    }
}
