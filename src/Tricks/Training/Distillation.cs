namespace Engine.Training;

/// <summary>
/// Knowledge distillation (Hinton et al. 2015): the student's loss becomes
/// alpha * hard_loss + (1 - alpha) * T^2 * KL(softmax(teacher/T) || softmax(student/T)),
/// the KL averaged over the batch. The T^2 keeps the soft term's gradients on the scale of the hard one.
/// The teacher runs in eval mode without gradients.
/// </summary>
public sealed class Distillation : Callback
{
    public Distillation(Module teacher, float temperature = 4f, float alpha = 0.5f)
    {
        if (temperature <= 0) throw new ArgumentOutOfRangeException(nameof(temperature), $"distillation: temperature must be positive, got {temperature}");
        if (alpha is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(alpha), $"distillation: alpha must be in [0, 1], got {alpha}");
        Teacher = teacher; Temperature = temperature; Alpha = alpha;
    }

    public Module Teacher { get; }
    public float Temperature { get; }
    /// <summary>Weight of the hard-label loss; 1 - alpha goes to the teacher's soft targets.</summary>
    public float Alpha { get; }

    public override void OnTrainStart(TrainContext ctx) => Teacher.Eval();

    public override void OnLoss(TrainContext ctx)
    {
        Tensor teacherLogits;
        using (Tensor.NoGrad()) teacherLogits = Teacher.Forward(ctx.X).Detach();
        var soft = SoftLoss(ctx.Output, teacherLogits, Temperature);
        ctx.Loss = ctx.Loss.Mul(Alpha).Add(soft.Mul((1f - Alpha) * Temperature * Temperature));
    }

    /// <summary>KL(p_teacher || p_student) at temperature T, summed over classes and averaged over the batch (PyTorch's batchmean).</summary>
    public static Tensor SoftLoss(Tensor studentLogits, Tensor teacherLogits, float temperature)
    {
        if (studentLogits.Shape != teacherLogits.Shape)
            throw new ShapeException($"distillation: student logits {studentLogits.Shape} and teacher logits {teacherLogits.Shape} differ");
        var logP = studentLogits.Div(temperature).LogSoftmax(-1);
        var logQ = teacherLogits.Div(temperature).LogSoftmax(-1);
        return logQ.Exp().Mul(logQ.Sub(logP)).Sum().Div(studentLogits.Shape[0]);
    }
}
