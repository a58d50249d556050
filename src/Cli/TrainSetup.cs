using System.Globalization;
using Engine.Training;

namespace Engine.Cli;

/// <summary>Model, device, optimizer and loss of a run, built from the options (shared by train and diagnose).</summary>
public static class TrainSetup
{
    /// <summary>cpu, or auto: <see cref="Device.Best"/> after loading the GPU backends (their module initializer registers them).</summary>
    public static Device ResolveDevice(string name)
    {
        if (name != "auto") return Device.Cpu;
        System.Runtime.CompilerServices.RuntimeHelpers.RunModuleConstructor(typeof(Engine.Kernels.Ilgpu.IlgpuDevices).Module.ModuleHandle);
        return Device.Best();
    }

    public static Module BuildModel(TrainSettings s, Device device) => ModelZoo.Build(s.Model, s.Hidden).To(device);

    /// <summary>
    /// Any optimizer of <see cref="OptimizerZoo"/> by name; with weight decay, biases and norm parameters are not decayed
    /// (two groups; L-BFGS takes one group of everything).
    /// </summary>
    public static Optimizer BuildOptimizer(TrainSettings s, Module model)
    {
        var groups = ParamGroups.NoDecayOnBiasAndNorm(model, s.WeightDecay);
        try
        {
            return OptimizerZoo.Get(s.Optimizer).Create(groups, new ZooSettings(s.Lr, s.WeightDecay, s.Momentum, s.Base));
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--optimizer {s.Optimizer}: {e.Message}");
        }
    }

    /// <summary>Cross-entropy on logits, with label smoothing when asked (class indices or RICAP's soft targets).</summary>
    public static Func<Tensor, Tensor, Tensor> BuildLoss(TrainSettings s)
    {
        double eps = s.LabelSmoothing;
        return (output, target) => F.CrossEntropy(output, target, null, labelSmoothing: eps);
    }

    /// <summary>
    /// The per-run learning-rate schedule: --plateau divides the rate by 2 when the test loss stalls
    /// (checked per epoch); otherwise cosine decay to 0 over all optimizer steps, after --warmup linear steps.
    /// </summary>
    public static LrSchedule BuildSchedule(TrainSettings s, Optimizer opt, int totalSteps)
    {
        if (s.Plateau) return new LrSchedule(new ReduceLROnPlateau(opt, factor: 0.5, patience: 1));
        if (s.Warmup > 0)
        {
            if (s.Warmup >= totalSteps)
                throw new UsageException($"--warmup {s.Warmup} must be fewer than the run's {totalSteps} optimizer steps; lower it or train more epochs");
            return new LrSchedule(new WarmupCosine(opt, s.Warmup, totalSteps));
        }
        return new LrSchedule(new CosineAnnealingLR(opt, Math.Max(1, totalSteps)));
    }

    public static string Describe(TrainSettings s, Module model, Device device)
    {
        var ci = CultureInfo.InvariantCulture;
        var tricks = new List<string>();
        if (s.LabelSmoothing > 0) tricks.Add($"label smoothing {s.LabelSmoothing.ToString(ci)}");
        if (s.Ema is float e) tricks.Add($"EMA {e.ToString(ci)}");
        if (s.Accumulate > 1) tricks.Add($"accumulate {s.Accumulate}");
        if (s.Amp) tricks.Add("mixed precision");
        if (s.Warmup > 0) tricks.Add($"warmup {s.Warmup} steps");
        if (s.ClipNorm is float c) tricks.Add($"clip norm {c.ToString(ci)}");
        if (s.EarlyStop is int p) tricks.Add($"early stop {p}");
        if (s.Augment.Length > 0) tricks.Add("augment " + string.Join("+", s.Augment));
        if (s.Balance != null) tricks.Add("balance " + s.Balance);
        var schedule = s.Plateau ? "reduce-on-plateau" : "cosine";
        var optimizer = s.Optimizer + (s.Base != null ? $"({s.Base})" : "") + (s.Momentum is float m ? $" momentum {m.ToString(ci)}" : "");
        return $"{s.Model} ({model.ParameterCount():N0} parameters) on {device}, {optimizer} lr {s.Lr.ToString(ci)} {schedule}"
            + (s.WeightDecay > 0 ? $", weight decay {s.WeightDecay.ToString(ci)}" : "")
            + $", batch {s.Batch}, {s.Epochs} epochs, seed {s.Seed}" + (tricks.Count > 0 ? "; " + string.Join(", ", tricks) : "");
    }
}
