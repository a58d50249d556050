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
