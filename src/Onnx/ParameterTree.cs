namespace Engine.Onnx;

/// <summary>
/// Registers an ONNX model's initializers as parameters and buffers under their own names, dotted names becoming
/// nested modules as in PyTorch ("layer1.0.conv1.weight"), so <see cref="Module.StateDict"/> of an imported torch model
/// has the names its torch state dict had. A name that cannot nest (an empty segment, or a segment that is both a
/// tensor and a prefix) is registered on the model itself with its dots replaced by underscores.
/// </summary>
internal sealed class ParameterTree(Action<string, Tensor, bool> addToRoot, Action<string, Module> addModuleToRoot)
{
    private sealed class Group : Module
    {
        public void AddTensor(string name, Tensor t, bool buffer) { if (buffer) RegisterBuffer(name, t); else RegisterParameter(name, t); }
        public Group Child(string name)
        {
            foreach (var (n, m) in NamedChildren()) if (n == name) return m as Group ?? throw new ArgumentException(name);
            return RegisterModule(name, new Group());
        }
    }

    private readonly HashSet<string> _rootNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _leafNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _groupNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Group> _top = new(StringComparer.Ordinal);

    public void Add(string name, Tensor t, bool buffer)
    {
        var parts = name.Split('.');
        if (parts.Length >= 2 && parts.All(p => p.Length > 0) && TryNest(parts, t, buffer)) return;
        var flat = name.Replace('.', '_');
        while (flat.Length == 0 || _rootNames.Contains(flat) || _top.ContainsKey(flat)) flat = "_" + flat;
        addToRoot(flat, t, buffer);
        _rootNames.Add(flat);
    }

    private bool TryNest(string[] parts, Tensor t, bool buffer)
    {
        // A prefix that is already a tensor, or a full name that is already a module, cannot nest.
        for (int i = 1; i <= parts.Length; i++)
            if (_leafNames.Contains(string.Join('.', parts[..i]))) return false;
        var full = string.Join('.', parts);
        if (_groupNames.Contains(full) || _rootNames.Contains(parts[0])) return false;
        try
        {
            if (!_top.TryGetValue(parts[0], out var g))
            {
                g = new Group();
                addModuleToRoot(parts[0], g);
                _top[parts[0]] = g;
            }
            _groupNames.Add(parts[0]);
            for (int i = 1; i < parts.Length - 1; i++)
            {
                g = g.Child(parts[i]);
                _groupNames.Add(string.Join('.', parts[..(i + 1)]));
            }
            g.AddTensor(parts[^1], t, buffer);
            _leafNames.Add(full);
            return true;
        }
        catch (ArgumentException) { return false; }
    }
}
