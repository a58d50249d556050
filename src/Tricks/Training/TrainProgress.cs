namespace Engine.Training;

/// <summary>When a <see cref="TrainProgress"/> report is made.</summary>
public enum ProgressKind
{
    /// <summary>Before the first batch.</summary>
    TrainStart,
    /// <summary>After each training batch.</summary>
    Batch,
    /// <summary>After each epoch, its validation pass included.</summary>
    EpochEnd,
    /// <summary>After the last epoch (or when a callback stopped training).</summary>
    TrainEnd,
}

/// <summary>
/// Where training stands, as <see cref="ReportProgress"/> reports it: an app draws its own progress UI from these
/// (the CLI's Spectre bar and <see cref="ConsoleProgress"/> are two such UIs).
/// </summary>
/// <param name="Kind">What just happened.</param>
/// <param name="Epoch">The epoch, 0-based (shown as Epoch + 1 of Epochs).</param>
/// <param name="Epochs">Epochs in the run.</param>
/// <param name="StartEpoch">The first epoch of this run (after a resume, not 0).</param>
/// <param name="Batch">Batches of this epoch done.</param>
/// <param name="BatchesPerEpoch">Batches in the epoch when the data says (a DataLoader does), else null.</param>
/// <param name="Samples">Samples of this epoch done.</param>
/// <param name="Loss">Mean training loss over this epoch's samples so far.</param>
/// <param name="Accuracy">Training accuracy over this epoch's samples so far (NaN when the output is not [B, K] scores).</param>
/// <param name="Lr">The learning rate of the first parameter group.</param>
/// <param name="EpochTime">Time since the epoch started (its validation pass included at EpochEnd).</param>
/// <param name="RunTime">Time since this run started.</param>
/// <param name="SamplesPerSecond">Training samples per second in this epoch (the validation pass left out).</param>
/// <param name="Remaining">Estimated time to the end of the run; null until there is a batch to estimate from or when the epoch's length is unknown.</param>
/// <param name="Validation">The epoch's validation metrics (val_loss, val_accuracy, ...) at EpochEnd; empty otherwise.</param>
public sealed record TrainProgress(
    ProgressKind Kind, int Epoch, int Epochs, int StartEpoch,
    int Batch, int? BatchesPerEpoch, long Samples, double Loss, double Accuracy, double Lr,
    TimeSpan EpochTime, TimeSpan RunTime, double SamplesPerSecond, TimeSpan? Remaining,
    IReadOnlyDictionary<string, double> Validation)
{
    /// <summary>Fraction of the run done, in [0, 1], when the epoch's length is known.</summary>
    public double? Fraction => BatchesPerEpoch is int n && n > 0 && Epochs > StartEpoch
        ? Math.Clamp((Epoch - StartEpoch + (double)Batch / n) / (Epochs - StartEpoch), 0, 1)
        : Kind == ProgressKind.TrainEnd ? 1 : null;
}
