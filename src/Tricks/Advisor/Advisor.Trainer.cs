namespace Engine.Training;

public static partial class Advisor
{
    /// <summary>
    /// Checks a <see cref="Trainer"/>'s model and setup: its optimizer (groups, lr, weight decay)
    /// and whether it has an <see cref="LrSchedule"/> callback are taken from it; everything else
    /// (batch size, overfit-one-batch result, loss kind, ...) from <paramref name="options"/>.
    /// </summary>
    public static List<Finding> Check(Trainer trainer, AdvisorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var o = options ?? new AdvisorOptions();
        return Check(trainer.Model, new AdvisorOptions
        {
            BatchSize = o.BatchSize,
            Optimizer = trainer.Optimizer,
            WarmupOrScheduler = o.WarmupOrScheduler || trainer.Find<LrSchedule>() is not null,
            OverfitOneBatchPassed = o.OverfitOneBatchPassed,
            BaseBatch = o.BaseBatch,
            BaseLr = o.BaseLr,
            InputChannels = o.InputChannels,
            Backbone = o.Backbone,
            Head = o.Head,
            BackboneLr = o.BackboneLr,
            HeadLr = o.HeadLr,
            Loss = o.Loss,
            OneHotInputs = o.OneHotInputs,
        });
    }
}
