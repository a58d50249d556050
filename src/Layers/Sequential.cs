namespace Engine;

/// <summary>
/// Modules applied one after another: y = m_n(...m_1(x)). Children are named "0", "1", ... as in PyTorch, or by the
/// names given (<c>new Sequential(("features", f), ("classifier", c))</c>, PyTorch's <c>Sequential(OrderedDict(...))</c>),
/// so that an outside state dict with those names loads without renaming.
/// </summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _layers = new();

    /// <summary>An empty Sequential; add children with <see cref="Add(Module)"/> or <see cref="Add(string, Module)"/>.</summary>
    public Sequential() { }

    public Sequential(params Module[] layers)
    {
        foreach (var l in layers) Add(l);
    }

    /// <summary>Named children, in order.</summary>
    public Sequential(params (string Name, Module Module)[] layers)
    {
        foreach (var (n, l) in layers) Add(n, l);
    }

    /// <summary>Appends a child named by its position ("0", "1", ...).</summary>
    public Sequential Add(Module layer) => Add(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer);

    /// <summary>Appends a child under name (unique, without dots).</summary>
    public Sequential Add(string name, Module layer)
    {
        RegisterModule(name, layer);
        _layers.Add(layer);
        return this;
    }

    public int Count => _layers.Count;
    public Module this[int i] => _layers[i];

    /// <summary>The child registered under name.</summary>
    public Module this[string name] => NamedChildren().FirstOrDefault(c => c.Name == name).Module
        ?? throw new KeyNotFoundException($"Sequential has no child named '{name}'; it has {string.Join(", ", NamedChildren().Select(c => c.Name))}");

    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var l in _layers) x = l.Forward(x);
        return x;
    }
}

/// <summary>
/// A list of child modules named "0", "1", ... (PyTorch's nn.ModuleList): registered, so their parameters are the
/// owner's and their names are in its state dict, but with no Forward of its own.
/// </summary>
public sealed class ModuleList : Module, IReadOnlyList<Module>
{
    private readonly List<Module> _items = new();

    public ModuleList(params Module[] modules)
    {
        foreach (var m in modules) Add(m);
    }

    public ModuleList(IEnumerable<Module> modules) : this(modules.ToArray()) { }

    public ModuleList Add(Module module)
    {
        RegisterModule(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        _items.Add(module);
        return this;
    }

    public int Count => _items.Count;
    public Module this[int i] => _items[i];
    public IEnumerator<Module> GetEnumerator() => _items.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override Tensor Forward(Tensor input) =>
        throw new NotSupportedException("ModuleList has no Forward: iterate over it in the owner's Forward");
}

/// <summary>
/// Child modules by name, in insertion order (PyTorch's nn.ModuleDict): registered under those names, with no Forward
/// of its own.
/// </summary>
public sealed class ModuleDict : Module
{
    private readonly List<string> _keys = new();

    public ModuleDict(params (string Name, Module Module)[] modules)
    {
        foreach (var (n, m) in modules) Add(n, m);
    }

    public ModuleDict Add(string name, Module module)
    {
        RegisterModule(name, module);
        _keys.Add(name);
        return this;
    }

    public int Count => _keys.Count;
    public IReadOnlyList<string> Keys => _keys;
    public bool ContainsKey(string name) => _keys.Contains(name);

    public Module this[string name] => NamedChildren().FirstOrDefault(c => c.Name == name).Module
        ?? throw new KeyNotFoundException($"ModuleDict has no module named '{name}'; it has {string.Join(", ", _keys)}");

    public override Tensor Forward(Tensor input) =>
        throw new NotSupportedException("ModuleDict has no Forward: pick modules by name in the owner's Forward");
}
