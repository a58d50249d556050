using System.Text;

namespace Engine;

/// <summary>
/// Base of every layer and model, like torch.nn.Module: named parameters and buffers, nested
/// submodules, train/eval mode, device moves, freezing and state dicts.
/// </summary>
/// <remarks>
/// Parameters are ordinary tensors with <see cref="Tensor.RequiresGrad"/> set, registered under a
/// name. They live outside any <see cref="TensorScope"/>. Moving a module (<see cref="MoveTo"/>) swaps
/// the data inside the same tensor objects, so optimizers built before the move keep working.
/// </remarks>
public abstract class Module
{
    private readonly List<(string name, Tensor tensor)> _parameters = new();
    private readonly List<(string name, Tensor tensor)> _buffers = new();
    private readonly List<(string name, Module module)> _children = new();

    /// <summary>True in training mode (dropout active, batch-norm batch statistics), false after <see cref="Eval"/>.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>The device of the first parameter or buffer (CPU for modules without any).</summary>
    public Device Device => Parameters().Concat(Buffers()).FirstOrDefault()?.Device ?? Device.Cpu;

    /// <summary>The module's computation. Modules with several inputs or outputs add their own overloads.</summary>
    public virtual Tensor Forward(Tensor input) =>
        throw new NotSupportedException($"{GetType().Name} does not take a single tensor input; call its own Forward overload");

    /// <summary>Calls <see cref="Forward(Tensor)"/>.</summary>
    public Tensor Call(Tensor input) => Forward(input);

    // ---- registration --------------------------------------------------------------

    /// <summary>Registers a learnable tensor under name; it gets RequiresGrad and leaves any scope.</summary>
    protected Tensor RegisterParameter(string name, Tensor t)
    {
        CheckName(name);
        t.Keep();
        if (!t.RequiresGrad) t.RequiresGrad = true;
        t.Name ??= name;
        _parameters.Add((name, t));
        return t;
    }

    /// <summary>Registers state that is saved and moved with the module but not learned (running statistics).</summary>
    protected Tensor RegisterBuffer(string name, Tensor t)
    {
        CheckName(name);
        t.Keep();
        t.Name ??= name;
        _buffers.Add((name, t));
        return t;
    }

