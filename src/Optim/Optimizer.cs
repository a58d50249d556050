using System.Globalization;

namespace Engine;

/// <summary>
/// Base of every optimizer: parameter groups with their hyperparameters, per-parameter state,
/// <see cref="Step()"/>, <see cref="ZeroGrad"/> and state dicts, as torch.optim.Optimizer.
/// </summary>
/// <remarks>
/// <see cref="Step()"/> visits every parameter that has a gradient, one at a time, and calls
/// <see cref="Update"/> with its group and state (between <see cref="BeginGroup"/> and <see cref="EndGroup"/>
/// for per-group scalars). The update runs under <c>Tensor.NoGrad()</c> inside its own scope: temporaries die
/// at the end of the step, state (made with <see cref="ParamState.Zeros"/>) lives on. Parameters without a
/// gradient (frozen, or unused by the loss) are skipped and their state is left as it was.
/// Optimizers that look at all parameters at once (Prodigy, L-BFGS) or wrap another one (Lookahead, SAM)
/// override <see cref="Step()"/> itself; those that re-evaluate the loss take a closure
/// (<see cref="ClosureKind"/>, <see cref="Step(Func{float})"/>).
/// </remarks>
public abstract class Optimizer
{
    private readonly List<ParamGroup> _groups = new();
    private readonly Dictionary<Tensor, ParamState> _state = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, double> _defaults;

    /// <param name="groups">Parameter groups; options they leave unset come from defaults.</param>
    /// <param name="defaults">Every option this optimizer reads, with its default value.</param>
    protected Optimizer(IEnumerable<ParamGroup> groups, IReadOnlyDictionary<string, double> defaults)
    {
        ArgumentNullException.ThrowIfNull(groups);
        _defaults = new Dictionary<string, double>(defaults);
        foreach (var g in groups) AddParamGroup(g);
        if (_groups.Count == 0 || _groups.All(g => g.Params.Count == 0))
            throw new ArgumentException($"{GetType().Name}: got an empty parameter list (no parameter in any group)");
    }

    public IReadOnlyList<ParamGroup> ParamGroups => _groups;

    /// <summary>The option values that groups fall back to.</summary>
    public IReadOnlyDictionary<string, double> Defaults => _defaults;

    /// <summary>The state of one parameter (empty until its first update).</summary>
    public ParamState State(Tensor parameter)
    {
        if (!_state.TryGetValue(parameter, out var s)) _state[parameter] = s = new ParamState();
        return s;
    }

    /// <summary>Adds a group (e.g. layers unfrozen later), filling its unset options from the defaults.</summary>
    public virtual void AddParamGroup(ParamGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        foreach (var (k, v) in _defaults) group.SetDefault(k, v);
        var seen = new HashSet<Tensor>(_groups.SelectMany(g => g.Params), ReferenceEqualityComparer.Instance);
        for (int i = 0; i < group.Params.Count; i++)
        {
            var p = group.Params[i];
            if (p.IsDisposed) throw new ObjectDisposedException($"{GetType().Name}: parameter {i} of group {group.Label} was disposed");
            if (!p.IsLeaf) throw new ArgumentException($"{GetType().Name}: parameter {i} of group {group.Label} ({p.Describe()}) is not a leaf; optimizers update leaves only (Detach() it and set RequiresGrad)");
            if (p.DType == DType.Int32) throw new ArgumentException($"{GetType().Name}: parameter {i} of group {group.Label} ({p.Describe()}) is Int32; only floating-point tensors can be optimized");
            if (!seen.Add(p)) throw new ArgumentException($"{GetType().Name}: parameter {p.Describe()} appears in more than one parameter group (again in group {group.Label})");
        }
        Validate(group, _groups.Count);
        _groups.Add(group);
    }

    /// <summary>Checks a group's option values; the error names the group and the option.</summary>
    protected virtual void Validate(ParamGroup group, int index)
    {
        Require(group, index, "lr", v => v >= 0, ">= 0");
        Require(group, index, "weight_decay", v => v >= 0, ">= 0");
    }

