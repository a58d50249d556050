using System.Globalization;
using Engine.Training;

namespace Engine.Cli;

/// <summary>
/// `engine advise [options]`: describes a model and its training setup with train-like options, runs
/// <see cref="Advisor.Check(Module, AdvisorOptions?)"/> and prints each finding (rule, reason, suggested change); prints
/// "no findings" when all is well. Exit code 0, or 1 when a finding is an error (a bug such as softmax-then-log), 2 on bad usage.
/// </summary>
/// <remarks>
/// The model: optional convolutions (--conv "32,64": 3x3, padding 1, ReLU after each, from
/// --input-channels) then dense layers --layers "784,256,10" (or 784-hidden-10 with --hidden, as
/// `train`), with --dropout p after each hidden dense layer and --softmax-output to end in Softmax.
/// </remarks>
public static class AdviseCommand
{
    public const string Usage =
        "usage: engine advise [--layers 784,256,10 | --hidden N] [--conv C1,C2,...] [--input-channels C] [--dropout P] [--softmax-output]\n" +
        "                     [--batch N] [--optimizer sgd-momentum|NAME (any of engine optimizers --list)] [--lr X] [--weight-decay X] [--no-decay-bias-norm]\n" +
        "                     [--base-batch N --base-lr X] [--scheduler] [--overfit-passed true|false] [--loss ce|nll|other]\n" +
        "                     [--one-hot NAME:CATEGORIES ...] [--backbone-lr X --head-lr X]";

    private static readonly HashSet<string> Flags = ["softmax-output", "scheduler", "no-decay-bias-norm", "help"];

    public static int Run(string[] args, TextWriter stdout)
    {
        // Without a model description, advise takes train's options and checks exactly what train would run.
        if (!args.Any(a => a is "--layers" or "--conv" or "--help" || a.StartsWith("--one-hot", StringComparison.Ordinal)))
            return RunOnTrainOptions(args, stdout);
        Dictionary<string, string> o;
        List<(string, int)> oneHot;
        try { (o, oneHot) = Parse(args); }
        catch (ArgumentException e) { stdout.WriteLine($"advise: {e.Message}\n{Usage}"); return 2; }
        if (o.ContainsKey("help")) { stdout.WriteLine(Usage); return 0; }
        try
        {
            var (model, options) = Build(o, oneHot);
            stdout.WriteLine("model:");
            stdout.WriteLine(model.ToString());
            var findings = Advisor.Check(model, options);
            stdout.WriteLine();
            return Report(findings, stdout);
        }
        catch (ArgumentException e) { stdout.WriteLine($"advise: {e.Message}"); return 2; }
    }

    /// <summary>`engine advise` with train's options: the model, optimizer and schedule train would build.</summary>
    private static int RunOnTrainOptions(string[] args, TextWriter stdout)
    {
        var s = TrainSettings.From(Options.Parse(args, TrainSettings.Known, TrainSettings.Flags));
        var model = TrainSetup.BuildModel(s, Device.Cpu);
        var opt = TrainSetup.BuildOptimizer(s, model);
        var options = new AdvisorOptions
        {
            BatchSize = s.Batch,
            Optimizer = opt,
            // train always runs a schedule (cosine by default, warmup or plateau on request)
            WarmupOrScheduler = true,
            InputChannels = 1,
            Loss = LossKind.CrossEntropy,
        };
        stdout.WriteLine($"advise: {TrainSetup.Describe(s, model, Device.Cpu)}");
        return Report(Advisor.Check(model, options), stdout);
    }

    private static int Report(IReadOnlyList<Finding> findings, TextWriter stdout)
    {
        if (findings.Count == 0) { stdout.WriteLine("no findings: the setup follows every rule the advisor checks"); return 0; }
        foreach (var f in findings) stdout.WriteLine(f);
        stdout.WriteLine($"{findings.Count} finding(s)");
        return findings.Any(f => f.Severity == Severity.Error) ? 1 : 0;
    }

