using Engine.Data;

namespace Engine.Training;

/// <summary>
/// The training loop with callbacks: each trick of the collection is a <see cref="Callback"/> given
/// to <see cref="With"/>. Without callbacks it is the plain loop of DESIGN.md section 3:
/// forward, loss, backward, step, zero-grad per batch, then a validation pass per epoch.
/// Optimizers that re-evaluate the loss (<see cref="Optimizer.ClosureKind"/>: L-BFGS, SAM, ASAM, Sophia) get a
/// closure that runs the model on the same batch again with the plain loss function (or, for Sophia, the loss
/// against labels sampled from the output); callbacks do not see those passes. Schedule-free optimizers have
/// their weights swapped: <see cref="Optimizer.Train"/> before each epoch, <see cref="Optimizer.Eval"/> around
/// validation and when training ends, so validation, checkpoints of the final model and the caller see the average.
/// <code>
/// var history = new Trainer(model, opt, F.CrossEntropy)
///     .With(new GradAccumulation(4), new ModelEma(0.999f), new EarlyStopping(patience: 3))
///     .Fit(train, valid, epochs: 20);
/// </code>
/// </summary>
public sealed class Trainer
{
    private readonly List<Callback> _callbacks = new();

    public Trainer(Module model, Optimizer optimizer, Func<Tensor, Tensor, Tensor> loss, Device? device = null)
    {
        Model = model; Optimizer = optimizer; Loss = loss;
        Device = device ?? model.Device;
    }

    public Module Model { get; }
    public Optimizer Optimizer { get; }
    /// <summary>loss(output, target) -> scalar tensor (mean over the batch).</summary>
    public Func<Tensor, Tensor, Tensor> Loss { get; }
    public Device Device { get; }
    public History History { get; } = new();
    public IReadOnlyList<Callback> Callbacks => _callbacks;

    /// <summary>k of the top-k accuracy that is logged.</summary>
    public int TopK { get; init; } = 5;

    /// <summary>Hyperparameters recorded in the history's <see cref="RunInfo"/>.</summary>
    public Dictionary<string, string> Hyperparameters { get; } = new();

    /// <summary>Adds tricks; they run in the order given.</summary>
    public Trainer With(params Callback[] callbacks)
    {
        _callbacks.AddRange(callbacks);
        return this;
    }

    /// <summary>The first callback of type T, or null.</summary>
    public T? Find<T>() where T : Callback => _callbacks.OfType<T>().FirstOrDefault();

