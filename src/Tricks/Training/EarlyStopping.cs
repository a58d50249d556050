namespace Engine.Training;

/// <summary>
/// Stops training when a validation metric has not improved by more than <see cref="MinDelta"/> for
/// <see cref="Patience"/> evaluations, and can put back the weights of the best evaluation.
/// </summary>
/// <remarks>As a trainer callback it watches <see cref="Monitor"/> after each validation pass and restores the best weights when training ends.</remarks>
public sealed class EarlyStopping : Callback
{
    private Dictionary<string, Tensor>? _best;

    public EarlyStopping(int patience = 3, float minDelta = 0f, string monitor = "val_loss", bool? maximize = null, bool restoreBestWeights = true)
    {
        if (patience < 0) throw new ArgumentOutOfRangeException(nameof(patience), $"early stopping: patience must be >= 0, got {patience}");
        if (minDelta < 0) throw new ArgumentOutOfRangeException(nameof(minDelta), $"early stopping: minDelta must be >= 0, got {minDelta}");
        Patience = patience; MinDelta = minDelta; Monitor = monitor;
        Maximize = maximize ?? (monitor.Contains("acc", StringComparison.OrdinalIgnoreCase) || monitor.Contains("f1", StringComparison.OrdinalIgnoreCase));
        RestoreBestWeights = restoreBestWeights;
    }

    public int Patience { get; }
    public float MinDelta { get; }
    /// <summary>The history key watched (e.g. "val_loss", "val_accuracy").</summary>
    public string Monitor { get; }
    public bool Maximize { get; }
    public bool RestoreBestWeights { get; }

    public double? Best { get; private set; }
    public int BestEpoch { get; private set; } = -1;
    public int BadEpochs { get; private set; }
    public bool ShouldStop { get; private set; }

    public override void OnValidationEnd(TrainContext ctx)
    {
        if (!ctx.ValidationMetrics.TryGetValue(Monitor, out var v))
            throw new InvalidOperationException($"early stopping: the validation metrics have no '{Monitor}' (they have {string.Join(", ", ctx.ValidationMetrics.Keys.Take(6))}, ...)");
        if (Observe(ctx.Epoch, v, ctx.Model)) ctx.StopTraining = true;
    }

    public override void OnTrainEnd(TrainContext ctx)
    {
        if (RestoreBestWeights) Restore(ctx.Model);
    }

    /// <summary>Records one evaluation; returns true when training should stop now.</summary>
    public bool Observe(int epoch, double value, Module? model = null)
    {
        bool better = Best is not double b || (Maximize ? value > b + MinDelta : value < b - MinDelta);
        if (better)
        {
            Best = value; BestEpoch = epoch; BadEpochs = 0;
            if (RestoreBestWeights && model != null) Snapshot(model);
        }
        else if (++BadEpochs > Patience) ShouldStop = true;
        return ShouldStop;
    }

    /// <summary>Copies the best weights back into model (no-op when none were kept).</summary>
    public bool Restore(Module model)
    {
        if (_best == null) return false;
        model.LoadStateDict(_best);
        return true;
    }

    /// <summary>Adds the best weights to tensors (under prefix) and returns the counters, for checkpoints.</summary>
    public System.Text.Json.Nodes.JsonObject SaveState(Dictionary<string, Tensor> tensors, string prefix)
    {
        if (_best != null) foreach (var (k, t) in _best) tensors[prefix + k] = t;
        return new() { ["best"] = Best, ["best_epoch"] = BestEpoch, ["bad_epochs"] = BadEpochs, ["should_stop"] = ShouldStop };
    }

    public void LoadState(System.Text.Json.Nodes.JsonObject o, Dictionary<string, Tensor> bestWeights)
    {
        Best = o["best"]?.GetValue<double>();
        BestEpoch = o["best_epoch"]!.GetValue<int>();
        BadEpochs = o["bad_epochs"]!.GetValue<int>();
        ShouldStop = o["should_stop"]!.GetValue<bool>();
        if (_best != null) foreach (var t in _best.Values) t.Dispose();
        _best = bestWeights.Count == 0 ? null : bestWeights.ToDictionary(kv => kv.Key, kv => kv.Value.Keep());
    }

    private void Snapshot(Module model)
    {
        if (_best != null) foreach (var t in _best.Values) t.Dispose();
        using var _ = Tensor.NoGrad();
        using (TensorScope.Suspend())
        {
            var views = model.StateDict();
            try { _best = views.ToDictionary(kv => kv.Key, kv => kv.Value.Clone().Keep()); }
            finally { foreach (var v in views.Values) v.Dispose(); }   // the views, not the weights they show
        }
    }
}
