namespace Engine;

/// <summary>A loss as a module: <c>Forward(input, target)</c> returns the reduced loss.</summary>
public abstract class Loss(Reduction reduction) : Module
{
    public Reduction Reduction { get; } = reduction;
    public abstract Tensor Forward(Tensor input, Tensor target);
    public override string ExtraRepr() => $"reduction={Reduction}";
}

/// <summary>Module form of <see cref="F.CrossEntropy(Tensor, Tensor, Tensor?, int, Reduction, double)"/>.</summary>
public sealed class CrossEntropyLoss(Tensor? weight = null, int ignoreIndex = -100, Reduction reduction = Reduction.Mean, double labelSmoothing = 0) : Loss(reduction)
{
    public override Tensor Forward(Tensor input, Tensor target) => F.CrossEntropy(input, target, weight, ignoreIndex, Reduction, labelSmoothing);
}

/// <summary>Module form of <see cref="F.NllLoss"/>.</summary>
public sealed class NLLLoss(Tensor? weight = null, int ignoreIndex = -100, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    public override Tensor Forward(Tensor input, Tensor target) => F.NllLoss(input, target, weight, ignoreIndex, Reduction);
}

/// <summary>Module form of <see cref="F.BinaryCrossEntropyWithLogits"/>.</summary>
public sealed class BCEWithLogitsLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? posWeight = null) : Loss(reduction)
{
    public override Tensor Forward(Tensor input, Tensor target) => F.BinaryCrossEntropyWithLogits(input, target, weight, Reduction, posWeight);
}

/// <summary>Module form of <see cref="F.SigmoidFocalLoss"/> (multi-label, float targets).</summary>
public sealed class SigmoidFocalLoss(double alpha = 0.25, double gamma = 2, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    public override Tensor Forward(Tensor input, Tensor target) => F.SigmoidFocalLoss(input, target, alpha, gamma, Reduction);
}

/// <summary>Module form of <see cref="F.SoftmaxFocalLoss"/> (single-label, Int32 targets).</summary>
public sealed class SoftmaxFocalLoss(Tensor? alpha = null, double gamma = 2, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    public override Tensor Forward(Tensor input, Tensor target) => F.SoftmaxFocalLoss(input, target, alpha, gamma, Reduction);
}

public sealed class MSELoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    public override Tensor Forward(Tensor input, Tensor target) => F.MseLoss(input, target, Reduction);
}

public sealed class L1Loss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    public override Tensor Forward(Tensor input, Tensor target) => F.L1Loss(input, target, Reduction);
}

public sealed class SmoothL1Loss(Reduction reduction = Reduction.Mean, double beta = 1.0) : Loss(reduction)
{
    public override Tensor Forward(Tensor input, Tensor target) => F.SmoothL1Loss(input, target, Reduction, beta);
}

/// <summary>Module form of <see cref="F.KlDiv"/> (input: log-probabilities).</summary>
public sealed class KLDivLoss(Reduction reduction = Reduction.Mean, bool logTarget = false) : Loss(reduction)
{
    public override Tensor Forward(Tensor input, Tensor target) => F.KlDiv(input, target, Reduction, logTarget);
}

/// <summary>Module form of <see cref="F.KlDivWithTemperature"/>: Forward(studentLogits, teacherLogits).</summary>
public sealed class DistillationLoss(double temperature = 4.0, Reduction reduction = Reduction.BatchMean) : Loss(reduction)
{
    public double Temperature { get; } = temperature;
    public override Tensor Forward(Tensor input, Tensor target) => F.KlDivWithTemperature(input, target, Temperature, Reduction);
}