    /// <summary>Registers a child module under name.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _children.Add((name, module));
        return module;
    }

    /// <summary>
    /// Registers a child module under name from outside the class (PyTorch's <c>add_module</c>): a model assembled
    /// from parts can take an outside checkpoint's names without a subclass.
    /// </summary>
    public T AddModule<T>(string name, T module) where T : Module => RegisterModule(name, module);

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"{GetType().Name}: invalid member name '{name}' (must be non-empty without dots)");
        if (_parameters.Any(p => p.name == name) || _buffers.Any(b => b.name == name) || _children.Any(c => c.name == name))
            throw new ArgumentException($"{GetType().Name}: a member named '{name}' is already registered");
    }

    // ---- traversal -----------------------------------------------------------------

    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children;
    public IEnumerable<Module> Children() => _children.Select(c => c.module);

    /// <summary>This module and every descendant, with dotted names ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (n, m) in _children)
            foreach (var x in m.NamedModules(Join(prefix, n))) yield return x;
    }

    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(string prefix = "", bool recurse = true)
    {
        foreach (var (n, t) in _parameters) yield return (Join(prefix, n), t);
        if (!recurse) yield break;
        foreach (var (cn, c) in _children)
            foreach (var x in c.NamedParameters(Join(prefix, cn))) yield return x;
    }

    public IEnumerable<Tensor> Parameters(bool recurse = true) => NamedParameters(recurse: recurse).Select(p => p.Parameter);

    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "", bool recurse = true)
    {
        foreach (var (n, t) in _buffers) yield return (Join(prefix, n), t);
        if (!recurse) yield break;
        foreach (var (cn, c) in _children)
            foreach (var x in c.NamedBuffers(Join(prefix, cn))) yield return x;
    }

    public IEnumerable<Tensor> Buffers(bool recurse = true) => NamedBuffers(recurse: recurse).Select(b => b.Buffer);

    /// <summary>Total number of learnable values.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Numel);

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    // ---- modes and state -----------------------------------------------------------

    /// <summary>Sets training mode on this module and all descendants.</summary>
    public Module Train(bool on = true)
    {
        foreach (var (_, m) in NamedModules()) m.Training = on;
        return this;
    }

    /// <summary>Evaluation mode: dropout off, batch norm uses running statistics.</summary>
    public Module Eval() => Train(false);

    /// <summary>Clears the gradients of every parameter.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    /// <summary>Turns gradients on or off for every parameter of this subtree (off = frozen).</summary>
    public Module RequiresGrad(bool on = true)
    {
        foreach (var p in Parameters()) { p.RequiresGrad = on; if (!on) p.ZeroGrad(); }
        return this;
    }

    /// <summary>Moves every parameter and buffer to device, in place (the tensor objects stay the same).</summary>
    public Module MoveTo(Device device)
    {
        using var _ = Autograd.NoGrad();
        foreach (var t in Parameters().Concat(Buffers()))
            if (t.Device != device)
            {
                var moved = t.Detach().To(device);
                t.SetData(moved);
                moved.Dispose();
                t.ZeroGrad();
            }
        return this;
    }

    /// <summary>Every parameter and buffer by dotted name (the module's own tensors, detached; not copies).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (n, t) in NamedParameters()) d[n] = t.Detach().Keep();
        foreach (var (n, t) in NamedBuffers()) d[n] = t.Detach().Keep();
        return d;
    }

    /// <summary>
    /// Copies values from a state dict into this module's tensors. With strict, names must match
    /// exactly; shapes must always match, and so must the kind of dtype: floating types (Float16, Float32) convert by
    /// value, an Int32 tensor never loads into a float one or back. Every problem is listed in one error.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var own = NamedParameters().Concat(NamedBuffers()).ToDictionary(p => p.Item1, p => p.Item2);
        // Buffers a state dict may leave out even under strict (BatchNorm's num_batches_tracked, as PyTorch's
        // strict load allows): they keep their current value.
        var optional = new HashSet<string>();
        foreach (var (prefix, m) in NamedModules())
            foreach (var (n, _) in m._buffers)
                if (m.IsOptionalInStateDict(n)) optional.Add(Join(prefix, n));
        var problems = new List<string>();
        foreach (var (name, t) in own)
        {
            if (!state.TryGetValue(name, out var v)) { if (strict && !optional.Contains(name)) problems.Add($"missing key '{name}' (expected shape {t.Shape})"); continue; }
            if (v.Shape != t.Shape) problems.Add($"shape mismatch for '{name}': the module has {t.Shape}, the state dict has {v.Shape}");
            // Floating types convert by value (a Float16 checkpoint into Float32 weights); integers and floats never mix:
            // an I32 tensor where a weight is expected is a damaged or foreign file, not a number to reinterpret.
            else if ((v.DType == DType.Int32) != (t.DType == DType.Int32))
                problems.Add($"dtype mismatch for '{name}': the module has {t.DType}, the state dict has {v.DType} (integers and floats are not converted into each other)");
        }
        if (strict)
            foreach (var name in state.Keys)
                if (!own.ContainsKey(name)) problems.Add($"unexpected key '{name}' (shape {state[name].Shape})");
        if (problems.Count > 0)
            throw new ArgumentException($"LoadStateDict into {GetType().Name}: {problems.Count} problem(s):\n  " + string.Join("\n  ", problems));
        using var _ = Autograd.NoGrad();
        foreach (var (name, t) in own)
            if (state.TryGetValue(name, out var v)) t.Copy_(v);
    }

    /// <summary>
    /// Whether this module's own buffer <paramref name="name"/> may be absent from a state dict loaded strict
    /// (it then keeps its value). False by default; BatchNorm says yes for num_batches_tracked.
    /// </summary>
    protected virtual bool IsOptionalInStateDict(string name) => false;

    /// <summary>Saves <see cref="StateDict"/> to a .safetensors file (atomically: temp file, then rename).</summary>
    public void Save(string path)
    {
        var sd = StateDict();
        try { Safetensors.Save(path, sd); }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }

    /// <summary>
    /// Loads a .safetensors file, or a PyTorch <c>torch.save</c> state dict (.pt, .pth, .bin: <see cref="TorchCheckpoint"/>),
    /// into this module (<see cref="LoadStateDict"/>: names and shapes checked, every mismatch reported).
    /// </summary>
    public void Load(string path, bool strict = true)
    {
        var sd = TorchCheckpoint.IsTorchFile(path) ? TorchCheckpoint.Load(path) : Safetensors.Load(path);
        try { LoadStateDict(sd, strict); }
        catch (ArgumentException e) { throw new ArgumentException($"loading '{path}': {e.Message}", e); }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }

    // ---- printing ------------------------------------------------------------------

    /// <summary>One line describing this module's own configuration (shapes, options).</summary>
    public virtual string ExtraRepr() => "";

    public override string ToString()
    {
        var sb = new StringBuilder();
        Print(sb, "", 0);
        return sb.ToString().TrimEnd();
    }

    private void Print(StringBuilder sb, string name, int depth)
    {
        sb.Append(new string(' ', depth * 2));
        if (name.Length > 0) sb.Append('(').Append(name).Append("): ");
        sb.Append(GetType().Name).Append('(').Append(ExtraRepr());
        if (_children.Count == 0) { sb.AppendLine(")"); return; }
        sb.AppendLine();
        foreach (var (n, m) in _children) m.Print(sb, n, depth + 1);
        sb.Append(new string(' ', depth * 2)).AppendLine(")");
    }
}

public static class ModuleExtensions
{
    /// <summary>Moves the module to device in place and returns it with its own type: <c>var m = new Net().To(device);</c></summary>
    public static T To<T>(this T module, Device device) where T : Module
    {
        module.MoveTo(device);
        return module;
    }
}