    private static (Dictionary<string, string>, List<(string, int)>) Parse(string[] args)
    {
        var o = new Dictionary<string, string>();
        var oneHot = new List<(string, int)>();
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{a}'; options look like --name value");
            var name = a[2..];
            if (Flags.Contains(name)) { o[name] = "true"; continue; }
            if (i + 1 >= args.Length) throw new ArgumentException($"option --{name} needs a value");
            var v = args[++i];
            if (name == "one-hot")
            {
                var parts = v.Split(':');
                if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n <= 0)
                    throw new ArgumentException($"--one-hot expects NAME:CATEGORIES (e.g. zip:1000), got '{v}'");
                oneHot.Add((parts[0], n));
            }
            else o[name] = v;
        }
        return (o, oneHot);
    }

    private static (Module, AdvisorOptions) Build(Dictionary<string, string> o, List<(string, int)> oneHot)
    {
        var known = new HashSet<string>(Flags) { "layers", "hidden", "conv", "input-channels", "dropout", "batch", "optimizer", "lr", "weight-decay",
            "base-batch", "base-lr", "overfit-passed", "loss", "backbone-lr", "head-lr" };
        foreach (var k in o.Keys)
            if (!known.Contains(k)) throw new ArgumentException($"unknown option --{k}; known: {string.Join(", ", known.Order().Select(x => "--" + x))}, --one-hot");

        int? Int(string k) => o.TryGetValue(k, out var s) ? (int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new ArgumentException($"--{k} expects a positive whole number, got '{s}'")) : null;
        double? Dbl(string k) => o.TryGetValue(k, out var s) ? (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= 0 ? v : throw new ArgumentException($"--{k} expects a non-negative number, got '{s}'")) : null;
        int[] Ints(string k, string s) => s.Split(',').Select(x => int.TryParse(x, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new ArgumentException($"--{k} expects comma-separated positive sizes, got '{s}'")).ToArray();

        var model = new Sequential();
        int? inCh = Int("input-channels");
        if (o.TryGetValue("conv", out var conv))
        {
            int c = inCh ?? 3;
            foreach (var ch in Ints("conv", conv)) { model.Add(new Conv2d(c, ch, 3, padding: 1)); model.Add(new ReLU()); c = ch; }
            model.Add(new Flatten());
        }
        var dense = o.TryGetValue("layers", out var ls) ? Ints("layers", ls) : [784, Int("hidden") ?? 256, 10];
        if (dense.Length < 2) throw new ArgumentException($"--layers needs at least an input and an output size, got '{ls}'");
        double dropout = Dbl("dropout") ?? 0;
        if (dropout >= 1) throw new ArgumentException($"--dropout must be below 1, got {dropout}");
        for (int i = 0; i + 1 < dense.Length; i++)
        {
            model.Add(new Linear(dense[i], dense[i + 1]));
            if (i + 2 < dense.Length) { model.Add(new ReLU()); if (dropout > 0) model.Add(new Dropout(dropout)); }
        }
        if (o.ContainsKey("softmax-output")) model.Add(new Softmax());

        string optName = o.GetValueOrDefault("optimizer", "sgd").ToLowerInvariant();
        var entry = optName == "sgd-momentum" ? OptimizerZoo.Get("sgd") : OptimizerZoo.Get(optName);
        double lr = Dbl("lr") ?? (optName is "adam" or "adamw" ? 3e-4 : entry.Lr);
        double wd = Dbl("weight-decay") ?? entry.WeightDecay;
        IEnumerable<ParamGroup> groups = o.ContainsKey("no-decay-bias-norm")
            ? ParamGroups.NoDecayOnBiasAndNorm(model, wd)
            : [new ParamGroup(model.Parameters(), weightDecay: wd)];
        var opt = entry.Create(groups, new ZooSettings(lr, wd, optName == "sgd-momentum" ? 0.9 : null));
        var loss = o.GetValueOrDefault("loss", "ce") switch
        {
            "ce" => LossKind.CrossEntropy,
            "nll" => LossKind.NllOrLog,
            "other" => LossKind.Other,
            var s => throw new ArgumentException($"--loss: unknown '{s}' (ce, nll, other)"),
        };
        bool? overfit = o.TryGetValue("overfit-passed", out var op)
            ? (bool.TryParse(op, out var b) ? b : throw new ArgumentException($"--overfit-passed expects true or false, got '{op}'")) : null;
        var options = new AdvisorOptions
        {
            BatchSize = Int("batch") ?? 64,
            Optimizer = opt,
            WarmupOrScheduler = o.ContainsKey("scheduler"),
            OverfitOneBatchPassed = overfit,
            BaseBatch = Int("base-batch"),
            BaseLr = Dbl("base-lr"),
            InputChannels = inCh,
            BackboneLr = Dbl("backbone-lr"),
            HeadLr = Dbl("head-lr"),
            Loss = loss,
            OneHotInputs = oneHot,
        };
        return (model, options);
    }
}
