using Engine.Kernels.Ops;

namespace Engine;

/// <summary>
/// Sophia-G (Liu, Li, Hall, Liang and Ma, "Sophia: A Scalable Stochastic Second-order Optimizer for Language
/// Model Pre-training", ICLR 2024, Algorithm 3, as the authors' SophiaG): sign momentum clipped by a diagonal
/// Hessian estimate, so flat directions move at most η and sharp ones by m / (ρ B h). Every k steps h is
/// refreshed with the Gauss-Newton-Bartlett estimator: the squared gradient of the loss against labels sampled
/// from the model's own predictions (the closure, <see cref="ClosureKind.SampledLoss"/>). Decoupled weight decay:
/// <code>
/// θ = θ (1 - η λ)
/// m = β₁ m + (1 - β₁) g
/// θ = θ - η sign(m) min(|m| / (ρ B h + 1e-15), 1)
/// every k-th step, after the update:   ĝ = ∇L(θ; ŷ ~ softmax(f(x)))   (the closure)
///                                     h = β₂ h + (1 - β₂) ĝ²
/// </code>
/// </summary>
/// <remarks>
/// Defaults as the release: lr 1e-4, betas (0.965, 0.99), ρ 0.04, weight decay 0.1, B (batch_size, the tokens or
/// samples of a batch) 5120, k (hessian_interval) 10. Before the first estimate h = 0, so the step is η sign(m).
/// Without a closure, <see cref="Optimizer.Step()"/> skips the estimate; call <see cref="UpdateHessian"/> yourself
/// after a backward pass of <see cref="SampledLoss"/>.
/// </remarks>
public sealed class Sophia : Optimizer
{
    public Sophia(IEnumerable<Tensor> parameters, double lr = 1e-4, double beta1 = 0.965, double beta2 = 0.99, double rho = 0.04, double weightDecay = 0.1,
                  int batchSize = 5120, int hessianInterval = 10)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, rho, weightDecay, batchSize, hessianInterval) { }

    public Sophia(IEnumerable<ParamGroup> groups, double lr = 1e-4, double beta1 = 0.965, double beta2 = 0.99, double rho = 0.04, double weightDecay = 0.1,
                  int batchSize = 5120, int hessianInterval = 10)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["beta1"] = beta1, ["beta2"] = beta2, ["rho"] = rho, ["weight_decay"] = weightDecay, ["batch_size"] = batchSize,
        })
    {
        if (hessianInterval < 1) throw new ArgumentOutOfRangeException(nameof(hessianInterval), hessianInterval, "Sophia: hessianInterval must be >= 1");
        HessianInterval = hessianInterval;
    }

    /// <summary>Steps between Hessian estimates (k).</summary>
    public int HessianInterval { get; }

    /// <summary>Steps taken, for the Hessian schedule (also saved as the state's <c>state.I.step</c>).</summary>
    public long Steps { get; private set; }

    public override ClosureKind ClosureKind => ClosureKind.SampledLoss;

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        AdamMath.Validate(this, group, index);
        Require(group, index, "rho", v => v >= 0, ">= 0");
        Require(group, index, "batch_size", v => v >= 1, ">= 1");
    }

    public override void Step()
    {
        base.Step();
        Steps++;
    }

    /// <summary>
    /// The update, then every k-th step the Hessian estimate from closure (the sampled-label loss). Returns the
    /// sampled loss when an estimate was made, NaN otherwise (the closure is not called then).
    /// </summary>
    public override float Step(Func<float> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        Step();
        if (Steps % HessianInterval != 0) return float.NaN;
        float loss = Evaluate(closure);
        UpdateHessian();
        ZeroGrad();
        return loss;
    }

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double lr = group.Lr, b1 = group["beta1"], wd = group.WeightDecay;
        var m = state.Zeros("exp_avg", param);
        var h = state.Zeros("hessian", param);
        Steps = Math.Max(Steps, state.Step);    // a loaded state resumes the schedule
        state.Step++;

        // θ = θ (1 - η λ)
        if (wd != 0) param.Mul_((float)(1 - lr * wd));
        // m = β₁ m + (1 - β₁) g
        m.Lerp_(grad, (float)b1, (float)(1 - b1));
        // ratio = min(|m| / (ρ B h + 1e-15), 1)   (Newton's step m/h, clipped to at most η per coordinate)
        var ratio = h.Map(new AffineOp((float)(group["rho"] * group["batch_size"]), 1e-15f));
        ratio.Apply_(m.Map(new AbsOp()), new Optim.Ops.DivideIntoOp()).Apply_(new ClampOp(float.NegativeInfinity, 1f));
        // θ = θ - η sign(m) ratio
        param.Add_(ratio.Mul_(m.Map(new SignOp())), (float)-lr);
    }

    /// <summary>h = β₂ h + (1 - β₂) ĝ² from the gradients now in place (those of <see cref="SampledLoss"/>).</summary>
    public void UpdateHessian()
    {
        using var scope = Tensor.Scope();
        using var noGrad = Tensor.NoGrad();
        foreach (var group in ParamGroups)
        {
            float b2 = (float)group["beta2"];
            foreach (var (p, g) in WithGrad(group))
                State(p).Zeros("hessian", p).Apply_(g, new Optim.Ops.SquareLerpOp(b2, 1 - b2));
        }
    }

    /// <summary>
    /// The Gauss-Newton-Bartlett loss: cross-entropy of logits [N, C] against labels drawn from softmax(logits),
    /// one per row, from generator (the default generator when null). Its gradient's square estimates the diagonal
    /// of the Gauss-Newton matrix, i.e. of the Hessian for cross-entropy.
    /// </summary>
    public static Tensor SampledLoss(Tensor logits, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 2)
            throw new ShapeException($"Sophia.SampledLoss: samples class labels from logits [N, C], got shape {logits.Shape}; for other losses write the closure yourself");
        var gen = generator ?? Generator.Default;
        int n = logits.Shape[0], c = logits.Shape[1];
        float[] probs;
        using (Tensor.NoGrad()) probs = logits.Detach().Softmax(1).ToArray();
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            // inverse CDF of row i's categorical distribution
            double u = gen.NextDouble(), cum = 0;
            int k = 0;
            for (; k < c - 1; k++)
            {
                cum += probs[i * c + k];
                if (u < cum) break;
            }
            labels[i] = k;
        }
        var y = Tensor.FromArray(labels, n).To(logits.Device);
        return F.CrossEntropy(logits, y);
    }
}
