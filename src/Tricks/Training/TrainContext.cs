namespace Engine.Training;

/// <summary>What callbacks see and may change while the <see cref="Trainer"/> runs.</summary>
public sealed class TrainContext
{
    internal TrainContext(Trainer trainer) { Trainer = trainer; }

    public Trainer Trainer { get; }
    public Module Model => Trainer.Model;
    public Optimizer Optimizer => Trainer.Optimizer;
    public History History => Trainer.History;

    public int Epoch { get; internal set; }
    /// <summary>The first epoch to run; a resuming callback (Checkpoints) sets it in OnTrainStart.</summary>
    public int StartEpoch { get; set; }
    public int Epochs { get; internal set; }
    /// <summary>Index of the batch within the epoch.</summary>
    public int Batch { get; internal set; }
    /// <summary>Batches in this epoch when the training data says (a <see cref="Engine.Data.DataLoader"/>, a collection); else null.</summary>
    public int? BatchesPerEpoch { get; internal set; }
    /// <summary>Batches seen since training started (micro-batches under gradient accumulation).</summary>
    public long GlobalBatch { get; set; }
    /// <summary>Optimizer steps taken since training started.</summary>
    public long OptimizerSteps { get; set; }

    /// <summary>The current batch's inputs and targets (on the model's device).</summary>
    public Tensor X { get; set; } = null!;
    public Tensor Y { get; set; } = null!;
    /// <summary>The model's output for the batch.</summary>
    public Tensor Output { get; set; } = null!;
    /// <summary>The loss to backpropagate; OnLoss callbacks may replace it (scaled, mixed with a distillation term).</summary>
    public Tensor Loss { get; set; } = null!;
    /// <summary>The plain loss value of the batch as the loss function returned it (what is logged).</summary>
    public float LossValue { get; internal set; }

    /// <summary>Set by AfterBackward callbacks to skip this batch's optimizer step (accumulation, overflow).</summary>
    public bool SkipStep { get; set; }
    /// <summary>Set by any callback to end training after the current epoch (or batch).</summary>
    public bool StopTraining { get; set; }

    /// <summary>Validation metrics of the epoch (after the validation pass).</summary>
    public IReadOnlyDictionary<string, double> ValidationMetrics { get; internal set; } = new Dictionary<string, double>();
    /// <summary>Training metrics of the epoch (at its end).</summary>
    public IReadOnlyDictionary<string, double> TrainMetrics { get; internal set; } = new Dictionary<string, double>();
    /// <summary>Loss and accuracy of the epoch's batches so far (classification outputs [B, K]; this batch included by OnBatchEnd).</summary>
    public ClassificationMetrics EpochMetrics { get; internal set; } = new();
}
