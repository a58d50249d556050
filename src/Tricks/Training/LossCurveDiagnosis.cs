namespace Engine.Training;

/// <summary>What the loss curve of an overfit-one-batch run says about the setup.</summary>
public enum CurveVerdict
{
    /// <summary>The loss reached near zero: the model, loss and optimizer can learn.</summary>
    Healthy,
    /// <summary>Decreasing, but not near zero within the step budget: train longer or raise the learning rate a little.</summary>
    Slow,
    /// <summary>The loss went up: usually a sign error (maximizing instead of minimizing, a negated loss or gradient).</summary>
    Rising,
    /// <summary>NaN, Inf or a blow-up: the learning rate is too high (or the loss is unstable).</summary>
    Exploding,
    /// <summary>The loss jumps up and down: lower the learning rate; check labels and augmentation.</summary>
    Oscillating,
    /// <summary>The loss barely moves: lower the learning rate; the network may be too deep (or gradients do not flow).</summary>
    Plateau,
}

/// <summary>The verdict, the reasoning in words, and the numbers it was computed from.</summary>
public sealed record Diagnosis(CurveVerdict Verdict, string Message, float InitialLoss, float FinalLoss, float MinLoss, double DirectionChanges, IReadOnlyList<string> Notes)
{
    public bool IsHealthy => Verdict == CurveVerdict.Healthy;
    public override string ToString() => $"{Verdict}: {Message}" + (Notes.Count > 0 ? " " + string.Join(" ", Notes) : "");
}

/// <summary>
/// Reads a loss curve from training repeatedly on one small batch. The rules, in order, with their
/// thresholds as named constants:
/// <list type="number">
/// <item>any NaN/Inf, or a final loss above <see cref="ExplodeFactor"/> x the initial one: Exploding;</item>
/// <item>a loss that goes below zero and keeps falling (final below -|initial|): Rising, a sign error
///   (losses such as cross-entropy and MSE cannot be negative: the optimizer is maximizing something);</item>
/// <item>final loss at most <see cref="NearZeroAbsolute"/> or <see cref="NearZeroRelative"/> x the initial: Healthy;</item>
/// <item>final (tail mean) loss above <see cref="RiseFactor"/> x the initial: Rising;</item>
/// <item>successive differences change sign in more than <see cref="OscillationShare"/> of the steps and the
///   curve's typical step is large (mean |diff| above <see cref="OscillationAmplitude"/> x the initial loss): Oscillating;</item>
/// <item>tail mean above <see cref="PlateauFactor"/> x the initial: Plateau;</item>
/// <item>otherwise it decreases but not to zero: Slow.</item>
/// </list>
/// The tail is the last <see cref="TailShare"/> of the curve, so one lucky step does not count.
/// </summary>
public static class LossCurveDiagnosis
{
    public const float ExplodeFactor = 10f;
    public const float NearZeroAbsolute = 0.05f;
    public const float NearZeroRelative = 0.02f;
    public const float RiseFactor = 1.05f;
    public const double OscillationShare = 0.35;
    public const float OscillationAmplitude = 0.05f;
    public const float PlateauFactor = 0.7f;
    public const double TailShare = 0.1;

    public static Diagnosis Diagnose(IReadOnlyList<float> losses, bool warmupOrScheduler = false)
    {
        if (losses.Count < 4) throw new ArgumentException($"overfit-one-batch: need at least 4 loss values to read a curve, got {losses.Count}");
        var notes = new List<string>();
        if (warmupOrScheduler)
            notes.Add("Note: warmup or a learning-rate scheduler is on; check that plain training (constant learning rate) converges first, then add them.");
        float first = losses[0];
        int tailN = Math.Max(2, (int)(losses.Count * TailShare));
        var tail = losses.Skip(losses.Count - tailN).ToArray();
        float last = tail.Average();
        float min = losses.Min();
        int changes = 0, diffs = 0; double sumAbs = 0;
        for (int i = 2; i < losses.Count; i++)
        {
            float d1 = losses[i - 1] - losses[i - 2], d2 = losses[i] - losses[i - 1];
            if (d1 != 0 && d2 != 0 && float.IsFinite(d1) && float.IsFinite(d2)) { diffs++; if (d1 > 0 != d2 > 0) changes++; }
            if (float.IsFinite(d2)) sumAbs += Math.Abs(d2);
        }
        double share = diffs == 0 ? 0 : (double)changes / diffs;
        double meanStep = sumAbs / Math.Max(1, losses.Count - 2);
        Diagnosis D(CurveVerdict v, string m) => new(v, m, first, last, float.IsFinite(min) ? min : float.NaN, share, notes);

        int bad = losses.ToList().FindIndex(l => !float.IsFinite(l));
        if (bad >= 0)
            return D(CurveVerdict.Exploding, $"the loss became {(float.IsNaN(losses[bad]) ? "NaN" : "Inf")} at step {bad}: the learning rate is too high (or the loss is numerically unstable).");
        if (last > ExplodeFactor * first)
            return D(CurveVerdict.Exploding, $"the loss grew from {first:G4} to {last:G4}: the learning rate is too high.");
        if (min < 0 && last < -Math.Abs(first))
            return D(CurveVerdict.Rising, $"the loss went negative and kept falling ({first:G4} to {last:G4}): a loss like cross-entropy cannot be negative, so something is negated (look for a sign error in the loss or the update).");
        if (last >= 0 && (last <= NearZeroAbsolute || last <= NearZeroRelative * first))
            return D(CurveVerdict.Healthy, $"the loss fell from {first:G4} to {last:G4} on one batch: the model can learn; now train on the full data.");
        if (last > RiseFactor * first)
            return D(CurveVerdict.Rising, $"the loss rose from {first:G4} to {last:G4}: look for a sign error (a negated loss or gradient, or maximizing instead of minimizing).");
        if (share > OscillationShare && meanStep > OscillationAmplitude * first)
            return D(CurveVerdict.Oscillating, $"the loss changes direction in {share:P0} of the steps (from {first:G4} to {last:G4}): lower the learning rate; check that labels match their inputs and that augmentation is not too strong.");
        if (last > PlateauFactor * first)
            return D(CurveVerdict.Plateau, $"the loss only moved from {first:G4} to {last:G4}: lower the learning rate; the network may be too deep for gradients to flow (or it is not learning at all).");
        return D(CurveVerdict.Slow, $"the loss fell from {first:G4} to {last:G4} but not near zero: give it more steps or a slightly higher learning rate.");
    }
}
