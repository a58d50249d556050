namespace Engine;

/// <summary>
/// What the schedule-free optimizers share (Defazio et al., "The Road Less Scheduled", NeurIPS 2024): three
/// sequences instead of a learning-rate schedule. z takes plain (SGD or Adam-normalized) steps, x is a weighted
/// average of the z's, and the gradient is taken at y, between them:
/// <code>
/// ηₜ   = η min(1, (k + 1) / warmup)            (k counts steps from 0)
/// wₜ   = (k + 1)^r · max(η₀..ηₜ)^power,   cₜ = wₜ / Σ w
/// y    = (1 - cₜ) y + cₜ z                    (moves y with x = (1 - cₜ) x + cₜ z)
/// y    = y + ηₜ (β (1 - cₜ) - 1) u            (u: the step direction at y)
/// z    = z - ηₜ u
/// </code>
/// The model holds y while training and x while evaluating: <see cref="Eval"/> and <see cref="Train"/> swap
/// them, x = (y - (1 - β) z) / β and back. The state holds z per parameter; k, the weight sum and the largest
/// rate live in the group options, with <c>train_mode</c>.
/// </summary>
public abstract class ScheduleFree : Optimizer
{
    private double _ckp1, _lr;

    protected ScheduleFree(IEnumerable<ParamGroup> groups, Dictionary<string, double> defaults) : base(groups, WithScheduleState(defaults)) { }

    private static Dictionary<string, double> WithScheduleState(Dictionary<string, double> d)
    {
        d.TryAdd("k", 0); d.TryAdd("weight_sum", 0); d.TryAdd("lr_max", -1); d.TryAdd("train_mode", 1);
        return d;
    }

    /// <summary>The interpolation β between x and z (AdamW: β₁; SGD: the momentum).</summary>
    protected abstract double Beta(ParamGroup group);

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        Require(group, index, "warmup_steps", v => v >= 0, ">= 0");
        Require(group, index, "r", v => v >= 0, ">= 0");
        double b = Beta(group);
        if (!(b > 0 && b < 1))
            throw new ArgumentOutOfRangeException(nameof(group), b, $"{GetType().Name}: param group {index} {group.Label} needs its interpolation β in (0, 1), got {b}");
    }

    /// <summary>The learning rate of this step (after warmup) and cₜ, for the subclass's update.</summary>
    protected (double Lr, double Ckp1) Current => (_lr, _ckp1);

    protected override void BeginGroup(ParamGroup group)
    {
        if (!group.Flag("train_mode"))
            throw new InvalidOperationException($"{GetType().Name}: Step in eval mode; call Train() before training again (the Trainer does this)");
        double k = group["k"], warmup = group["warmup_steps"];
        // ηₜ with linear warmup
        _lr = group.Lr * (k < warmup ? (k + 1) / warmup : 1);
        // wₜ = (k + 1)^r · max ηₜ^power, cₜ = wₜ / Σ w   (the weight of this z in the average x)
        double lrMax = group["lr_max"] = Math.Max(_lr, group["lr_max"]);
        double weight = Math.Pow(k + 1, group["r"]) * Math.Pow(lrMax, group["weight_lr_power"]);
        double weightSum = group["weight_sum"] += weight;
        _ckp1 = weightSum == 0 ? 0 : weight / weightSum;
    }

    protected override void EndGroup(ParamGroup group) => group["k"] += 1;

    /// <summary>The shared end of an update: y and z move along the step direction u.</summary>
    protected void Move(Tensor y, Tensor z, Tensor u, ParamGroup group)
    {
        var (lr, c) = Current;
        // y = (1 - cₜ) y + cₜ z
        y.Lerp_(z, (float)(1 - c), (float)c);
        // y = y + ηₜ (β (1 - cₜ) - 1) u
        y.Add_(u, (float)(lr * (Beta(group) * (1 - c) - 1)));
        // z = z - ηₜ u
        z.Add_(u, (float)-lr);
    }

    /// <summary>The z buffer of a parameter, a copy of it on its first step.</summary>
    protected static Tensor Z(Tensor param, ParamState state) => state.Has("z") ? state["z"] : state.SetCopy("z", param);

    /// <summary>Model weights to x, the average (for validation, checkpoints of the final model, inference).</summary>
    public override void Eval() => Swap(toTrain: false);

    /// <summary>Model weights back to y, where gradients are taken.</summary>
    public override void Train() => Swap(toTrain: true);

    private void Swap(bool toTrain)
    {
        using var noGrad = Tensor.NoGrad();
        foreach (var group in ParamGroups)
        {
            if (group.Flag("train_mode") == toTrain) continue;
            double b = Beta(group);
            foreach (var p in group.Params)
            {
                var s = State(p);
                if (!s.Has("z")) continue;
                // eval: x = y/β + (1 - 1/β) z;   train: y = β x + (1 - β) z
                if (toTrain) p.Lerp_(s["z"], (float)b, (float)(1 - b));
                else p.Lerp_(s["z"], (float)(1 / b), (float)(1 - 1 / b));
            }
            group["train_mode"] = toTrain ? 1 : 0;
        }
    }
}
