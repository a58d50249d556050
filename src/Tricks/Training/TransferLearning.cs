namespace Engine.Training;

/// <summary>What <see cref="TransferLearning.LoadPretrained"/> took from a pretrained state dict.</summary>
public sealed record TransferReport(IReadOnlyList<string> Loaded, IReadOnlyList<string> SkippedShape, IReadOnlyList<string> NotInModel, IReadOnlyList<string> NotInPretrained)
{
    public override string ToString() =>
        $"loaded {Loaded.Count} tensors; kept fresh {NotInPretrained.Count} ({string.Join(", ", NotInPretrained.Take(4))}{(NotInPretrained.Count > 4 ? ", ..." : "")}); " +
        $"skipped {SkippedShape.Count} with another shape and {NotInModel.Count} the model does not have";
}

/// <summary>
/// Transfer learning: start from a pretrained model, replace its head, train the head with the
/// backbone frozen (or learning slower), and unfreeze later. Build the optimizer's groups with
/// <c>ParamGroups.Backbone(model.Backbone, lr: 1e-5, freeze: true).Head(model.Head, lr: 1e-3)</c>
/// and add <see cref="UnfreezeAt"/> to the trainer to let the backbone learn from a given epoch.
/// </summary>
public static class TransferLearning
{
    /// <summary>
    /// Copies every pretrained tensor whose name and shape match a tensor of model; a replaced head
    /// (other shape or other names) keeps its fresh initialization. Returns what was loaded and skipped.
    /// </summary>
    public static TransferReport LoadPretrained(Module model, IReadOnlyDictionary<string, Tensor> pretrained)
    {
        var own = model.StateDict();
        try { return Load(model, pretrained, own); }
        finally { foreach (var v in own.Values) v.Dispose(); }   // the views, not the weights they show
    }

    private static TransferReport Load(Module model, IReadOnlyDictionary<string, Tensor> pretrained, Dictionary<string, Tensor> own)
    {
        List<string> loaded = new(), shape = new(), extra = new(), fresh = new();
        var take = new Dictionary<string, Tensor>();
        foreach (var (k, v) in pretrained)
        {
            if (!own.TryGetValue(k, out var mine)) { extra.Add(k); continue; }
            if (mine.Shape != v.Shape) { shape.Add($"{k} ({v.Shape} vs {mine.Shape})"); continue; }
            take[k] = v; loaded.Add(k);
        }
        foreach (var k in own.Keys) if (!pretrained.ContainsKey(k)) fresh.Add(k);
        if (loaded.Count == 0)
            throw new ArgumentException($"transfer: no pretrained tensor matches the model by name and shape (pretrained has {string.Join(", ", pretrained.Keys.Take(4))}...; the model has {string.Join(", ", own.Keys.Take(4))}...)");
        model.LoadStateDict(take, strict: false);
        return new TransferReport(loaded, shape, extra, fresh);
    }
}

/// <summary>Unfreezes a backbone at the start of a given epoch, optionally setting its param group's learning rate.</summary>
public sealed class UnfreezeAt(Module backbone, int epoch, double? lr = null) : Callback
{
    public Module Backbone { get; } = backbone;
    public int Epoch { get; } = epoch;
    public double? Lr { get; } = lr;

    public override void OnEpochStart(TrainContext ctx)
    {
        if (ctx.Epoch != Epoch) return;
        Backbone.RequiresGrad(true);
        if (Lr is not double lr) return;
        var mine = new HashSet<Tensor>(Backbone.Parameters(), ReferenceEqualityComparer.Instance);
        foreach (var g in ctx.Optimizer.ParamGroups)
            if (g.Params.Any(mine.Contains)) g.Lr = lr;
    }
}
