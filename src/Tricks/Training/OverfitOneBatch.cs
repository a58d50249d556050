namespace Engine.Training;

/// <summary>
/// The first debugging trick: train repeatedly on one small batch. A working model, loss and
/// optimizer drive the loss to near zero; the shape of the curve says what is wrong otherwise
/// (see <see cref="LossCurveDiagnosis"/> for the rules and thresholds).
/// </summary>
public static class OverfitOneBatch
{
    /// <summary>
    /// Runs <paramref name="steps"/> training steps. Each step calls <paramref name="step"/>, which
    /// computes the loss on the fixed batch, backpropagates, updates the parameters and returns the
    /// loss value before the update. Each step runs inside its own <see cref="TensorScope"/>.
    /// </summary>
    public static (Diagnosis diagnosis, float[] curve) Run(Func<int, float> step, int steps = 200, bool warmupOrScheduler = false)
    {
        if (steps < 4) throw new ArgumentOutOfRangeException(nameof(steps), $"overfit-one-batch: needs at least 4 steps, got {steps}");
        var curve = new List<float>(steps);
        for (int i = 0; i < steps; i++)
        {
            using var _ = Tensor.Scope();
            float loss = step(i);
            curve.Add(loss);
            if (!float.IsFinite(loss)) break;      // nothing more to learn from a NaN
        }
        return (LossCurveDiagnosis.Diagnose(curve, warmupOrScheduler), curve.ToArray());
    }
}
