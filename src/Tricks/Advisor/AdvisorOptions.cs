namespace Engine.Training;

/// <summary>What the loss does with the model's output, for the softmax-then-log rule.</summary>
public enum LossKind
{
    /// <summary>Not said: the softmax rules stay silent.</summary>
    Unknown,
    /// <summary>Cross-entropy on logits (applies log_softmax itself).</summary>
    CrossEntropy,
    /// <summary>NLL on log-probabilities, or any loss that takes the log of the model's output.</summary>
    NllOrLog,
    /// <summary>Anything else (MSE, BCE with logits, ...).</summary>
    Other,
}

/// <summary>
/// The training setup that <see cref="Advisor.Check(Module, AdvisorOptions?)"/> checks against the model. Every field is
/// optional: a rule whose inputs are missing stays silent.
/// </summary>
public sealed class AdvisorOptions
{
    /// <summary>Mini-batch size.</summary>
    public int? BatchSize { get; init; }

    /// <summary>The optimizer itself: its type, and the lr and weight decay of every param group, are read from it.</summary>
    public Optimizer? Optimizer { get; init; }

    /// <summary>Without <see cref="Optimizer"/>: its name ("sgd", "adam", "adamw", "rmsprop", "adabound", ...).</summary>
    public string? OptimizerName { get; init; }

    /// <summary>Without <see cref="Optimizer"/>: the learning rate (one group holding every parameter).</summary>
    public double? Lr { get; init; }

    /// <summary>Without <see cref="Optimizer"/>: the weight decay, applied to every parameter.</summary>
    public double? WeightDecay { get; init; }

    /// <summary>True when a warmup or an lr scheduler is on.</summary>
    public bool WarmupOrScheduler { get; init; }

    /// <summary>True once the setup has passed the overfit-one-batch check (<see cref="OverfitOneBatch"/>); null = not run.</summary>
    public bool? OverfitOneBatchPassed { get; init; }

    /// <summary>The batch size of the recipe the learning rate comes from (linear scaling rule).</summary>
    public int? BaseBatch { get; init; }

    /// <summary>The learning rate of the recipe at <see cref="BaseBatch"/>.</summary>
    public double? BaseLr { get; init; }

    /// <summary>Channels of the input images; null takes the first Conv2d's InChannels.</summary>
    public int? InputChannels { get; init; }

    /// <summary>Transfer learning: the pretrained part. Its lr is looked up in the optimizer's groups (or <see cref="BackboneLr"/>).</summary>
    public Module? Backbone { get; init; }

    /// <summary>Transfer learning: the new part.</summary>
    public Module? Head { get; init; }

    /// <summary>Transfer learning without an optimizer: the backbone's learning rate.</summary>
    public double? BackboneLr { get; init; }

    /// <summary>Transfer learning without an optimizer: the head's learning rate.</summary>
    public double? HeadLr { get; init; }

    /// <summary>What the loss does with the output (set it from the loss module with <see cref="LossKindOf"/>).</summary>
    public LossKind Loss { get; init; }

    /// <summary>Categorical inputs fed one-hot: name and number of categories (the one-hot width).</summary>
    public IReadOnlyList<(string Name, int Categories)> OneHotInputs { get; init; } = [];

    /// <summary>The <see cref="LossKind"/> of a loss module: CrossEntropyLoss, NLLLoss, or Other.</summary>
    public static LossKind LossKindOf(Module? loss) => loss switch
    {
        null => LossKind.Unknown,
        CrossEntropyLoss => LossKind.CrossEntropy,
        NLLLoss => LossKind.NllOrLog,
        _ => LossKind.Other,
    };
}