    /// <summary>
    /// Trains for the given epochs (or until a callback stops it) and returns the history. Batches of an
    /// <see cref="IFreshBatches"/> source (a <see cref="Engine.Data.DataLoader"/>) are disposed after their step; those of
    /// any other enumerable stay the caller's.
    /// </summary>
    public History Fit(IEnumerable<(Tensor x, Tensor y)> train, IEnumerable<(Tensor x, Tensor y)>? valid, int epochs, int startEpoch = 0)
    {
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), $"trainer: epochs must be >= 1, got {epochs}");
        var ctx = new TrainContext(this) { Epochs = epochs, StartEpoch = startEpoch };
        History.Run ??= RunInfo.Capture(Hyperparameters);
        if (Optimizer.ClosureKind != ClosureKind.None)
            foreach (var c in _callbacks.Where(c => c is GradAccumulation or Distillation))
                throw new InvalidOperationException($"trainer: {Optimizer.GetType().Name} re-evaluates the loss on the batch during its step, which {c.GetType().Name} cannot follow (the re-evaluation sees {(c is GradAccumulation ? "one micro-batch, not the accumulated batch" : "the plain loss, without the teacher's term")}); drop one of them");
        try
        {
            Each(c => c.OnTrainStart(ctx));
            for (int epoch = ctx.StartEpoch; epoch < epochs && !ctx.StopTraining; epoch++)
            {
                ctx.Epoch = epoch;
                Optimizer.Train();
                Model.Train();
                var metrics = new ClassificationMetrics(TopK);
                ctx.EpochMetrics = metrics;
                ctx.BatchesPerEpoch = BatchCount(train);
                ctx.Batch = 0;
                Each(c => c.OnEpochStart(ctx));
                bool owned = train is IFreshBatches;
                foreach (var (x, y) in train)
                {
                    TrainBatch(ctx, x, y, metrics, owned);
                    ctx.Batch++;
                    if (ctx.StopTraining) break;
                }
                ctx.TrainMetrics = metrics.ToDictionary("train_");
                History.LogEpoch("train_loss", metrics.Loss);
                History.LogEpoch("train_accuracy", metrics.Accuracy);
                History.LogEpoch("lr", Optimizer.ParamGroups[0].Lr);
                if (valid != null)
                {
                    Optimizer.Eval();                       // schedule-free: validate the average
                    Each(c => c.OnValidationStart(ctx));
                    var v = Evaluate(valid);
                    ctx.ValidationMetrics = v.ToDictionary("val_");
                    foreach (var (k, val) in ctx.ValidationMetrics) History.LogEpoch(k, val);
                    Each(c => c.OnValidationEnd(ctx));
                    Optimizer.Train();
                }
                Each(c => c.OnEpochEnd(ctx));
            }
            Optimizer.Eval();                               // the model leaves training with its evaluation weights
            Each(c => c.OnTrainEnd(ctx));
        }
        finally
        {
            foreach (var c in _callbacks) c.OnTrainExit(ctx);
        }
        return History;
    }

    private void TrainBatch(TrainContext ctx, Tensor x, Tensor y, ClassificationMetrics metrics, bool owned)
    {
        using var scope = Tensor.Scope();
        // A fresh batch (a DataLoader's) is ours: it goes with the step's temporaries, back to the pool.
        if (owned) { scope.Own(x); scope.Own(y); }
        ctx.X = x.To(Device); ctx.Y = y.To(Device);
        ctx.SkipStep = false;
        Each(c => c.OnBatchStart(ctx));
        ctx.Output = Model.Forward(ctx.X);
        ctx.Loss = Loss(ctx.Output, ctx.Y);
        if (ctx.Loss.Numel != 1) throw new ShapeException($"trainer: the loss must be a scalar (use a mean reduction), got shape {ctx.Loss.Shape}");
        ctx.LossValue = ctx.Loss.Item();
        Each(c => c.OnLoss(ctx));
        ctx.Loss.Backward();
        Each(c => c.AfterBackward(ctx));
        if (!ctx.SkipStep)
        {
            // a closure, when the optimizer asks for one, runs the model on this batch again
            var (input, target) = (ctx.X, ctx.Y);
            Optimizer.StepOn(() => Model.Forward(input), output => Loss(output, target));
            Optimizer.ZeroGrad();
            ctx.OptimizerSteps++;
            Each(c => c.AfterStep(ctx));
        }
        History.LogStep("loss", ctx.LossValue);
        History.LogStep("lr", Optimizer.ParamGroups[0].Lr);
        using (Tensor.NoGrad()) if (ctx.Output.Rank == 2) metrics.Add(ctx.Output.Detach(), ctx.Y, ctx.LossValue);
        Each(c => c.OnBatchEnd(ctx));
        ctx.GlobalBatch++;
    }

    /// <summary>
    /// Loss and accuracy metrics of the model on data, in eval mode without gradients (training mode is restored).
    /// Batches of an <see cref="IFreshBatches"/> source are disposed after use.
    /// </summary>
    public ClassificationMetrics Evaluate(IEnumerable<(Tensor x, Tensor y)> data)
    {
        bool wasTraining = Model.Training;
        Model.Eval();
        var m = new ClassificationMetrics(TopK);
        bool owned = data is IFreshBatches;
        using (Tensor.NoGrad())
            foreach (var (x, y) in data)
            {
                using var scope = Tensor.Scope();
                if (owned) { scope.Own(x); scope.Own(y); }
                var xd = x.To(Device); var yd = y.To(Device);
                var output = Model.Forward(xd);
                float loss = Loss(output, yd).Item();
                m.Add(output, yd, loss);
            }
        Model.Train(wasTraining);
        return m;
    }

    // The number of batches an epoch of train will have, when it can say without being enumerated.
    private static int? BatchCount(IEnumerable<(Tensor x, Tensor y)> train) => train switch
    {
        Engine.Data.DataLoader d => d.Count,
        IReadOnlyCollection<(Tensor x, Tensor y)> c => c.Count,
        ICollection<(Tensor x, Tensor y)> c => c.Count,
        _ => null,
    };

    private void Each(Action<Callback> hook)
    {
        foreach (var c in _callbacks) hook(c);
    }
}