    protected void Require(ParamGroup group, int index, string key, Func<double, bool> ok, string rule)
    {
        if (!group.Has(key)) return;
        var v = group[key];
        if (!ok(v))
            throw new ArgumentOutOfRangeException(key, v, $"{GetType().Name}: {key} of param group {index} {group.Label} must be {rule}, got {v.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>Sets every gradient to null (their memory goes back to the pool).</summary>
    public void ZeroGrad()
    {
        foreach (var g in _groups)
            foreach (var p in g.Params) p.ZeroGrad();
    }

    /// <summary>One update of every parameter that has a gradient.</summary>
    public virtual void Step()
    {
        if (ClosureKind == ClosureKind.Loss)
            throw new InvalidOperationException($"{GetType().Name} re-evaluates the loss during its step: call Step(closure) with a closure that runs forward, loss and backward and returns the loss (the Trainer does this)");
        using var scope = Tensor.Scope();       // the update's temporaries die here, state does not
        using var noGrad = Tensor.NoGrad();     // in-place changes of parameters are not recorded
        foreach (var group in _groups)
        {
            BeginGroup(group);
            foreach (var (p, grad) in WithGrad(group))
            {
                // one scope per parameter: its temporaries go back to the pool before the next parameter asks for
                // the same sizes, so a step's peak memory is one parameter's temporaries, not all of them
                using var perParam = Tensor.Scope();
                Update(p, grad, group, State(p));
            }
            EndGroup(group);
        }
    }

    /// <summary>
    /// One step that may re-evaluate the loss: closure runs forward, loss and backward on the current batch and
    /// returns the loss (see <see cref="ClosureKind"/> for which loss). Optimizers with
    /// <see cref="ClosureKind.None"/> evaluate it once and step, as PyTorch's do. Returns the loss at the
    /// parameters the step started from.
    /// </summary>
    public virtual float Step(Func<float> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        float loss = Evaluate(closure);
        Step();
        return loss;
    }

    /// <summary>What the closure of <see cref="Step(Func{float})"/> must compute; None when plain gradients suffice.</summary>
    public virtual ClosureKind ClosureKind => ClosureKind.None;

    /// <summary>
    /// Runs closure with fresh gradients: zeroes every gradient, then calls it with autograd on inside its own
    /// tensor scope (the gradients it leaves outlive the scope) and returns the loss it reports.
    /// </summary>
    protected float Evaluate(Func<float> closure)
    {
        if (!Autograd.IsEnabled)
            throw new InvalidOperationException($"{GetType().Name}: the closure runs a backward pass, so call Step(closure) outside Tensor.NoGrad()");
        ZeroGrad();
        using var scope = Tensor.Scope();
        float loss = closure();
        if (float.IsNaN(loss)) throw new ArithmeticException($"{GetType().Name}: the closure returned NaN");
        return loss;
    }

    /// <summary>
    /// Puts the model's parameters in their training form (schedule-free optimizers: the point y the
    /// gradients are taken at). Nothing for other optimizers. The Trainer calls it before each epoch.
    /// </summary>
    public virtual void Train() { }

    /// <summary>
    /// Puts the model's parameters in their evaluation form (schedule-free optimizers: the average x).
    /// Nothing for other optimizers. The Trainer calls it before validating and when training ends.
    /// </summary>
    public virtual void Eval() { }

    /// <summary>Called by <see cref="Step()"/> before the parameters of a group (per-group scalars of the step).</summary>
    protected virtual void BeginGroup(ParamGroup group) { }

    /// <summary>Called by <see cref="Step()"/> after the parameters of a group.</summary>
    protected virtual void EndGroup(ParamGroup group) { }

    /// <summary>The parameters of group that have a gradient, with it; a gradient of the wrong shape or device is an error.</summary>
    protected IEnumerable<(Tensor Param, Tensor Grad)> WithGrad(ParamGroup group)
    {
        foreach (var p in group.Params)
        {
            var grad = p.Grad;
            if (grad is null) continue;
            if (grad.Shape != p.Shape)
                throw new ShapeException($"{GetType().Name}.Step: gradient of {p.Describe()} has shape {grad.Shape}, not the parameter's");
            if (grad.Device != p.Device)
                throw new DeviceMismatchException($"{GetType().Name}.Step: gradient of {p.Describe()} is on {grad.Device}, the parameter on {p.Device}");
            yield return (p, grad);
        }
    }

    /// <summary>
    /// Updates one parameter in place from its gradient, group options and state.
    /// Runs under no-grad inside a scope; create long-lived state only through <paramref name="state"/>.
    /// Optimizers that override <see cref="Step()"/> need not implement it.
    /// </summary>
    protected virtual void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state) =>
        throw new NotSupportedException($"{GetType().Name} overrides Step and has no per-parameter Update");

    /// <summary>
    /// Whether the state buffer called name has its parameter's shape (checked when a state dict is loaded).
    /// Optimizers with other buffers (preconditioners, flat histories) return false for those.
    /// </summary>
    protected virtual bool IsParamShaped(string buffer) => true;

    /// <summary>Every parameter of every group, in order (PyTorch's state-dict numbering).</summary>
    protected IEnumerable<Tensor> AllParams => _groups.SelectMany(g => g.Params);

    // ---- state dicts ------------------------------------------------------------------

    /// <summary>
    /// Every group's options (<c>param_groups.G.KEY</c>, <c>param_groups.G.num_params</c>) and every
    /// parameter's state (<c>state.I.step</c>, <c>state.I.BUFFER</c>), where I counts parameters
    /// across groups in order, as PyTorch numbers them. Tensors are copies.
    /// </summary>
    public virtual StateDict StateDict()
    {
        var sd = new StateDict();
        int index = 0;
        for (int g = 0; g < _groups.Count; g++)
        {
            var group = _groups[g];
            sd.Values[$"param_groups.{g}.num_params"] = group.Params.Count;
            foreach (var (k, v) in group.Options) sd.Values[$"param_groups.{g}.{k}"] = v;
            foreach (var p in group.Params)
            {
                if (_state.TryGetValue(p, out var s) && !s.IsEmpty)
                {
                    sd.Values[$"state.{index}.step"] = s.Step;
                    foreach (var (name, v) in s.Values) sd.Values[$"state.{index}.{name}"] = v;
                    foreach (var (name, t) in s.Buffers) sd.Tensors[$"state.{index}.{name}"] = Snapshot(t, t.Device);
                }
                index++;
            }
        }
        return sd;
    }

    /// <summary>
    /// Restores groups' options and per-parameter state saved by <see cref="StateDict"/> from an
    /// optimizer of the same type over parameters of the same shapes, in the same order. State
    /// tensors are copied to each parameter's device. Every mismatch is listed in one error.
    /// </summary>
    public virtual void LoadStateDict(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string who = GetType().Name;
        var problems = new List<string>();
        int savedGroups = 0;
        while (state.Values.ContainsKey($"param_groups.{savedGroups}.num_params")) savedGroups++;
        if (savedGroups != _groups.Count)
            throw new ArgumentException($"{who}.LoadStateDict: the state has {savedGroups} param groups, this optimizer {_groups.Count}");
        var flat = _groups.SelectMany(g => g.Params).ToList();
        for (int g = 0; g < _groups.Count; g++)
        {
            int n = (int)state.Values[$"param_groups.{g}.num_params"];
            if (n != _groups[g].Params.Count) problems.Add($"param group {g} has {n} parameters in the state, {_groups[g].Params.Count} here");
        }
        var perParam = new Dictionary<int, List<(string name, Tensor t)>>();
        foreach (var (key, t) in state.Tensors)
        {
            var parts = key.Split('.', 3);
            if (parts.Length != 3 || parts[0] != "state" || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int i))
            { problems.Add($"unexpected tensor '{key}'"); continue; }
            if (i >= flat.Count) { problems.Add($"'{key}' is for parameter {i}, but there are only {flat.Count}"); continue; }
            if (t.Shape != flat[i].Shape && IsParamShaped(parts[2])) { problems.Add($"'{key}' has shape {t.Shape}, parameter {i} ({flat[i].Describe()}) has {flat[i].Shape}"); continue; }
            if (!perParam.TryGetValue(i, out var list)) perParam[i] = list = new();
            list.Add((parts[2], t));
        }
        if (problems.Count > 0)
            throw new ArgumentException($"{who}.LoadStateDict: {problems.Count} problem(s):\n  " + string.Join("\n  ", problems));

        for (int g = 0; g < _groups.Count; g++)
        {
            string prefix = $"param_groups.{g}.";
            foreach (var (k, v) in state.Values)
                if (k.StartsWith(prefix, StringComparison.Ordinal) && k != prefix + "num_params")
                    _groups[g][k[prefix.Length..]] = v;
        }
        foreach (var s in _state.Values) s.Clear();
        _state.Clear();
        var values = new Dictionary<int, List<(string name, double v)>>();
        foreach (var (key, v) in state.Values)
        {
            var parts = key.Split('.', 3);
            if (parts.Length != 3 || parts[0] != "state" || parts[2] == "step" || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int i)) continue;
            if (!values.TryGetValue(i, out var list)) values[i] = list = new();
            list.Add((parts[2], v));
        }
        for (int i = 0; i < flat.Count; i++)
        {
            bool hasStep = state.Values.TryGetValue($"state.{i}.step", out var step);
            if (!hasStep && !perParam.ContainsKey(i) && !values.ContainsKey(i)) continue;
            var s = State(flat[i]);
            s.Step = (long)step;
            if (perParam.TryGetValue(i, out var buffers))
                foreach (var (name, t) in buffers) s.Set(name, Snapshot(t, flat[i].Device));
            if (values.TryGetValue(i, out var vs))
                foreach (var (name, v) in vs) s.SetValue(name, v);
        }
    }

    /// <summary>A copy of t on device, outside any scope.</summary>
    protected static Tensor Snapshot(Tensor t, Device device)
    {
        using var _ = TensorScope.Suspend();
        using var ng = Tensor.NoGrad();
        var c = Tensor.Zeros(t.Shape, device, t.DType);
        c.Copy_(t);
        return c;
    }

    public override string ToString() =>
        $"{GetType().Name}(\n" + string.Join("\n", _groups.Select((g, i) => $"  {i}: {g}")) + "\n)";
}
