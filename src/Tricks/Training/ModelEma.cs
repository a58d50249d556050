namespace Engine.Training;

/// <summary>
/// Exponential moving average of a model's weights, for validation and checkpoints:
/// shadow = d * shadow + (1 - d) * param after every optimizer step, with the decay warmed up as
/// d_t = min(decay, (1 + t) / (10 + t)) so early averages are not dominated by the random init.
/// Buffers (batch-norm running statistics) are copied, not averaged.
/// </summary>
/// <remarks>
/// As a trainer callback it updates after every optimizer step and swaps the averaged weights in for
/// the validation pass (so validation metrics, early stopping and "best" checkpoints see the EMA model).
/// </remarks>
public sealed class ModelEma : Callback
{
    private readonly List<(Tensor param, Tensor shadow)> _params = new();
    private readonly List<(Tensor buffer, Tensor shadow)> _buffers = new();
    private IDisposable? _swap;

    /// <summary>An EMA bound to model now.</summary>
    public ModelEma(Module model, float decay = 0.999f, bool warmup = true) : this(decay, warmup) => Bind(model);

    /// <summary>An EMA that binds to the trainer's model when training starts.</summary>
    public ModelEma(float decay = 0.999f, bool warmup = true)
    {
        if (decay is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(decay), $"model EMA: decay must be in [0, 1), got {decay}");
        Decay = decay; Warmup = warmup;
    }

    private void Bind(Module model)
    {
        Model = model;
        using var _ = Tensor.NoGrad();
        using (TensorScope.Suspend())
        {
            foreach (var p in model.Parameters()) _params.Add((p, CopyOf(p)));
            foreach (var b in model.Buffers()) _buffers.Add((b, CopyOf(b)));
        }
    }

    public Module Model { get; private set; } = null!;
    public float Decay { get; }
    public bool Warmup { get; }
    public long Updates { get; private set; }

    public override void OnTrainStart(TrainContext ctx)
    {
        if (_params.Count == 0 && _buffers.Count == 0) Bind(ctx.Model);
        else if (!ReferenceEquals(Model, ctx.Model)) throw new InvalidOperationException("model EMA: bound to another model than the trainer's");
    }

    public override void AfterStep(TrainContext ctx) => Update();
    public override void OnValidationStart(TrainContext ctx) => _swap = Apply();
    public override void OnValidationEnd(TrainContext ctx) { _swap?.Dispose(); _swap = null; }

    /// <summary>The decay used at the next update.</summary>
    public float CurrentDecay => Warmup ? Math.Min(Decay, (1f + Updates) / (10f + Updates)) : Decay;

    /// <summary>Folds the model's current weights into the average (call after each optimizer step).</summary>
    public void Update()
    {
        float d = CurrentDecay;
        using var _ = Tensor.NoGrad();
        foreach (var (p, s) in _params) s.Lerp_(p, d, 1f - d);
        foreach (var (b, s) in _buffers) s.Copy_(b);
        Updates++;
    }

    /// <summary>The averaged weights by the model's parameter and buffer names.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        var names = Model.NamedParameters().Select(n => n.Name).Concat(Model.NamedBuffers().Select(n => n.Name)).ToList();
        var shadows = _params.Select(p => p.shadow).Concat(_buffers.Select(b => b.shadow)).ToList();
        for (int i = 0; i < names.Count; i++) d[names[i]] = shadows[i];
        return d;
    }

    /// <summary>
    /// Restores the averaged weights by the model's names. Everything is checked first (a missing tensor, another
    /// shape: all listed in one error), so a refused state leaves the average as it was.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, long updates)
    {
        var own = StateDict();
        var problems = new List<string>();
        foreach (var (name, t) in own)
            if (!state.TryGetValue(name, out var v)) problems.Add($"missing '{name}' {t.Shape}");
            else if (v.Shape != t.Shape) problems.Add($"'{name}' is {v.Shape} in the state, {t.Shape} in the model");
        if (problems.Count > 0)
            throw new ArgumentException($"model EMA: the state does not fit the model ({string.Join("; ", problems.Take(8))}{(problems.Count > 8 ? $"; and {problems.Count - 8} more" : "")}); it holds {state.Count} tensors ({string.Join(", ", state.Keys.Take(4))}{(state.Count > 4 ? ", ..." : "")}): was it saved for another model?");
        using var _ = Tensor.NoGrad();
        foreach (var (name, t) in own) t.Copy_(state[name]);
        Updates = updates;
    }

    /// <summary>
    /// Swaps the averaged weights into the model until disposed (for validation or saving), then restores
    /// the training weights: <c>using (ema.Apply()) { validate(); }</c>
    /// </summary>
    public IDisposable Apply() => new Swap(this);

    // A kept copy of t's values; the detached view it is cloned from is disposed (scopes may be suspended here).
    private static Tensor CopyOf(Tensor t)
    {
        using var view = t.Detach();
        return view.Clone().Keep();
    }

    private sealed class Swap : IDisposable
    {
        private readonly ModelEma _ema;
        private readonly List<Tensor> _saved = new();
        private bool _done;

        public Swap(ModelEma ema)
        {
            _ema = ema;
            using var _ = Tensor.NoGrad();
            using (TensorScope.Suspend())
                foreach (var (t, s) in ema._params.Concat(ema._buffers))
                {
                    using (var view = t.Detach()) _saved.Add(view.Clone().Keep());   // untracked here: the view is disposed by hand
                    t.Copy_(s);
                }
        }

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            using var _ = Tensor.NoGrad();
            int i = 0;
            foreach (var (t, _) in _ema._params.Concat(_ema._buffers)) { t.Copy_(_saved[i]); _saved[i++].Dispose(); }
        }
    }
}
