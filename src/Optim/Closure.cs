namespace Engine;

/// <summary>
/// What an optimizer's <see cref="Optimizer.Step(Func{float})"/> needs its closure to compute. A training loop
/// asks <see cref="Optimizer.ClosureKind"/> and builds the closure to match (the <c>Trainer</c> does).
/// </summary>
/// <remarks>
/// A closure runs the forward pass on the current batch at the optimizer's current parameters, the loss
/// and the backward pass, and returns the loss value. The optimizer zeroes the gradients before each call and
/// runs it with autograd on, in its own tensor scope (<see cref="Optimizer.Evaluate"/>), so the closure is only
/// <c>() => { var l = loss(model.Forward(x), y); l.Backward(); return l.Item(); }</c>.
/// </remarks>
public enum ClosureKind
{
    /// <summary>The gradients of the batch suffice: <see cref="Optimizer.Step()"/>.</summary>
    None,

    /// <summary>The loss against the batch's targets, re-evaluated at other points (L-BFGS's line search, SAM's perturbed point).</summary>
    Loss,

    /// <summary>
    /// The loss against labels drawn from the model's own predicted distribution (the Gauss-Newton-Bartlett
    /// estimator of Sophia-G's diagonal Hessian; <see cref="Sophia.SampledLoss"/> builds it from logits).
    /// </summary>
    SampledLoss,
}

/// <summary>Steps an optimizer with the closure it asks for, built from a forward pass and a loss.</summary>
public static class ClosureSteps
{
    /// <summary>
    /// One step of opt on a batch whose gradients are already in place: <see cref="Optimizer.Step()"/> when it needs
    /// no closure, else <see cref="Optimizer.Step(Func{float})"/> with a closure that runs forward() and then
    /// loss(output) (<see cref="ClosureKind.Loss"/>) or <see cref="Sophia.SampledLoss"/> of the output
    /// (<see cref="ClosureKind.SampledLoss"/>), and backward:
    /// <code>opt.StepOn(() => model.Forward(x), output => F.CrossEntropy(output, y));</code>
    /// </summary>
    public static void StepOn(this Optimizer opt, Func<Tensor> forward, Func<Tensor, Tensor> loss)
    {
        ArgumentNullException.ThrowIfNull(opt);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(loss);
        switch (opt.ClosureKind)
        {
            case ClosureKind.None: opt.Step(); break;
            case ClosureKind.Loss: opt.Step(() => Backward(loss(forward()))); break;
            case ClosureKind.SampledLoss: opt.Step(() => Backward(Sophia.SampledLoss(forward()))); break;
            default: throw new NotSupportedException($"{opt.GetType().Name}: unknown closure kind {opt.ClosureKind}");
        }
    }

    private static float Backward(Tensor loss)
    {
        if (loss.Numel != 1) throw new ShapeException($"closure: the loss must be a scalar (use a mean reduction), got shape {loss.Shape}");
        loss.Backward();
        return loss.Item();
    }
}
