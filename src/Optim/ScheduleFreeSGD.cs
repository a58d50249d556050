using Engine.Kernels.Ops;

namespace Engine;

/// <summary>
/// Schedule-free SGD (Defazio et al., "The Road Less Scheduled", NeurIPS 2024, as the authors' SGDScheduleFree):
/// the averaging of <see cref="ScheduleFree"/> with u = the gradient (plus L2 decay), and the momentum as the
/// interpolation between the average x and the SGD sequence z:
/// <code>
/// u = ∇ + λ y
/// then y, z move along u (see ScheduleFree); x = the average, for evaluation
/// </code>
/// </summary>
/// <remarks>
/// Defaults as the release: lr 1.0, momentum 0.9, weight decay 0, warmup 0 steps, r 0, weight_lr_power 2. Call
/// <see cref="Optimizer.Eval"/> before validating and <see cref="Optimizer.Train"/> before training again (the Trainer
/// does both).
/// </remarks>
public sealed class ScheduleFreeSGD : ScheduleFree
{
    public ScheduleFreeSGD(IEnumerable<Tensor> parameters, double lr = 1.0, double momentum = 0.9, double weightDecay = 0, int warmupSteps = 0, double r = 0, double weightLrPower = 2)
        : this([new ParamGroup(parameters)], lr, momentum, weightDecay, warmupSteps, r, weightLrPower) { }

    public ScheduleFreeSGD(IEnumerable<ParamGroup> groups, double lr = 1.0, double momentum = 0.9, double weightDecay = 0, int warmupSteps = 0, double r = 0, double weightLrPower = 2)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["momentum"] = momentum, ["weight_decay"] = weightDecay,
            ["warmup_steps"] = warmupSteps, ["r"] = r, ["weight_lr_power"] = weightLrPower,
        })
    { }

    protected override double Beta(ParamGroup group) => group["momentum"];

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double wd = group.WeightDecay;
        var z = Z(param, state);
        state.Step++;
        // u = ∇ + λ y
        var u = wd != 0 ? param.Backend.Zip(grad, param, new AddScaledOp((float)wd)) : grad;
        Move(param, z, u, group);
    }
}
